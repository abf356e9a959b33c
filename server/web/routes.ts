/** Routes of the public site and the reading room. */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Archive } from '../archive/service.js';
import { identityOf } from '../auth/identity.js';
import type { Identity } from '../auth/policy.js';
import { isHanItem } from '../han/reading.js';
import { Id } from '../catalogue/schema.js';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../errors.js';
import { setAccessCaching, setValidators } from '../http/caching.js';
import { bibtex, cslJson } from '../presentation/citation.js';
import { dublinCore } from '../presentation/dublin-core.js';
import type { ItemPdfs } from '../presentation/pdf.js';
import type { Item } from '../catalogue/catalogue.js';
import { pick } from '../presentation/labels.js';
import { presentationUris } from '../presentation/uris.js';
import { parseOrThrow } from '../validation.js';
import { FAVICON_SVG, type Lang } from './html.js';
import { MAX_QUERY_CHARS } from '../search/query.js';
import { searchRequest } from '../search/params.js';
import { itemSearchPage, itemTextPage } from './item-text.js';
import { aboutPage, collectionPage, contactPage, homePage, itemPage, readerPage, type ReaderConfig } from './pages.js';
import { searchPage } from './search-page.js';
import { hanCharPage, parseHanChar } from './han-char.js';
import { readingPanelPage } from './reading-panel.js';

export interface WebDeps {
  readonly archive: Archive;
  readonly pdfs: ItemPdfs;
  /** Folder of the built reading room (viewer/dist). */
  readonly viewerDist: string;
  readonly baseUrl: (ctx: Koa.Context) => string;
}

const PageQuery = z.object({ page: z.coerce.number().int().min(1).max(100_000).default(1) });
const TextQuery = PageQuery.extend({ readings: z.enum(['0', '1']).default('0') });
const ReaderQuery = z.object({
  manifest: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  view: z.enum(['single', 'book', 'gallery']).optional(),
  /** 1-based page to open at. */
  canvas: z.coerce.number().int().min(1).max(100_000).optional(),
  q: z.string().max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`).optional(),
});
/** The reading panel: up to 4 pages (two in book view), a character clicked and where ("canvas-line-index"). */
const PanelParams = z.object({
  canvas: z
    .string()
    .regex(/^[1-9]\d{0,5}(,[1-9]\d{0,5}){0,3}$/, 'must be 1 to 4 page numbers separated by commas')
    .transform((s) => [...new Set(s.split(',').map(Number))]),
  char: z
    .string()
    .max(16)
    .transform((s, ctx) => {
      try {
        return parseHanChar(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be one Han or Nôm character' });
        return z.NEVER;
      }
    })
    .optional(),
  at: z
    .string()
    .regex(/^\d{1,6}-\d{1,6}-\d{1,6}$/, 'must be page-line-index')
    .transform((s) => {
      const [canvas, line, index] = s.split('-').map(Number) as [number, number, number];
      return { canvas, line, index };
    })
    .optional(),
});
const InItemQuery = z.object({ q: z.string().max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`).default('') });

