/**
 * Composition root: the only file that picks concrete backends. `buildDeps(config)` makes them from
 * configuration; `createApp(deps)` mounts middleware in this order:
 * request log → metrics → error mapping → routes.
 */
import path from 'node:path';
import Koa from 'koa';
import compress from 'koa-compress';
import Router from '@koa/router';
import pino, { type Logger } from 'pino';
import { CATALOGUE_MIGRATIONS, SqliteCatalogue, type Catalogue } from './catalogue/catalogue.js';
import { catalogueRoutes } from './catalogue/routes.js';
import { projectRoot, type Config } from './config.js';
import { corsFor } from './http/caching.js';
import { parseImageRequest } from './image/iiif-url.js';
import { ItemPdfs } from './presentation/pdf.js';
import { presentationRoutes } from './presentation/routes.js';
import { PresentationService } from './presentation/service.js';
import { ocrHooks } from './presentation/ocr-annotations.js';
import { readImageRecord } from './storage/layout.js';
import { openDatabase } from './storage/sqlite.js';
import { INGEST_MIGRATIONS, JobStore } from './ingest/jobs.js';
import { ClamAvScanner } from './ingest/malware.js';
import { TesseractOcr } from './ingest/ocr.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { ingestRoutes } from './ingest/routes.js';
import { IngestRunner } from './ingest/runner.js';
import type { SearchIndex } from './search/index.js';
import { SEARCH_MIGRATIONS, SqliteSearchIndex } from './search/sqlite-index.js';
import { webRoutes } from './web/routes.js';
import { errorHandler } from './http/errors.js';
import { Metrics } from './http/metrics.js';
import { requestLog } from './http/request-log.js';
import { DiskDerivativeCache } from './image/cache.js';
import { imageRoutes } from './image/routes.js';
import { ImageService } from './image/service.js';
import { PyramidImageSource } from './image/source.js';
import { LocalBlobStore, type BlobStore } from './storage/blob-store.js';
import type { PyramidOptions } from './ingest/pyramid.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: BlobStore;
  readonly images: ImageService;
  readonly catalogue: Catalogue;
  readonly presentation: PresentationService;
  readonly pdfs: ItemPdfs;
  readonly index: SearchIndex;
  readonly jobs: JobStore;
  readonly ingest: IngestPipeline;
  readonly runner: IngestRunner;
  readonly metrics: Metrics;
  /** Releases what the deps hold open (the database). */
  close(): void;
}

export function pyramidOptions(config: Config): PyramidOptions {
  const i = config.image;
  return {
    tileSize: i.tileSize,
    quality: i.pyramidQuality,
    background: i.background,
    maxInputPixels: i.maxInputPixels,
    maxFileBytes: i.maxFileBytes,
  };
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.log.level, base: { app: 'vankho' } });
}

/** The storage backend from configuration (local disk is the only one so far). */
export function createStore(config: Config): LocalBlobStore {
  return new LocalBlobStore(config.storage.root);
}

export async function buildDeps(config: Config, logger = createLogger(config)): Promise<AppDeps> {
  const store = createStore(config);
  const swept = await store.sweepTemp();
  if (swept > 0) logger.warn({ swept }, 'removed temporary files left by an interrupted write');
  const cache = new DiskDerivativeCache(path.join(config.storage.root, 'cache', 'derivatives'), config.cache.maxBytes);
  await cache.init();
  const metrics = new Metrics();
  const images = new ImageService(new PyramidImageSource(store), cache, {
    limits: { maxWidth: config.image.maxWidth, maxHeight: config.image.maxHeight, maxArea: config.image.maxArea },
    render: { quality: config.image.outputQuality, background: config.image.background },
    onOutcome: (outcome) => metrics.imageOutcomes.inc({ outcome }),
  });
  const db = openDatabase(path.join(config.storage.root, 'catalogue.sqlite'), [...CATALOGUE_MIGRATIONS, ...SEARCH_MIGRATIONS, ...INGEST_MIGRATIONS]);
  const catalogue = new SqliteCatalogue(db, async (id) => {
    const r = await readImageRecord(store, id);
    return r && { width: r.width, height: r.height };
  });
  const presentation = new PresentationService(catalogue, { pageSize: config.presentation.collectionPageSize, hooks: ocrHooks(store), store });
  // PDF pages come through the image service, like any other derivative (and share its cache).
  const pdfs = new ItemPdfs(store, async (imageId, maxSide) => {
    const { json } = await images.info(imageId, 3, '');
    const size = Math.max(Number(json.width), Number(json.height)) <= maxSide ? 'max' : `!${maxSide},${maxSide}`;
    const request = parseImageRequest(imageId, { region: 'full', size, rotation: '0', qualityFormat: 'default.jpg' }, 3);
    return images.produce(await images.prepare(request));
  });
  const index = new SqliteSearchIndex(db);
  const jobs = new JobStore(db);
  const scan = config.ingest.malwareScan;
  const ingest = new IngestPipeline({
    store,
    catalogue,
    index,
    jobs,
    ocr: new TesseractOcr(),
    scanner: scan.enabled ? new ClamAvScanner(scan.command, scan.database) : null,
    logger,
    options: { ...config.ingest, pyramid: pyramidOptions(config) },
  });
  const runner = new IngestRunner(ingest, jobs, logger);
  return { config, logger, store, images, catalogue, presentation, pdfs, index, jobs, ingest, runner, metrics, close: () => db.close() };
}

export function createApp(deps: AppDeps): Koa {
  const { config } = deps;
  const app = new Koa({ proxy: config.server.trustProxy });
  const baseUrl = (ctx: Koa.Context) => config.server.publicBaseUrl || `${ctx.protocol}://${ctx.host}`;

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.state.route = 'healthz';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.state.route = 'metrics';
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });

  app.use(requestLog(deps.logger));
  app.use(deps.metrics.middleware());
  app.use(errorHandler(deps.logger));
  // Text only (manifests, pages, the reader bundle): images are compressed already.
  app.use(compress({ filter: (type) => /json|text|javascript|xml/i.test(type), threshold: 2048, br: false, gzip: { level: 6 } }));
  app.use(imageRoutes(deps.images, { cacheControl: config.cache.cacheControl, baseUrl }));
  app.use(corsFor('/iiif/presentation'));
  const routers = [
    router,
    presentationRoutes(deps.presentation, { cacheControl: config.cache.cacheControl, baseUrl }),
    catalogueRoutes(deps.catalogue, { staffKey: config.api.staffKey, maxBodyBytes: config.api.maxBodyBytes }),
    ingestRoutes({ store: deps.store, jobs: deps.jobs, runner: deps.runner, catalogue: deps.catalogue, staffKey: config.api.staffKey, maxUploadBytes: config.ingest.maxUploadBytes }),
    webRoutes({ catalogue: deps.catalogue, pdfs: deps.pdfs, store: deps.store, viewerDist: path.join(projectRoot, 'viewer', 'dist'), baseUrl }),
  ];
  for (const r of routers) {
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  app.silent = true; // errors are logged by errorHandler
  return app;
}
