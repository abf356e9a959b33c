/**
 * /iiif/search/{1|2}/items/:id[/autocomplete]: IIIF Content Search 1.0 and 2.0 within an item, for
 * whoever may read the item's content (the archive throws 401/403/404 for others, as for its pages).
 * Answers carry CORS `*` (preflight included) and are cached like the item's other IIIF JSON: shared
 * caches only when anyone may read the item, ETag/304 always.
 */
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Archive } from '../archive/service.js';
import { identityOf } from '../auth/identity.js';
import { Id } from '../catalogue/schema.js';
import { allowAnyOrigin, jsonLdType, setAccessCaching, setValidators } from '../http/caching.js';
import { presentationUris } from '../presentation/uris.js';
import { parseOrThrow } from '../validation.js';
import {
  findHits,
  rankTerms,
  search1Response,
  search2Response,
  SEARCH1_CONTEXT,
  SEARCH2_CONTEXT,
  termList1,
  termPage2,
  TERMS_PER_RESPONSE,
  UNIMPLEMENTED_PARAMS,
} from './content-search.js';
import { foldPrefix } from './fold.js';
import { Variants } from './params.js';
import { isEmpty, MAX_QUERY_CHARS, parseQuery } from './query.js';

export interface ContentSearchRoutesOptions {
  readonly baseUrl: (ctx: Koa.Context) => string;
  /** Cache-Control of answers anyone may read (the configured `cache.cacheControl`). */
  readonly cacheControl?: string;
}

/** Pages of an item searched at most (more than any item has). */
const MAX_PAGES = 100_000;
const DEFAULT_CACHE_CONTROL = 'public, max-age=3600';

/** An optional integer parameter; empty is absent (the specifications: "if a parameter is empty…"). */
const intParam = (min: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).max(1_000_000).optional());
const Q = z.string().max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`).optional();
const SearchParams = z.object({ q: Q, page: intParam(1), variants: Variants });
const AutocompleteParams = z.object({ q: Q, min: intParam(0) });

/** Received parameters that the specifications define and we do not implement. */
const ignoredIn = (ctx: Koa.Context) => UNIMPLEMENTED_PARAMS.filter((p) => p in ctx.query);

function send(ctx: Koa.Context, json: unknown, context: string, isPublic: boolean, cacheControl: string): void {
  const body = JSON.stringify(json);
  const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 20)}"`;
  ctx.vary('Accept');
  if (setValidators(ctx, etag, null, setAccessCaching(ctx, isPublic, cacheControl))) {
    ctx.status = 304;
    return;
  }
  ctx.type = jsonLdType(ctx, context);
  ctx.body = body;
}

export function contentSearchRoutes(archive: Archive, opts: ContentSearchRoutesOptions): Router {
  const router = new Router({ prefix: '/iiif/search' });
  const cacheControl = opts.cacheControl ?? DEFAULT_CACHE_CONTROL;

  for (const version of [1, 2] as const) {
    const context = version === 1 ? SEARCH1_CONTEXT : SEARCH2_CONTEXT;

    router.get(`/${version}/items/:id`, async (ctx) => {
      ctx.state.route = `search${version}`;
      allowAnyOrigin(ctx);
      const id = parseOrThrow(Id, ctx.params.id, 'item identifier');
      const { q = '', page = 1, variants } = parseOrThrow(SearchParams, ctx.query, 'query');
      const query = parseQuery(q, { variants: variants === '1' });
      const who = identityOf(ctx);
      // An empty query finds nothing (but the item is still checked: 404/401/403 as for any query).
      const { item, pages } = isEmpty(query) ? { item: await archive.readableRef(who, id), pages: [] } : await archive.searchInItem(who, id, query, MAX_PAGES);
      const result = findHits(pages, query, page);
      const uris = presentationUris(opts.baseUrl(ctx));
      const echo = { q, ignored: ignoredIn(ctx) };
      send(ctx, version === 1 ? search1Response(uris, item.id, echo, result) : search2Response(uris, item.id, echo, result), context, archive.openToAll(item.access), cacheControl);
    });

    router.get(`/${version}/items/:id/autocomplete`, async (ctx) => {
      ctx.state.route = `search${version}_autocomplete`;
      allowAnyOrigin(ctx);
      const id = parseOrThrow(Id, ctx.params.id, 'item identifier');
      const { q = '', min } = parseOrThrow(AutocompleteParams, ctx.query, 'query');
      // The beginning of one term, whatever it holds (§4.2 of 1.0, §5.1 of 2.0), compared folded.
      const prefix = foldPrefix(q.normalize('NFC').trim());
      const who = identityOf(ctx);
      const found = prefix ? await archive.suggestInItem(who, id, prefix, TERMS_PER_RESPONSE) : { item: await archive.readableRef(who, id), terms: [] };
      const { item } = found;
      const terms = rankTerms(found.terms, q);
      const uris = presentationUris(opts.baseUrl(ctx));
      const echo = { q, min, ignored: ignoredIn(ctx) };
      send(ctx, version === 1 ? termList1(uris, item.id, echo, terms) : termPage2(uris, item.id, echo, terms), context, archive.openToAll(item.access), cacheControl);
    });
  }

  // CORS preflight (a viewer that sends credentials or an Accept header of its own asks first).
  router.options(['/:version/items/:id', '/:version/items/:id/autocomplete'], (ctx) => {
    ctx.state.route = 'search_preflight';
    allowAnyOrigin(ctx);
  });
  return router;
}
