/**
 * Composition root: the only file that picks concrete backends. `buildDeps(config)` makes them from
 * configuration; `createApp(deps)` mounts middleware in this order:
 * request log → metrics → error mapping → routes.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import compress from 'koa-compress';
import Router from '@koa/router';
import pino, { type Logger } from 'pino';
import { Archive } from './archive/service.js';
import { ACCOUNT_MIGRATIONS } from './auth/accounts.js';
import { PROVIDER_MIGRATIONS } from './auth/embedded/adapter.js';
import { identityMiddleware, identityOf } from './auth/identity.js';
import { auth1Services, auth2Probe } from './auth/iiif-auth.js';
import { ANONYMOUS } from './auth/policy.js';
import { authRoutes } from './auth/routes.js';
import { Auth } from './auth/service.js';
import type { Catalogue } from './catalogue/catalogue.js';
import { CATALOGUE_MIGRATIONS, SqliteCatalogue } from './catalogue/sqlite-catalogue.js';
import { clientAddress } from './http/client-address.js';
import { sameOriginWrites } from './http/same-origin.js';
import { catalogueRoutes } from './catalogue/routes.js';
import { projectRoot, type Config } from './config.js';
import { ForbiddenError, ServiceUnavailableError, UnauthorizedError } from './errors.js';
import { corsFor } from './http/caching.js';
import { parseImageRequest } from './image/iiif-url.js';
import { ItemPdfs } from './presentation/pdf.js';
import { presentationRoutes } from './presentation/routes.js';
import { PresentationService } from './presentation/service.js';
import { readImageRecord } from './storage/layout.js';
import { openDatabase, type Db } from './storage/sqlite.js';
import { INGEST_MIGRATIONS, JobStore } from './ingest/jobs.js';
import { ClamAvScanner } from './ingest/malware.js';
import { TesseractOcr } from './ingest/ocr.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { ingestRoutes } from './ingest/routes.js';
import { IngestRunner } from './ingest/runner.js';
import type { SearchIndex } from './search/index.js';
import { ElasticsearchIndex } from './search/elasticsearch/index.js';
import { SEARCH_MIGRATIONS, SqliteSearchIndex } from './search/sqlite-index.js';
import { contentSearchRoutes } from './search/content-search-routes.js';
import { searchRoutes } from './search/routes.js';
import { webRoutes } from './web/routes.js';
import { esc, layout } from './web/html.js';
import { errorHandler } from './http/errors.js';
import { Metrics } from './http/metrics.js';
import { bodyRate } from './http/timeouts.js';
import { allowedHosts } from './http/allowed-hosts.js';
import { securityHeaders } from './http/security-headers.js';
import { requestLog } from './http/request-log.js';
import { DiskDerivativeCache } from './image/cache.js';
import { imageRoutes } from './image/routes.js';
import { ImageService, REDUCED_SUFFIX } from './image/service.js';
import { RenderPool } from './image/render-pool.js';
import { PyramidImageSource } from './image/source.js';
import { LocalBlobStore, type BlobStore } from './storage/blob-store.js';
import { finishInterruptedChanges } from './ingest/pyramid.js';
import { sweepScratch } from './storage/scratch.js';
import { sweepKept } from './ingest/retention.js';
import type { PyramidOptions } from './ingest/pyramid.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: BlobStore;
  readonly images: ImageService;
  /** Where images are rendered: its saturation is /readyz's. */
  readonly pool: RenderPool;
  readonly catalogue: Catalogue;
  /** The service layer every route reads through: asks the access policy. */
  readonly archive: Archive;
  readonly auth: Auth;
  readonly presentation: PresentationService;
  readonly pdfs: ItemPdfs;
  readonly index: SearchIndex;
  readonly jobs: JobStore;
  readonly ingest: IngestPipeline;
  readonly runner: IngestRunner;
  readonly metrics: Metrics;
  /** Releases what the deps hold open (the database, the image files kept open). */
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

/**
 * The search backend from configuration: Elasticsearch when `search.elasticsearch.url` is set, else
 * the embedded FTS5 index in the catalogue database. `needsRebuild`
 * says whether the index is new or of an older format (then the caller fills it).
 */
