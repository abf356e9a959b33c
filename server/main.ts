/**
 * Starts the HTTP server: config → deps → app → listen. Drains on SIGTERM/SIGINT: stops accepting,
 * lets requests in flight finish (at most 10 s), then exits.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildDeps, createApp, pyramidOptions } from './app.js';
import type { Config } from './config.js';
import { prepareDemo } from './demo.js';
import { TesseractOcr } from './ingest/ocr.js';

export async function startServer(config: Config): Promise<{ server: Server; url: string }> {
  const deps = await buildDeps(config);
  if (config.demo.enabled) {
    const items = await prepareDemo(deps.store, deps.catalogue, pyramidOptions(config), deps.logger, {
      ocr: new TesseractOcr(),
      index: (id) => deps.archive.indexer.item(id, { pages: true }),
    });
    deps.logger.info({ items }, 'demo collection ready');
  }
  // Jobs a crash or a kill left unfinished go on.
  deps.runner.kick();
  const app = createApp(deps);
  const server = app.listen(config.server.port, config.server.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.server.host}:${port}`;
  // Sign-in needs the site's own address: the public one when set, else where we listen.
  const local = `http://${config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host}:${port}`;
  await deps.auth.start(config.server.publicBaseUrl || local, local);
  deps.logger.info({ url }, 'listening');

  const stop = (signal: string) => {
    deps.logger.info({ signal }, 'draining');
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return { server, url };
}
