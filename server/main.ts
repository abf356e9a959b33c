/**
 * Starts the HTTP server: config → deps → app → listen. Drains on SIGTERM/SIGINT: stops accepting,
 * lets requests in flight finish (at most 10 s), then exits.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildDeps, createApp, pyramidOptions, startMetricsListener } from './app.js';
import type { Config } from './config.js';
import { prepareDemo } from './demo.js';
import { TesseractOcr } from './ingest/ocr.js';
import { createHttpServer } from './http/timeouts.js';

export async function startServer(config: Config): Promise<{ server: Server; url: string }> {
  // Signals are handled from the start, not only once listening: an orchestrator may stop us while the
  // catalogue opens, the demo is prepared or sign-in starts (its health check passes as soon as we listen),
  // and must still see exit 0.
  let deps: Awaited<ReturnType<typeof buildDeps>> | undefined;
  let server: Server | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps?.logger.info({ signal }, 'draining');
    if (!server?.listening) process.exit(0);
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const d = (deps = await buildDeps(config));
  if (config.demo.enabled) {
    const items = await prepareDemo(d.store, d.catalogue, pyramidOptions(config), d.logger, {
      ocr: new TesseractOcr(),
      index: (id) => d.archive.indexer.item(id, { pages: true }),
    });
    d.logger.info({ items }, 'demo collection ready');
  }
  // Jobs a crash or a kill left unfinished go on.
  d.runner.kick();
  const app = createApp(d);
  const listening = createHttpServer(app, config.server.timeouts).listen(config.server.port, config.server.host);
  server = listening;
  await new Promise<void>((resolve, reject) => {
    listening.once('listening', resolve);
    listening.once('error', reject);
  });
  const { port } = listening.address() as AddressInfo;
  const url = `http://${config.server.host}:${port}`;
  // Sign-in needs the site's own address: the public one when set, else where we listen.
  const local = `http://${config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host}:${port}`;
  await d.auth.start(config.server.publicBaseUrl || local, local);
  const metrics = await startMetricsListener(d);
  if (metrics) d.logger.info({ metrics: `http://${config.metrics.host}:${(metrics.address() as AddressInfo).port}/metrics` }, 'metrics listening');
  d.logger.info({ url }, 'listening');
  return { server: listening, url };
}