export async function createSearchIndex(config: Config, db: Db): Promise<{ index: SearchIndex; needsRebuild: () => Promise<boolean>; close: () => Promise<void> }> {
  const es = config.search.elasticsearch;
  if (es.url) {
    const index = ElasticsearchIndex.fromConfig(es);
    // A new alias, or indices of an older mapping: filled from the catalogue.
    return { index, needsRebuild: async () => (await index.ensureIndex()) !== null || (await index.needsRebuild()), close: () => index.close() };
  }
  const index = new SqliteSearchIndex(db);
  return { index, needsRebuild: async () => index.needsRebuild(), close: async () => {} };
}

/** The storage backend from configuration (local disk is the only one so far). */
export function createStore(config: Config): LocalBlobStore {
  return new LocalBlobStore(config.storage.root);
}

/**
 * The catalogue database (every module's migrations), its image replacements left open by a killed
 * process settled first: what `vankho image add` needs, and the start of buildDeps.
 */
export async function openCatalogue(config: Config, store: BlobStore, logger: Logger): Promise<{ db: Db; catalogue: SqliteCatalogue }> {
  const db = openDatabase(path.join(config.storage.root, 'catalogue.sqlite'), [...CATALOGUE_MIGRATIONS, ...SEARCH_MIGRATIONS, ...INGEST_MIGRATIONS, ...ACCOUNT_MIGRATIONS, ...PROVIDER_MIGRATIONS]);
  const catalogue = new SqliteCatalogue(db, async (id) => {
    const r = await readImageRecord(store, id);
    return r && { width: r.width, height: r.height };
  });
  const settled = await finishInterruptedChanges(store, catalogue);
  if (settled > 0) logger.warn({ items: settled }, 'pages of images replaced by an interrupted process given their new size');
  return { db, catalogue };
}

export async function buildDeps(config: Config, logger = createLogger(config)): Promise<AppDeps> {
  const store = createStore(config);
  // What killed processes left: temp files in storage, work folders in TMPDIR. Again every hour, for
  // the CLI runs killed beside a server that keeps running.
  const cache = new DiskDerivativeCache(path.join(config.storage.root, 'cache', 'derivatives'), config.cache.maxBytes);
  await cache.init();
  const metrics = new Metrics();
  const { db, catalogue } = await openCatalogue(config, store, logger);
  const { index, needsRebuild, close: closeIndex } = await createSearchIndex(config, db);
  const archive = new Archive(catalogue, store, index, { reducedMaxPx: config.access.reducedMaxPx, unattachedImages: config.access.unattachedImages });
  // A new index, or one whose format changed: filled from the catalogue and stored OCR before we serve.
  const prepareIndex = async () => {
    if (!(await needsRebuild())) return;
    const started = Date.now();
    const counts = await archive.indexer.rebuild();
    logger.info({ ...counts, ms: Date.now() - started }, 'search index rebuilt');
  };
  let retry: NodeJS.Timeout | undefined;
  try {
    await prepareIndex();
  } catch (err) {
    if (!(err instanceof ServiceUnavailableError)) throw err;
    // The cluster is down: images, manifests and sign-in serve on, search answers 503, and the index is
    // prepared as soon as the cluster answers.
    logger.error({ err: err.publicMessage }, 'search index not ready; retrying every 30 s');
    retry = setInterval(() => {
      prepareIndex().then(
        () => {
          clearInterval(retry);
          logger.info('search index ready');
        },
        (e: unknown) => logger.warn({ err: e instanceof ServiceUnavailableError ? e.publicMessage : e }, 'search index still not ready'),
      );
    }, 30_000).unref();
  }
  const source = new PyramidImageSource(store);
  const workers = config.image.render.workers || Math.max(1, os.availableParallelism());
  const pool = new RenderPool({ workers, queue: config.image.render.queue || 16 * workers, timeoutMs: config.image.render.timeoutSeconds * 1000 });
  metrics.watchRenderPool(() => pool.stats());
  const images = new ImageService(source, cache, {
    limits: { maxWidth: config.image.maxWidth, maxHeight: config.image.maxHeight, maxArea: config.image.maxArea },
    render: { quality: config.image.outputQuality, background: config.image.background },
    pool,
    maxRenderPixels: config.image.maxRenderPixels,
    authorize: (id, identity) => archive.imageAccess(identity, id),
    reducedMaxPx: config.access.reducedMaxPx,
    onOutcome: (outcome) => metrics.imageOutcomes.inc({ outcome }),
  });
  const presentation = new PresentationService(archive, { pageSize: config.presentation.collectionPageSize });
  // PDF pages come through the image service, like any other derivative (and share its cache). The
  // archive has checked the reader before a PDF is asked for: its pages are read as the system.
  const system = { user: { id: 'system', name: 'system', roles: ['admin' as const], library: null }, inReadingRoom: false };
  const pdfs = new ItemPdfs(store, async (imageId, maxSide) => {
    const answer = await images.info(imageId, 3, '', system);
    if (answer.kind !== 'info') throw new Error('unreachable: the system sees every image in full');
    const size = Math.max(Number(answer.json.width), Number(answer.json.height)) <= maxSide ? 'max' : `!${maxSide},${maxSide}`;
    const request = parseImageRequest(imageId, { region: 'full', size, rotation: '0', qualityFormat: 'default.jpg' }, 3);
    return images.produce(await images.prepare(request, system), undefined, { wait: true });
  });
  const auth = new Auth(config, db, store, logger);
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
  // What killed processes left (temp files in storage, work folders in TMPDIR) and what ingest keeps
  // past its time (uploads, quarantine): at start, and every hour for a server that keeps running.
  const sweep = async () => {
    const [swept, folders] = [await store.sweepTemp(), await sweepScratch()];
    if (swept + folders > 0) logger.warn({ swept, folders }, 'removed temporary files and work folders left by interrupted processes');
    const kept = await sweepKept(store, jobs, config.ingest.retention);
    if (kept.uploads + kept.quarantine > 0) logger.info(kept, 'removed uploads and quarantined files past ingest.retention');
  };
  await sweep();
  const sweeper = setInterval(() => sweep().catch((err: unknown) => logger.error({ err }, 'sweep of leftovers failed')), 3_600_000).unref();
  return { config, logger, store, images, pool, catalogue, archive, auth, presentation, pdfs, index, jobs, ingest, runner, metrics, close: () => {
      pool.close();
      source.files.closeAll();
      clearInterval(retry);
      clearInterval(sweeper);
      runner.close();
      void closeIndex();
      db.close();
    } };
}