/** The item of one of our manifests (uris.ts), or null for a manifest URL that is not ours. */
function ourItem(base: string, manifest: string | undefined): string | null {
  const prefix = `${base}/iiif/presentation/`;
  const m = manifest?.startsWith(prefix) ? /^[23]\/items\/([^/?#]+)\/manifest$/.exec(manifest.slice(prefix.length)) : null;
  return m ? m[1]! : null;
}

/** The reader's start: our manifests' canvas ids are known (uris.ts), others open by index. */
function readerStart(base: string, manifest: string | undefined, canvas: number | undefined): Pick<ReaderConfig, 'canvasId' | 'canvasIndex'> {
  if (!canvas) return {};
  const item = ourItem(base, manifest);
  return { canvasIndex: canvas - 1, ...(item ? { canvasId: presentationUris(base).canvas(item, canvas) } : {}) };
}

/**
 * The item whose reading layer the reader offers (its reading panel): one of ours, written in Han or
 * Nôm, that this reader may discover. Whether they may read its text the panel itself decides.
 */
/** The reader's item, when the manifest is ours and the reader may discover it: its reading panel (Han or Nôm) and its page, for the way back. */
async function readerItem(archive: Archive, who: Identity, base: string, manifest: string | undefined): Promise<{ id: string; title: Item['description']['title']; readings: boolean } | null> {
  const id = ourItem(base, manifest);
  if (!id) return null;
  const view = await archive.item(who, id).catch((e: unknown) => {
    if (e instanceof NotFoundError) return null;
    throw e;
  });
  return view && { id: view.item.id, title: view.item.description.title, readings: isHanItem(view.item) };
}
const ASSET = /^[a-z][a-z-]*\.js(\.map|\.LEGAL\.txt)?$/;

interface ViewerAsset {
  readonly file: string;
  readonly hash: string;
  readonly modified: Date;
  /** The compressed copies beside it: 'br', 'gzip'. */
  encodings(): Promise<string[]>;
}

/** The reader's built files: each one's content hash and which compressed copies sit beside it. */
class ViewerAssets {
  private readonly known = new Map<string, { mtimeMs: number; info: Promise<ViewerAsset> }>();

  constructor(private readonly dist: string) {}

  async get(name: string): Promise<ViewerAsset | null> {
    const file = path.join(this.dist, name);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) return null;
    let kept = this.known.get(name);
    if (!kept || kept.mtimeMs !== st.mtimeMs) {
      const info = (async () => {
        const hash = createHash('sha256').update(await readFile(file)).digest('base64url').slice(0, 16);
        // Looked for at each request: a build writes them just after the bundle.
        const encodings = async () => {
          const found: string[] = [];
          for (const [enc, ext] of [['br', 'br'], ['gzip', 'gz']] as const) if (await stat(`${file}.${ext}`).catch(() => null)) found.push(enc);
          return found;
        };
        return { file, hash, modified: st.mtime, encodings };
      })();
      kept = { mtimeMs: st.mtimeMs, info };
      this.known.set(name, kept);
    }
    return kept.info;
  }
}

/** Vietnamese unless English is asked for; an unknown language falls back to Vietnamese. */
const langOf = (ctx: Koa.Context): Lang => (ctx.query.lang === 'en' ? 'en' : 'vi');

export function webRoutes(deps: WebDeps): Router {
  const router = new Router();
  const assets = new ViewerAssets(deps.viewerDist);
  const html = (ctx: Koa.Context, route: string, page: string) => {
    ctx.state.route = route;
    ctx.type = 'text/html; charset=utf-8';
    // Pages name the signed-in reader and list what they may see: never shared between readers.
    ctx.set('Cache-Control', setAccessCaching(ctx, false, ''));
    ctx.body = page;
  };
  router.use(async (ctx, next) => {
    ctx.state.errorFormat = 'html';
    ctx.state.lang = langOf(ctx);
    await next();
  });

  router.get('/', async (ctx) => {
    const { page } = parseOrThrow(PageQuery, ctx.query, 'query');
    html(ctx, 'web_home', await homePage(deps.archive, identityOf(ctx), presentationUris(deps.baseUrl(ctx)), langOf(ctx), page));
  });
  router.get('/about', async (ctx) => {
    html(ctx, 'web_about', await aboutPage(deps.archive, identityOf(ctx), presentationUris(deps.baseUrl(ctx)), langOf(ctx)));
  });
  router.get('/contact', async (ctx) => {
    html(ctx, 'web_contact', await contactPage(deps.archive, identityOf(ctx), langOf(ctx)));
  });
  router.get(['/favicon.svg', '/favicon.ico'], (ctx) => {
    ctx.state.route = 'web_favicon';
    // Browsers that ask /favicon.ico without reading the page's <link> get the same icon.
    ctx.type = 'image/svg+xml';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = FAVICON_SVG;
  });
  router.get('/collections/:id', async (ctx) => {
    const { page } = parseOrThrow(PageQuery, ctx.query, 'query');
    const id = parseOrThrow(Id, ctx.params.id, 'collection identifier');
    html(ctx, 'web_collection', await collectionPage(deps.archive, identityOf(ctx), presentationUris(deps.baseUrl(ctx)), id, langOf(ctx), page));
  });
  router.get('/items/:id', async (ctx) => {
    const who = identityOf(ctx);
    const { item, content } = await deps.archive.item(who, parseOrThrow(Id, ctx.params.id, 'item identifier'));
    const library = await deps.archive.library(who, item.library);
    // The search form and the text link are offered to readers who may read an item that has text.
    const withText = content.effect === 'deny' ? 0 : await deps.archive.textPageCount(item);
    html(ctx, 'web_item', itemPage(who, library, presentationUris(deps.baseUrl(ctx)), item, langOf(ctx), content.effect, withText));
  });
  router.get('/han/:char', (ctx) => {
    html(ctx, 'web_han', hanCharPage(parseHanChar(ctx.params.char ?? ''), langOf(ctx)));
  });
  router.get('/search', async (ctx) => {
    const { params, request } = searchRequest(ctx.query);
    html(ctx, 'web_search', await searchPage(deps.archive, identityOf(ctx), presentationUris(deps.baseUrl(ctx)), langOf(ctx), params, request));
  });
  router.get('/items/:id/search', async (ctx) => {
    const id = parseOrThrow(Id, ctx.params.id, 'item identifier');
    const { q } = parseOrThrow(InItemQuery, ctx.query, 'query');
    const out = await itemSearchPage(deps.archive, identityOf(ctx), presentationUris(deps.baseUrl(ctx)), id, langOf(ctx), q);
    html(ctx, 'web_item_search', out.page);
    ctx.status = out.status;
  });
  router.get('/items/:id/text', async (ctx) => {
    const id = parseOrThrow(Id, ctx.params.id, 'item identifier');
    const { page, readings } = parseOrThrow(TextQuery, ctx.query, 'query');
    const out = await itemTextPage(deps.archive, identityOf(ctx), presentationUris(deps.baseUrl(ctx)), id, langOf(ctx), page, readings === '1');
    html(ctx, 'web_item_text', out.page);
    ctx.status = out.status;
  });
  router.get('/items/:id/reading', async (ctx) => {
    const id = parseOrThrow(Id, ctx.params.id, 'item identifier');
    const q = parseOrThrow(PanelParams, ctx.query, 'query');
    const out = await readingPanelPage(deps.archive, identityOf(ctx), id, langOf(ctx), { canvases: q.canvas, ...(q.char ? { char: q.char } : {}), ...(q.at ? { at: q.at } : {}) });
    // Framed by the reader, which partners may frame in turn: the same ancestors as the reader.
    ctx.state.embeddable = true;
    html(ctx, 'web_reading_panel', out.page);
    ctx.status = out.status;
  });
  router.get('/items/:id/dc.xml', async (ctx) => {
    ctx.state.route = 'web_dublin_core';
    ctx.state.errorFormat = 'text';
    const who = identityOf(ctx);
    const { item } = await deps.archive.item(who, parseOrThrow(Id, ctx.params.id, 'item identifier'));
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Cache-Control', setAccessCaching(ctx, item.access.level !== 'staff', 'public, max-age=3600'));
    ctx.type = 'application/xml; charset=utf-8';
    ctx.body = dublinCore(item, await deps.archive.library(who, item.library), presentationUris(deps.baseUrl(ctx)));
  });
  // A page's image at a chosen size, from the item page's download form: sent on to the Image API (which
  // asks the access policy again: a reader of a reduced item gets what the reduced size allows).
  router.get('/items/:id/image', async (ctx) => {
    ctx.state.route = 'web_page_image';
    const q = parseOrThrow(z.object({ page: z.coerce.number().int().min(1), size: z.enum(['800', '1600', '3000', 'max']) }), ctx.query, 'query');
    const { item, content } = await deps.archive.readableItem(identityOf(ctx), parseOrThrow(Id, ctx.params.id, 'item identifier'));
    const canvas = item.canvases[q.page - 1];
    if (!canvas) throw new BadRequestError('invalid_page', `page: the document has ${item.canvases.length} page(s)`);
    const cap = content.effect === 'reduced' ? content.maxPx : Infinity;
    const side = q.size === 'max' ? cap : Math.min(Number(q.size), cap);
    const size = Number.isFinite(side) ? `!${side},${side}` : 'max';
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(`${presentationUris(deps.baseUrl(ctx)).image3(canvas.image)}/full/${size}/0/default.jpg`);
  });
  // How to cite the item, for reference managers: CSL-JSON and BibTeX (the page shows the Vietnamese text).
  router.get(['/items/:id/cite.json', '/items/:id/cite.bib'], async (ctx) => {
    const json = ctx.path.endsWith('.json');
    ctx.state.route = json ? 'web_cite_csl' : 'web_cite_bibtex';
    ctx.state.errorFormat = 'text';
    const who = identityOf(ctx);
    const { item } = await deps.archive.item(who, parseOrThrow(Id, ctx.params.id, 'item identifier'));
    const library = await deps.archive.library(who, item.library);
    const url = presentationUris(deps.baseUrl(ctx)).itemPage(item.id);
    const today = new Date().toISOString();
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Cache-Control', setAccessCaching(ctx, item.access.level !== 'staff', 'public, max-age=3600'));
    ctx.set('Content-Disposition', `inline; filename="${item.id}.${json ? 'json' : 'bib'}"`);
    ctx.type = json ? 'application/vnd.citationstyles.csl+json; charset=utf-8' : 'application/x-bibtex; charset=utf-8';
    ctx.body = json ? JSON.stringify(cslJson(item, library, url, today), null, 2) : bibtex(item, library, url, today);
  });
  router.get('/items/:id/canvas/:n/alto.xml', async (ctx) => {
    ctx.state.route = 'web_alto';
    ctx.state.errorFormat = 'text';
    const id = parseOrThrow(Id, ctx.params.id, 'item identifier');
    const { n } = parseOrThrow(z.object({ n: z.coerce.number().int().min(1) }), ctx.params, 'page');
    const { item, alto } = await deps.archive.alto(identityOf(ctx), id, n);
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Cache-Control', setAccessCaching(ctx, deps.archive.openToAll(item.access), 'public, max-age=3600'));
    ctx.type = 'application/xml; charset=utf-8';
    ctx.body = alto;
  });
  router.get('/items/:id/pdf', async (ctx) => {
    ctx.state.route = 'web_pdf';
    const who = identityOf(ctx);
    const { item, content } = await deps.archive.readableItem(who, parseOrThrow(Id, ctx.params.id, 'item identifier'));
    // The PDF holds every page at print size: readers who get reduced images sign in for it.
    if (content.effect === 'reduced') throw new UnauthorizedError('sign in to download this document as a PDF');
    // A first request builds the PDF page by page, sending nothing meanwhile: the idle timeout
    // (server.timeouts.idleSeconds) must not cut the connection of a long book.
    const socket = ctx.req.socket;
    const idle = socket.timeout ?? 0;
    socket.setTimeout(0);
    let key: string;
    try {
      key = await deps.pdfs.get(item);
    } finally {
      socket.setTimeout(idle);
    }
    const file = await deps.archive.openStored(key);
    if (setValidators(ctx, `"pdf-${item.id}-${item.version}"`, file.modified, setAccessCaching(ctx, deps.archive.openToAll(item.access), 'public, max-age=3600'))) {
      ctx.status = 304;
      return;
    }
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Content-Disposition', `inline; filename="${item.id}.pdf"`);
    ctx.type = 'application/pdf';
    ctx.length = file.size;
    ctx.body = file.stream();
  });

  router.get('/viewer', async (ctx) => {
    const q = parseOrThrow(ReaderQuery, ctx.query, 'query');
    // Our reader opens our manifests only: a manifest elsewhere could name image services that are not
    // ours but declare our IIIF token service, and the viewer would hand them the reader's token.
    if (q.manifest && !q.manifest.startsWith(`${deps.baseUrl(ctx)}/`)) {
      throw new BadRequestError('foreign_manifest', `the reading room opens this library's manifests only (${deps.baseUrl(ctx)}/…)`);
    }
    const config: ReaderConfig = {
      manifest: q.manifest ?? null,
      language: langOf(ctx),
      ...(q.view ? { view: q.view } : {}),
      ...readerStart(deps.baseUrl(ctx), q.manifest, q.canvas),
      ...(q.q?.trim() ? { q: q.q.trim() } : {}),
    };
    const item = await readerItem(deps.archive, identityOf(ctx), deps.baseUrl(ctx), q.manifest);
    if (item?.readings) config.readings = item.id;
    if (item) config.back = { href: `/items/${item.id}${config.language === 'en' ? '?lang=en' : ''}`, title: pick(item.title, config.language) };
    // The embeddable reader: partners' pages may frame it (security.viewerFrameAncestors).
    ctx.state.embeddable = true;
    const bundle = await assets.get('reading-room.js');
    html(ctx, 'web_viewer', readerPage(config, `/viewer/assets/reading-room.js${bundle ? `?v=${bundle.hash}` : ''}`));
  });
  // The reader's bundle: named with its content's hash in the page (`?v=`), so that browsers keep it a
  // year without asking again; stored compressed at build time (viewer/build.mjs), brotli or gzip as
  // the browser accepts.
  router.get('/viewer/assets/:file', async (ctx) => {
    ctx.state.route = 'web_viewer_asset';
    const file = String(ctx.params.file);
    if (!ASSET.test(file)) throw new NotFoundError(`no asset "${file}"`);
    const asset = await assets.get(file);
    if (!asset) throw new NotFoundError(`no asset "${file}" (is the reading room built? npm run build)`);
    // Another hash than this file's (a page of another build, in a rolling deploy): not to be kept.
    const caching = ctx.query.v === asset.hash ? 'public, max-age=31536000, immutable' : ctx.query.v === undefined ? 'public, max-age=3600' : 'no-cache';
    ctx.vary('Accept-Encoding');
    // Ours, not the browser's, order of preference (browsers list gzip first at equal weight): brotli is smaller.
    const encoding = (await asset.encodings()).find((e) => ctx.acceptsEncodings(e) === e);
    // One entity tag per encoding (RFC 9110 §8.8.3): the bytes differ.
    if (setValidators(ctx, `"${asset.hash}${encoding ? `-${encoding}` : ''}"`, asset.modified, caching)) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.endsWith('.js') ? 'application/javascript; charset=utf-8' : file.endsWith('.map') ? 'application/json' : 'text/plain; charset=utf-8';
    const sent = encoding ? { file: `${asset.file}.${encoding === 'br' ? 'br' : 'gz'}`, encoding } : { file: asset.file, encoding: null };
    if (sent.encoding) ctx.set('Content-Encoding', sent.encoding);
    ctx.length = (await stat(sent.file)).size;
    ctx.body = createReadStream(sent.file);
  });
  return router;
}
