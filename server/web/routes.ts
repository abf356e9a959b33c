/** Routes of the public site and the reading room. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Catalogue } from '../catalogue/catalogue.js';
import { Id } from '../catalogue/schema.js';
import { NotFoundError } from '../errors.js';
import { setValidators } from '../http/caching.js';
import { dublinCore } from '../presentation/dublin-core.js';
import type { ItemPdfs } from '../presentation/pdf.js';
import { presentationUris } from '../presentation/uris.js';
import { canvasOf } from '../presentation/ocr-annotations.js';
import { ocrKeys } from '../storage/layout.js';
import type { BlobStore } from '../storage/blob-store.js';
import { parseOrThrow } from '../validation.js';
import type { Lang } from './html.js';
import { collectionPage, homePage, itemPage, readerPage } from './pages.js';

export interface WebDeps {
  readonly catalogue: Catalogue;
  readonly pdfs: ItemPdfs;
  readonly store: BlobStore;
  /** Folder of the built reading room (viewer/dist). */
  readonly viewerDist: string;
  readonly baseUrl: (ctx: Koa.Context) => string;
}

const PageQuery = z.object({ page: z.coerce.number().int().min(1).max(100_000).default(1) });
const ReaderQuery = z.object({
  manifest: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  view: z.enum(['single', 'book', 'gallery']).optional(),
});
const ASSET = /^[a-z][a-z-]*\.js(\.map|\.LEGAL\.txt)?$/;

/** Vietnamese unless English is asked for; an unknown language falls back to Vietnamese. */
const langOf = (ctx: Koa.Context): Lang => (ctx.query.lang === 'en' ? 'en' : 'vi');

export function webRoutes(deps: WebDeps): Router {
  const router = new Router();
  const html = (ctx: Koa.Context, route: string, page: string) => {
    ctx.state.route = route;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = page;
  };
  router.use(async (ctx, next) => {
    ctx.state.errorFormat = 'html';
    ctx.state.lang = langOf(ctx);
    await next();
  });

  router.get('/', (ctx) => {
    const { page } = parseOrThrow(PageQuery, ctx.query, 'query');
    html(ctx, 'web_home', homePage(deps.catalogue, presentationUris(deps.baseUrl(ctx)), langOf(ctx), page));
  });
  router.get('/collections/:id', (ctx) => {
    const { page } = parseOrThrow(PageQuery, ctx.query, 'query');
    const id = parseOrThrow(Id, ctx.params.id, 'collection identifier');
    html(ctx, 'web_collection', collectionPage(deps.catalogue, presentationUris(deps.baseUrl(ctx)), id, langOf(ctx), page));
  });
  router.get('/items/:id', (ctx) => {
    const item = deps.catalogue.getItem(parseOrThrow(Id, ctx.params.id, 'item identifier'));
    html(ctx, 'web_item', itemPage(deps.catalogue, presentationUris(deps.baseUrl(ctx)), item, langOf(ctx)));
  });
  router.get('/items/:id/dc.xml', (ctx) => {
    ctx.state.route = 'web_dublin_core';
    const item = deps.catalogue.getItem(parseOrThrow(Id, ctx.params.id, 'item identifier'));
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.type = 'application/xml; charset=utf-8';
    ctx.body = dublinCore(item, deps.catalogue.getLibrary(item.library), presentationUris(deps.baseUrl(ctx)));
  });
  router.get('/items/:id/canvas/:n/alto.xml', async (ctx) => {
    ctx.state.route = 'web_alto';
    const item = deps.catalogue.getItem(parseOrThrow(Id, ctx.params.id, 'item identifier'));
    const { n } = parseOrThrow(z.object({ n: z.coerce.number().int().min(1) }), ctx.params, 'page');
    const key = ocrKeys(canvasOf(item, n).image).alto;
    if (!(await deps.store.stat(key))) throw new NotFoundError(`page ${n} of "${item.id}" has no recognised text`, 'no_ocr');
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.type = 'application/xml; charset=utf-8';
    ctx.body = await deps.store.read(key);
  });
  router.get('/items/:id/pdf', async (ctx) => {
    ctx.state.route = 'web_pdf';
    const item = deps.catalogue.getItem(parseOrThrow(Id, ctx.params.id, 'item identifier'));
    const key = await deps.pdfs.get(item);
    const st = (await deps.store.stat(key))!;
    if (setValidators(ctx, `"pdf-${item.id}-${item.version}"`, new Date(Math.floor(st.mtimeMs / 1000) * 1000), 'public, max-age=3600')) {
      ctx.status = 304;
      return;
    }
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Content-Disposition', `inline; filename="${item.id}.pdf"`);
    ctx.type = 'application/pdf';
    ctx.length = st.size;
    ctx.body = createReadStream(deps.store.localPath(key));
  });

  router.get('/viewer', (ctx) => {
    const q = parseOrThrow(ReaderQuery, ctx.query, 'query');
    html(ctx, 'web_viewer', readerPage({ manifest: q.manifest ?? null, language: langOf(ctx), ...(q.view ? { view: q.view } : {}) }, '/viewer/assets'));
  });
  router.get('/viewer/assets/:file', async (ctx) => {
    ctx.state.route = 'web_viewer_asset';
    const file = String(ctx.params.file);
    if (!ASSET.test(file)) throw new NotFoundError(`no asset "${file}"`);
    const full = path.join(deps.viewerDist, file);
    const st = await stat(full).catch(() => null);
    if (!st) throw new NotFoundError(`no asset "${file}" (is the reading room built? npm run build)`);
    if (setValidators(ctx, `"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`, st.mtime, 'public, max-age=3600')) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.endsWith('.js') ? 'application/javascript; charset=utf-8' : file.endsWith('.map') ? 'application/json' : 'text/plain; charset=utf-8';
    ctx.length = st.size;
    ctx.body = createReadStream(full);
  });
  return router;
}
