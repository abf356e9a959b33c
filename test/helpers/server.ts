/**
 * Starts a real Văn Khố server on 127.0.0.1:0 over a fresh temporary storage root, with the real
 * backends (disk store, sharp, disk cache). Nothing of ours is mocked.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildDeps, createApp, pyramidOptions, type AppDeps } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createHttpServer } from '../../server/http/timeouts.js';
import { addImage } from '../../server/ingest/pyramid.js';
import { SESSION_COOKIE } from '../../server/auth/identity.js';
import { ocrKeys, pyramidKey, readImageRecord, type ImageRecord, type OcrPage } from '../../server/storage/layout.js';
import { track } from './fixtures.js';

export interface TestServer {
  readonly url: string;
  readonly root: string;
  readonly deps: AppDeps;
  add(file: string, id: string): Promise<ImageRecord[]>;
  /** Local path of the pyramid an image's record points to now (its current version). */
  pyramid(id: string): Promise<string>;
  get(pathname: string, init?: RequestInit): Promise<Response>;
  /** PUTs a JSON record with the staff key (the tests' catalogue writes); asserts 200. */
  put(pathname: string, body: unknown): Promise<void>;
  /**
   * A bare HTTP GET with exactly these headers. fetch() adds `Cache-Control: no-cache` to conditional
   * requests, which rightly forbids a 304; a browser revalidating its cache does not.
   */
  raw(pathname: string, headers?: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>;
  close(): Promise<void>;
}

export async function tempDir(prefix = 'vankho-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** The staff key of test servers: an administrator's bearer, for the tests' catalogue writes. */
export const TEST_STAFF_KEY = 'test-staff-key-not-for-production';
export const STAFF = Object.freeze({ Authorization: `Bearer ${TEST_STAFF_KEY}` });

/**
 * Unless overridden: images that no item shows are public (the Image API suites add bare images), and
 * the staff key above is set (loopback is not staff).
 */
export async function startTestServer(overrides: Record<string, unknown> = {}, options: { logs?: Record<string, unknown>[] } = {}): Promise<TestServer> {
  // A storage root of the test's own (a small file system mounted for it) is emptied on close, not removed.
  const own = (overrides.storage as { root?: string } | undefined)?.root;
  const root = own ?? (await tempDir());
  const config = loadConfig({
    env: {},
    overrides: {
      storage: { root },
      server: { host: '127.0.0.1', port: 0 },
      demo: { enabled: false },
      access: { unattachedImages: 'public' },
      api: { staffKey: TEST_STAFF_KEY },
      ...overrides,
    },
  });
  // `logs`: the server's log lines (info and up) as objects, for tests of what operators see.
  const logger = options.logs
    ? pino({ level: 'info' }, { write: (line: string) => void options.logs!.push(JSON.parse(line) as Record<string, unknown>) })
    : pino({ level: 'silent' });
  const deps = await buildDeps(config, logger);
  // On 127.0.0.1 unless `server.host` is overridden (a veth address, for clients in a namespace).
  const host = config.server.host;
  const server: Server = createHttpServer(createApp(deps), config.server.timeouts).listen(0, host);
  let untrack = () => {};
  const close = async () => {
    untrack();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    deps.close();
    if (own) for (const name of await readdir(root)) await rm(path.join(root, name), { recursive: true, force: true });
    else await rm(root, { recursive: true, force: true });
  };
  // Closed by the root hooks if the test file does not (test/helpers/root-hooks.ts).
  untrack = track(`test server on ${host} over ${root}`, close);
  let url: string;
  try {
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    url = `http://${host}:${(server.address() as AddressInfo).port}`;
    await deps.auth.start(url, url);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url,
    root,
    deps,
    add: (file, id) => addImage(deps.store, file, { id }, pyramidOptions(config)),
    pyramid: async (id) => {
      const record = await readImageRecord(deps.store, id);
      if (!record) throw new Error(`no image ${id}`);
      return deps.store.localPath(pyramidKey(record));
    },
    get: (pathname, init) => fetch(url + pathname, { redirect: 'manual', ...init }),
    put: async (pathname, body) => {
      const res = await fetch(url + pathname, { method: 'PUT', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...STAFF } });
      if (res.status !== 200) throw new Error(`PUT ${pathname}: ${res.status} ${await res.text()}`);
    },
    raw: (pathname, headers = {}) =>
      new Promise((resolve, reject) => {
        // Options, not a URL: the path goes out verbatim (a URL object would resolve %2e%2e). A connection
        // of its own: a kept-alive one idle past the server's keep-alive timeout can be reset as it is reused.
        http
          .get({ host, port: new URL(url).port, path: pathname, headers, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          })
          .on('error', reject);
      }),
    close,
  };
}

/** A signed-in researcher's session on the server, as the `cookie` header to send. */
export function researcherCookie(srv: TestServer): string {
  const sid = srv.deps.auth.sessions.create({
    user: { id: 'nghien-cuu', name: 'Nhà nghiên cứu', roles: ['researcher'], library: null },
    idToken: null,
    refreshToken: null,
    refreshAfter: Date.now() + 3_600_000,
  });
  return `${SESSION_COOKIE}=${sid}`;
}

/** Stores an image's OCR where ingest stores it (lines as JSON, and an ALTO placeholder). */
export async function putOcr(srv: TestServer, image: string, page: OcrPage): Promise<void> {
  await srv.deps.store.put(ocrKeys(image).lines, JSON.stringify(page));
  await srv.deps.store.put(ocrKeys(image).alto, '<alto/>');
}