/**
 * The metrics on a listener of their own (`metrics.port`; a firewall or the orchestrator's network keeps
 * it private): GET /metrics only, no sign-in.
 */
export async function startMetricsListener(deps: AppDeps): Promise<http.Server | null> {
  const { port, host } = deps.config.metrics;
  if (port === null) return null;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    deps.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': deps.metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => server.listen(port, host, resolve).once('error', reject));
  return server;
}

export function createApp(deps: AppDeps): Koa {
  const { config } = deps;
  // X-Forwarded-* are believed only from trusted proxies: clientAddress strips them from anyone else
  // before Koa reads them (ctx.protocol, ctx.host).
  const app = new Koa({ proxy: true });
  const baseUrl = (ctx: Koa.Context) => config.server.publicBaseUrl || `${ctx.protocol}://${ctx.host}`;

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.state.route = 'healthz';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  // Readiness, apart from liveness: 503 while the render queue is full (a load balancer then sends
  // readers elsewhere; /healthz stays 200, so an orchestrator does not restart a busy server).
  router.get('/readyz', (ctx) => {
    ctx.state.route = 'readyz';
    ctx.set('Cache-Control', 'no-store');
    const { running, queued, queueLimit, workers } = deps.pool.stats();
    const busy = deps.pool.busy();
    if (busy) ctx.set('Retry-After', '5');
    ctx.status = busy ? 503 : 200;
    ctx.body = { status: busy ? 'busy' : 'ready', render: { workers, running, queued, queueLimit } };
  });
  // Metrics say what the server is doing (queue lengths, error counts, memory): administrators only on
  // the public listener, or nothing there when they have a listener of their own (metrics.port).
  if (config.metrics.port === null) {
    router.get('/metrics', async (ctx) => {
      ctx.state.route = 'metrics';
      const user = identityOf(ctx).user;
      if (!user) throw new UnauthorizedError('the metrics are for administrators: send the staff key (Authorization: Bearer …) or sign in');
      if (!user.roles.includes('admin')) throw new ForbiddenError('the metrics are for administrators');
      ctx.set('Cache-Control', 'no-store');
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
    });
  }

  app.use(clientAddress(config.server.trustProxy));
  app.use(bodyRate(config.server.timeouts));
  app.use(requestLog(deps.logger));
  app.use(deps.metrics.middleware());
  app.use(
    securityHeaders({
      viewerFrameAncestors: config.security.viewerFrameAncestors,
      imageOrigins: config.security.imageOrigins,
      signInOrigin: config.auth.provider === 'oidc' && config.auth.issuer ? new URL(config.auth.issuer).origin : '',
    }),
  );
  // Error pages in the site's layout (header, search, footer), in the reader's language.
  app.use(errorHandler(deps.logger, (p) => layout({ lang: p.lang, title: `${p.status} · ${p.heading}`, path: p.path, body: `<h1>${p.heading}</h1><p>${esc(p.message)}</p>${p.links}` })));
  app.use(allowedHosts({ publicBaseUrl: config.server.publicBaseUrl, allowed: config.server.allowedHosts, bind: config.server.host }));
  const { auth, archive } = deps;
  const auths = authRoutes({
    auth,
    registration: config.auth.registration,
    embedOrigins: config.access.embedOrigins,
    libraryExists: async (id) => !!(await deps.catalogue.getLibrary(id).catch(() => null)),
    imageAccess: (id, identity) => archive.imageAccess(identity, id),
    reducedInfoUrl: (id) => `${auth.site}/iiif/3/${encodeURIComponent(id)}${REDUCED_SUFFIX}/info.json`,
  });
  // The embedded provider answers its own paths before our middleware touches the request.
  app.use(auths.provider);
  app.use(sameOriginWrites(baseUrl));
  app.use(
    identityMiddleware({
      staffKey: config.api.staffKey,
      readingRoom: config.access.readingRoom,
      sessions: auth.sessions,
      iiifTokens: auth.iiifTokens,
      oidc: () => auth.oidc,
      refresh: (sid) => auth.refresh(sid),
      logger: deps.logger,
    }),
  );
  // Text only (manifests, pages, the reader bundle): images are compressed already.
  app.use(compress({ filter: (type) => /json|text|javascript|xml/i.test(type), threshold: 2048, br: false, gzip: { level: 6 } }));
  // IIIF Authorization services of images that are not public: login (or the reading room's external
  // profile) for Auth 1.0, the probe service for 2.0.
  const authServices = async (imageId: string, site: string) => {
    const anonymous = await archive.imageAccess(ANONYMOUS, imageId);
    if (anonymous.effect === 'allow') return [];
    const profile = anonymous.effect === 'deny' && anonymous.reason === 'forbidden' && /reading room/.test(anonymous.message) ? 'kiosk' : 'login';
    return [...auth1Services(site, profile), auth2Probe(site, imageId, profile)];
  };
  app.use(imageRoutes(deps.images, { cacheControl: config.cache.cacheControl, baseUrl, authServices }));
  app.use(corsFor('/iiif/presentation'));
  const routers = [
    router,
    auths.router,
    presentationRoutes(deps.presentation, { cacheControl: config.cache.cacheControl, baseUrl }),
    contentSearchRoutes(archive, { baseUrl, cacheControl: config.cache.cacheControl }),
    catalogueRoutes(archive, { maxBodyBytes: config.api.maxBodyBytes }),
    searchRoutes(archive, { baseUrl }),
    ingestRoutes({ store: deps.store, jobs: deps.jobs, runner: deps.runner, archive, maxUploadBytes: config.ingest.maxUploadBytes }),
    webRoutes({ archive, pdfs: deps.pdfs, viewerDist: path.join(projectRoot, 'viewer', 'dist'), baseUrl }),
  ];
  for (const r of routers) {
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  // Errors before the answer starts are logged by errorHandler; these come after it started (a stored
  // file's stream failing mid-send), when Koa can only cut the connection. A client that left is no error.
  app.silent = true;
  app.on('error', (err: NodeJS.ErrnoException, ctx?: Koa.Context) => {
    // HPE_*: the client's bytes could not be parsed (a request cut short mid-body).
    const gone =
      ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(err.code ?? '') ||
      (err.code ?? '').startsWith('HPE_') ||
      Boolean(ctx?.req.readableAborted || (ctx?.req.destroyed && !ctx.req.complete));
    deps.logger[gone ? 'debug' : 'error']({ err, method: ctx?.method, path: ctx?.path }, gone ? 'client left during the answer' : 'error while answering');
  });
  return app;
}
