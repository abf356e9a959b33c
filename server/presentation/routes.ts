/**
 * /iiif/presentation/{3|2}/…: manifests and collections with ETag/304 (CORS: `corsFor` in app.ts), and
 * Presentation 2.1 also by content negotiation on a v3 URI (Accept with the 2.1 context profile).
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { identityOf } from '../auth/identity.js';
import { jsonLdType, setAccessCaching, setValidators } from '../http/caching.js';
import { Id } from '../catalogue/schema.js';
import { parseOrThrow } from '../validation.js';
import { CONTEXT_P2 } from './v2.js';
import type { CollectionRef, Document, PresentationService, PresentationVersion } from './service.js';

const CONTEXT_P3 = 'http://iiif.io/api/presentation/3/context.json';
const OcrParams = z.object({ id: Id, n: z.coerce.number().int().min(1), granularity: z.enum(['line', 'word', 'reading']) });
const Page = z.object({ page: z.coerce.number().int().min(1).max(1_000_000).optional() });

export interface PresentationRoutesOptions {
  readonly cacheControl: string;
  readonly baseUrl: (ctx: Koa.Context) => string;
}

/** The version asked for: the path's, unless a v3 path is asked for the 2.1 profile. */
function versionOf(ctx: Koa.Context, pathVersion: PresentationVersion): PresentationVersion {
  return pathVersion === 3 && ctx.get('Accept').includes(CONTEXT_P2) ? 2 : pathVersion;
}

export function presentationRoutes(service: PresentationService, opts: PresentationRoutesOptions): Router {
  const router = new Router({ prefix: '/iiif/presentation' });

  const send = (ctx: Koa.Context, version: PresentationVersion, doc: Document) => {
    ctx.vary('Accept');
    if (setValidators(ctx, doc.etag, null, setAccessCaching(ctx, doc.isPublic, opts.cacheControl))) {
      ctx.status = 304;
      return;
    }
    ctx.type = jsonLdType(ctx, version === 3 ? CONTEXT_P3 : CONTEXT_P2);
    ctx.body = doc.body;
  };

  for (const pathVersion of [3, 2] as const) {
    router.get(`/${pathVersion}/items/:id/manifest`, async (ctx) => {
      ctx.state.route = `presentation${pathVersion}_manifest`;
      const id = parseOrThrow(Id, ctx.params.id, 'item identifier');
      const version = versionOf(ctx, pathVersion);
      send(ctx, version, await service.manifest(identityOf(ctx), id, opts.baseUrl(ctx), version));
    });
    if (pathVersion === 3) {
      router.get('/3/items/:id/canvas/:n/ocr/:granularity', async (ctx) => {
        ctx.state.route = 'presentation3_ocr';
        const { id, n, granularity } = parseOrThrow(OcrParams, ctx.params, 'path');
        send(ctx, 3, await service.ocrPage(identityOf(ctx), id, n, granularity, opts.baseUrl(ctx)));
      });
    }
    const collectionRoute = (path: string, ref: (ctx: Koa.Context) => CollectionRef) =>
      router.get(`/${pathVersion}${path}`, async (ctx) => {
        ctx.state.route = `presentation${pathVersion}_collection`;
        const version = versionOf(ctx, pathVersion);
        send(ctx, version, await service.collection(identityOf(ctx), ref(ctx), opts.baseUrl(ctx), version));
      });
    collectionRoute('/top', () => ({ kind: 'top' }));
    collectionRoute('/libraries/:id', (ctx) => ({ kind: 'library', id: parseOrThrow(Id, ctx.params.id, 'library identifier') }));
    collectionRoute('/collections/:id', (ctx) => ({
      kind: 'collection',
      id: parseOrThrow(Id, ctx.params.id, 'collection identifier'),
      ...parseOrThrow(Page, ctx.query, 'query'),
    }));
  }
  return router;
}
