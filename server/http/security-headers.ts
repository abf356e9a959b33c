/**
 * Security headers. Every response: `X-Content-Type-Options: nosniff`. Every HTML page:
 * - a Content-Security-Policy: scripts only from here (the reading room's bundle: no inline script,
 *   no eval); styles from here and inline (Mirador's styling library writes <style> elements, and our
 *   pages carry one); images and fetches from here and from the partners whose image services the
 *   reading room shows (`security.imageOrigins`, harvested items); frames from here (the reading
 *   panel); no plugins; forms post here (and to the sign-in provider);
 * - framing: by our own pages only (`frame-ancestors 'self'`, and X-Frame-Options for old browsers),
 *   except the embeddable reader and what it frames (`ctx.state.embeddable`), which the sites of
 *   `security.viewerFrameAncestors` may frame (default: any);
 * - `Referrer-Policy: strict-origin-when-cross-origin`: other sites learn our origin, not which item
 *   or search a reader had open.
 * A page with inline scripts of ours names them (`ctx.state.inlineScripts`: their `'sha256-…'` sources).
 * A route that sets its own policy (sign-in pages, whose framing follows access.embedOrigins) keeps it.
 */
import { createHash } from 'node:crypto';
import type Koa from 'koa';

/** A CSP source that allows exactly this inline script (`'sha256-…'`). */
export const scriptSource = (js: string): string => `'sha256-${createHash('sha256').update(js).digest('base64')}'`;

export interface SecurityOptions {
  /** Origins allowed to frame the reader; ['*']: any. */
  readonly viewerFrameAncestors: readonly string[];
  /** Partners' origins whose images and JSON the reading room loads. */
  readonly imageOrigins: readonly string[];
  /** The external sign-in provider's origin (forms and redirects go there), or ''. */
  readonly signInOrigin: string;
}

export function contentSecurityPolicy(o: SecurityOptions, embeddable: boolean, scripts: readonly string[] = []): string {
  const partners = o.imageOrigins.map((x) => ` ${x}`).join('');
  const ancestors = embeddable ? (o.viewerFrameAncestors.includes('*') ? '*' : `'self'${o.viewerFrameAncestors.map((x) => ` ${x}`).join('')}`) : "'self'";
  return [
    "default-src 'self'",
    `script-src 'self'${scripts.map((x) => ` ${x}`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${partners}`,
    `connect-src 'self'${partners}`,
    "font-src 'self' data:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    `form-action 'self'${o.signInOrigin ? ` ${o.signInOrigin}` : ''}`,
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}

export function securityHeaders(o: SecurityOptions): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      if (/^text\/html/.test(ctx.response.get('Content-Type'))) {
        const embeddable = ctx.state.embeddable === true;
        if (!ctx.response.get('Content-Security-Policy')) {
          ctx.set('Content-Security-Policy', contentSecurityPolicy(o, embeddable, Array.isArray(ctx.state.inlineScripts) ? ctx.state.inlineScripts : []));
          if (!embeddable && !ctx.response.get('X-Frame-Options')) ctx.set('X-Frame-Options', 'SAMEORIGIN');
        }
        ctx.set('Referrer-Policy', 'strict-origin-when-cross-origin');
      }
    }
  };
}
