/**
 * The server as an operator sees it: the `vankho serve` process with the demo, health, metrics,
 * the request log, a bad configuration refused at start, and a clean drain on SIGTERM.
 */
import { assert } from 'chai';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'mocha';
import pino from 'pino';
import { buildDeps, createApp } from '../../server/app.js';
import { loadConfig, projectRoot } from '../../server/config.js';
import { rejects } from '../helpers/assert.js';
import { trackChild } from '../helpers/fixtures.js';
import { STAFF, startTestServer, tempDir, TEST_STAFF_KEY } from '../helpers/server.js';
import { VALIDATOR_ID, validatorImage } from '../helpers/shared.js';

const TSX = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
const CLI = path.join(projectRoot, 'server', 'cli.ts');

/** Starts `vankho serve` and resolves with its URL once it logs that it listens. */
function serve(env: Record<string, string>) {
  // SIGTERM when left running: the tsx binary passes it on to the server, its child.
  const child = trackChild(spawn(TSX, [CLI, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }), 'vankho serve', 'SIGTERM');
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)","msg":"listening"/.exec(out);
      if (m) resolve(m[1]!);
    });
    exited.then((code) => reject(new Error(`exited ${code} before listening: ${err}${out}`)));
  });
  return { child, listening, exited, output: () => out + err };
}

describe('vankho serve', () => {
  it('starts on a fresh storage root with the demo images ready, and drains on SIGTERM', async () => {
    const root = await tempDir();
    const s = serve({ VANKHO_STORAGE_ROOT: root, VANKHO_SERVER_PORT: '0', VANKHO_API_STAFF_KEY: TEST_STAFF_KEY });
    const url = await s.listening;
    for (const id of ['ndl-2568591-15', 'ndl-3508165-09']) {
      const info = (await (await fetch(`${url}/iiif/3/${id}/info.json`)).json()) as { width: number };
      assert.ok(info.width > 0, id);
    }
    // The validator's image is on no demo item: by default (access.unattachedImages "staff") it is
    // stored and served to staff only, and answers 404 to anyone else.
    assert.strictEqual((await fetch(`${url}/iiif/3/${VALIDATOR_ID}/info.json`)).status, 404);
    const info = (await (await fetch(`${url}/iiif/3/${VALIDATOR_ID}/info.json`, { headers: STAFF })).json()) as { width: number };
    assert.ok(info.width > 0, VALIDATOR_ID);
    const tile = await fetch(`${url}/iiif/3/ndl-2568591-15/0,0,256,256/256,/0/default.jpg`);
    assert.strictEqual(tile.status, 200);
    assert.strictEqual(tile.headers.get('content-type'), 'image/jpeg');
    s.child.kill('SIGTERM');
    assert.strictEqual(await s.exited, 0);
    assert.match(s.output(), /"msg":"draining"/);
  });

  it('exits 0 on SIGTERM that comes while the demo is still being prepared, before it listens', async () => {
    const s = serve({ VANKHO_STORAGE_ROOT: await tempDir(), VANKHO_SERVER_PORT: '0' });
    s.listening.catch(() => undefined);
    const started = Date.now();
    while (!/"msg":"demo image added"/.test(s.output()) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    assert.notMatch(s.output(), /"msg":"listening"/, 'still preparing the demo when stopped');
    s.child.kill('SIGTERM');
    assert.strictEqual(await s.exited, 0, s.output().slice(-2000));
    assert.match(s.output(), /"signal":"SIGTERM","msg":"draining"/);
  });

  it('refuses to start on a bad setting, naming the key', async () => {
    const s = serve({ VANKHO_STORAGE_ROOT: await tempDir(), VANKHO_SERVER_PORT: 'eighty' });
    await rejects(s.listening, /server\.port: .*\(from VANKHO_SERVER_PORT\)/);
    assert.strictEqual(await s.exited, 2);
  });
});

describe('operations endpoints', () => {
  it('/healthz answers ok', async () => {
    const srv = await startTestServer();
    try {
      const res = await srv.get('/healthz');
      assert.strictEqual(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ok' });
    } finally {
      await srv.close();
    }
  });

  it('/metrics counts requests per route and status, latency per route, and cache outcomes', async () => {
    const srv = await startTestServer();
    try {
      await srv.add(validatorImage(), VALIDATOR_ID);
      await (await srv.get(`/iiif/3/${VALIDATOR_ID}/info.json`)).arrayBuffer();
      await (await srv.get(`/iiif/3/${VALIDATOR_ID}/full/50,/0/default.png`)).arrayBuffer();
      await (await srv.get(`/iiif/3/${VALIDATOR_ID}/full/50,/0/default.png`)).arrayBuffer();
      await (await srv.get(`/iiif/3/${VALIDATOR_ID}/full/50,/0/nope.png`)).arrayBuffer();
      await (await srv.get(`/no/such/page/${Math.random()}`)).arrayBuffer();
      const res = await srv.get('/metrics', { headers: STAFF });
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /vankho_http_requests_total\{route="iiif3_info",method="GET",status="200"\} 1/);
      assert.match(text, /vankho_http_requests_total\{route="iiif3_image",method="GET",status="200"\} 2/);
      assert.match(text, /vankho_http_requests_total\{route="iiif3_image",method="GET",status="400"\} 1/);
      assert.match(text, /vankho_http_requests_total\{route="other",method="GET",status="404"\} 1/);
      assert.match(text, /vankho_http_request_duration_seconds_bucket\{le="0.05",route="iiif3_image",method="GET"\} \d+/);
      assert.match(text, /vankho_image_responses_total\{outcome="miss"\} 1/);
      assert.match(text, /vankho_image_responses_total\{outcome="hit"\} 1/);
      assert.match(text, /vankho_process_resident_memory_bytes \d+/);
    } finally {
      await srv.close();
    }
  });

  it('logs one line per request with method, path, status and ms', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const config = loadConfig({ env: {}, overrides: { storage: { root: await tempDir() }, demo: { enabled: false } } });
    const deps = await buildDeps(config, pino({ level: 'info' }, sink));
    const server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as AddressInfo).port;
      await (await fetch(`http://127.0.0.1:${port}/iiif/3/missing/info.json`)).arrayBuffer();
      const req = lines.filter((l) => l.msg === 'request');
      assert.strictEqual(req.length, 1);
      assert.strictEqual(req[0]!.method, 'GET');
      assert.strictEqual(req[0]!.path, '/iiif/3/missing/info.json');
      assert.strictEqual(req[0]!.status, 404);
      assert.strictEqual(typeof req[0]!.ms, 'number');
    } finally {
      server.close();
    }
  });
});
