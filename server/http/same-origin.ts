/**
 * Cross-site writes refused: a request that changes something (anything but GET/HEAD/OPTIONS) must not
 * come from another site's page. Browsers say where a request comes from in `Sec-Fetch-Site` and
 * `Origin`; a request that carries neither is not from a browser page (curl, scripts with the staff key)
 * and is judged by its credentials alone. The IdP's own endpoints (/oidc) keep their own checks.
 */
import type Koa from 'koa';
import { ForbiddenError } from '../errors.js';

export function sameOriginWrites(siteOrigin: (ctx: Koa.Context) => string): Koa.Middleware {
  return async (ctx, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(ctx.method) || ctx.path.startsWith('/oidc/')) return next();
    const fetchSite = ctx.get('Sec-Fetch-Site');
    const origin = ctx.get('Origin');
    if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      throw new ForbiddenError(`cross-site requests may not change anything here (Sec-Fetch-Site: ${fetchSite})`, 'cross_site');
    }
    if (origin && origin !== siteOrigin(ctx)) throw new ForbiddenError(`requests from ${origin} may not change anything here`, 'cross_site');
    await next();
  };
}
