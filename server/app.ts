/**
 * Composition root: the only file that picks concrete backends. `buildDeps(config)` makes them from
 * configuration; `createApp(deps)` mounts middleware in this order:
 * request log → metrics → error mapping → routes.
 */
import path from 'node:path';
import Koa from 'koa';
import Router from '@koa/router';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
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
  readonly metrics: Metrics;
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
  return { config, logger, store, images, metrics };
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
  app.use(imageRoutes(deps.images, { cacheControl: config.cache.cacheControl, baseUrl }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.silent = true; // errors are logged by errorHandler
  return app;
}
