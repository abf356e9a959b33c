/**
 * GET /api/search: the catalogue and page text, as JSON (parameters in params.ts; a bad one is a 400
 * naming it). Results depend on who asks (access), so they are never shared between readers.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import type { Archive } from '../archive/service.js';
import { identityOf } from '../auth/identity.js';
import { setAccessCaching } from '../http/caching.js';
import { presentationUris } from '../presentation/uris.js';
import { searchRequest } from './params.js';
import { resultsJson } from './present.js';

export function searchRoutes(archive: Archive, opts: { baseUrl: (ctx: Koa.Context) => string }): Router {
  const router = new Router();
  router.get('/api/search', async (ctx) => {
    ctx.state.route = 'api_search';
    const { params, request } = searchRequest(ctx.query);
    const who = identityOf(ctx);
    const results = await archive.search(who, request);
    ctx.set('Cache-Control', setAccessCaching(ctx, false, ''));
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = await resultsJson(archive, who, presentationUris(opts.baseUrl(ctx)), results, request.query, { page: params.page, size: params.size });
  });
  return router;
}
