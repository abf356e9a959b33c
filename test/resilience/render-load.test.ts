/**
 * The image server under load that would exhaust it: a bounded render pool (image/render-pool.ts) that
 * refuses what it cannot queue (503 + Retry-After), keeps cheap answers (info.json, stored tiles)
 * flowing while it is full, stops the renders of clients that left, stops renders that run too long,
 * survives a render process dying, and keeps rotated output and per-request pixels within the limits.
 * Real HTTP on 127.0.0.1, real sharp in real child processes.
 */
import { assert } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import sharp from 'sharp';
import { STAFF, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

/** A 6 000 × 4 500 scan of noise: slow to decode and to encode, as a heavy render should be. */
async function noiseScan(): Promise<string> {
  const file = path.join(await tempDir('vankho-noise-'), 'scan.jpg');
  await sharp({ create: { width: 6000, height: 4500, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 92 })
    .toFile(file);
  return file;
}

/** A GET that can be cut off from the client side (the socket destroyed, as a closed tab does). */
function request(url: string): { done: Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>; cut: () => void } {
  const req = http.get(url, { agent: false });
  const done = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { done, cut: () => req.destroy() };
}

/** Render processes of this test process (the pool's children), with their CPU ticks so far. */
function renderProcesses(): { pid: number; ticks: number }[] {
  const found: { pid: number; ticks: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid || fields[0] === 'Z') continue;
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('render-worker')) continue;
      found.push({ pid: Number(name), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const until = async (what: string, check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const heavy = (srv: TestServer, n: number) => `${srv.url}/iiif/3/big/full/max/${n}/default.png`;

describe('resilience: image renders under load', function () {
  this.timeout(180_000);
  let scan: string;
  let srv: TestServer;

  before(async () => {
    scan = await noiseScan();
    // Two renders at once, two waiting; nothing cached, so that every request renders.
    srv = await startTestServer({ image: { render: { workers: 2, queue: 2, timeoutSeconds: 120 } }, cache: { maxBytes: 0 } });
    await srv.add(scan, 'big');
  });
  after(async () => {
    await srv?.close();
    if (scan) await import('node:fs/promises').then((fs) => fs.rm(path.dirname(scan), { recursive: true, force: true }));
  });

  it('refuses renders past the queue with 503 and Retry-After, answers cheap requests meanwhile, and stops the renders of clients that left', async () => {
    const pool = srv.deps.pool;
    const before = pool.stats();
    const inFlight = [1, 2, 3, 4].map((n) => request(heavy(srv, n)));
    await until('two renders running and two waiting', () => pool.stats().running === 2 && pool.stats().queued === 2);

    // The queue is full: more renders are refused at once, with a reason and when to come back.
    const refused = await Promise.all([5, 6, 7].map((n) => request(heavy(srv, n)).done));
    for (const r of refused) {
      assert.strictEqual(r.status, 503);
      assert.match(r.body.toString(), /overloaded: the image server is busy/);
      assert.isAtLeast(Number(r.headers['retry-after']), 1);
    }
    // Cheap answers do not wait behind renders: the image information, a stored tile, the thumbnail
    // size stored pre-rendered; readiness says busy, liveness stays up.
    const info = await srv.get('/iiif/3/big/info.json');
    assert.strictEqual(info.status, 200);
    const tile = await srv.get('/iiif/3/big/0,0,256,256/256,/0/default.jpg');
    assert.strictEqual(tile.status, 200);
    assert.strictEqual((await sharp(Buffer.from(await tile.arrayBuffer())).metadata()).width, 256);
    const ready = await srv.get('/readyz');
    assert.strictEqual(ready.status, 503);
    assert.strictEqual(((await ready.json()) as { status: string }).status, 'busy');
    assert.strictEqual((await srv.get('/healthz')).status, 200);
    assert.isTrue(pool.saturated(), 'all of that was answered while the queue stayed full');

    // The clients leave: their queued renders are dropped and the running ones stopped; the render
    // processes are killed and nothing renders any more within a few seconds. (Cut once the renders
    // have run past the grace a short render gets: over a second of CPU each.)
    const pids = renderProcesses().map((p) => p.pid);
    assert.lengthOf(pids, 2, 'one process a running render');
    const started = Object.fromEntries(renderProcesses().map((p) => [p.pid, p.ticks]));
    await until('both rendering for over a second', () => renderProcesses().filter((p) => p.ticks - (started[p.pid] ?? 0) > 100).length === 2);
    for (const r of inFlight) r.cut();
    await until('the pool idle', () => pool.stats().running === 0 && pool.stats().queued === 0, 5_000);
    await until('the render processes gone', () => renderProcesses().every((p) => !pids.includes(p.pid)), 5_000);
    const cpu0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 1000));
    const cpu = process.cpuUsage(cpu0);
    assert.isBelow((cpu.user + cpu.system) / 1e6, 0.3, 'the server is idle again (CPU seconds over one second)');
    const after = pool.stats();
    assert.strictEqual(after.cancelled - before.cancelled, 4);
    assert.strictEqual(after.rejected - before.rejected, 3);
    assert.strictEqual((await srv.get('/readyz')).status, 200);

    // What operators watch.
    const metrics = await (await srv.get('/metrics', { headers: STAFF })).text();
    assert.match(metrics, /^vankho_render_rejected_total \d+/m);
    assert.match(metrics, new RegExp(`^vankho_render_cancelled_total ${after.cancelled}$`, 'm'));
    assert.match(metrics, /^vankho_render_queue_limit 2$/m);
  });

  it('renders what it queued once a process is free', async () => {
    const small = (n: number) => request(`${srv.url}/iiif/3/big/full/600,/${n}/default.jpg`).done;
    const answers = await Promise.all([10, 20, 30, 40].map(small));
    for (const a of answers) {
      assert.strictEqual(a.status, 200);
      const m = await sharp(a.body).metadata();
      assert.isAbove(m.width!, 600, 'rotated: the bounding box is wider than the image');
    }
  });

  it('lets a short render whose client left finish in its process rather than start a new one', async () => {
    await srv.get('/iiif/3/big/full/64,/0/default.png'); // the processes are up
    const pids = renderProcesses().map((p) => p.pid).sort();
    const before = srv.deps.pool.stats();
    // A PNG of 1 200 px of noise: a few hundred milliseconds, within the grace of a second.
    const r = request(`${srv.url}/iiif/3/big/full/1200,/0/default.png`);
    await until('the render running', () => srv.deps.pool.stats().running === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    r.cut();
    await until('the pool idle', () => srv.deps.pool.stats().running === 0, 5_000);
    const after = srv.deps.pool.stats();
    assert.strictEqual(after.cancelled - before.cancelled, 1);
    assert.strictEqual(after.completed - before.completed, 1, 'the render finished, its answer dropped');
    assert.deepEqual(renderProcesses().map((p) => p.pid).sort(), pids, 'no process killed or started');
  });

  it("builds an item's PDF while the queue is full (the server's own renders wait), and readiness recovers only once the queue has drained to half", async () => {
    const one = await startTestServer({ image: { render: { workers: 1, queue: 4, timeoutSeconds: 120 } }, cache: { maxBytes: 0 } });
    try {
      await one.add(scan, 'big');
      await one.deps.catalogue.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh' } });
      await one.deps.catalogue.putCollection({ id: 'bo-suu-tap', library: 'tinh', label: { vi: 'Bộ sưu tập' } });
      await one.deps.catalogue.putItem({ id: 'ban-do', collection: 'bo-suu-tap', kind: 'map', canvases: [{ image: 'big' }], description: { title: { vi: 'Bản đồ' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/NoC-NC/1.0/' } });
      const pool = one.deps.pool;
      const inFlight = [1, 2, 3, 4, 5].map((n) => request(heavy(one, n)));
      await until('one running, four waiting', () => pool.stats().running === 1 && pool.stats().queued === 4);
      const readiness = async () => (await one.get('/readyz')).status;
      assert.strictEqual(await readiness(), 503);
      const pdf = request(`${one.url}/items/ban-do/pdf`);
      await until("the PDF's page queued past the limit", () => pool.stats().queued === 5);
      // Clients leave one by one: the queue is no longer full, but readiness waits until it is half.
      inFlight[4]!.cut();
      inFlight[3]!.cut();
      await until('three waiting', () => pool.stats().queued === 3);
      assert.isFalse(pool.saturated());
      assert.strictEqual(await readiness(), 503, 'busy until drained to half');
      inFlight[2]!.cut();
      await until('two waiting', () => pool.stats().queued === 2);
      assert.strictEqual(await readiness(), 200);
      for (const r of inFlight) r.cut();
      const answer = await pdf.done;
      assert.strictEqual(answer.status, 200, answer.body.toString().slice(0, 200));
      assert.strictEqual(answer.body.subarray(0, 5).toString(), '%PDF-');
    } finally {
      await one.close();
    }
  });

  it('answers 500 when a render process dies under a render, and renders the next request', async () => {
    const pending = request(heavy(srv, 11));
    await until('a render running', () => srv.deps.pool.stats().running === 1);
    await until('its process seen', () => renderProcesses().length > 0);
    const before = srv.deps.pool.stats().crashed;
    for (const p of renderProcesses()) process.kill(p.pid, 'SIGKILL');
    const r = await pending.done;
    assert.strictEqual(r.status, 500);
    assert.notInclude(r.body.toString(), 'render-worker', 'nothing of the server inside');
    assert.strictEqual(srv.deps.pool.stats().crashed, before + 1);
    assert.strictEqual((await srv.get('/iiif/3/big/full/300,/0/default.jpg')).status, 200);
  });

  it('stops a render that runs past its time: 503 render_timeout, and serves on', async () => {
    const quick = await startTestServer({ image: { render: { workers: 1, queue: 1, timeoutSeconds: 0.2 } }, cache: { maxBytes: 0 } });
    try {
      await quick.add(scan, 'big');
      const r = await request(heavy(quick, 45)).done;
      assert.strictEqual(r.status, 503);
      assert.match(r.body.toString(), /render_timeout: rendering this image took longer than 0.2 s and was stopped/);
      assert.isAtLeast(Number(r.headers['retry-after']), 1);
      assert.strictEqual(quick.deps.pool.stats().timedOut, 1);
      // The pool serves on: a small render (its process is started anew) is answered.
      assert.strictEqual((await quick.get('/iiif/3/big/0,0,256,256/256,/0/default.jpg')).status, 200, 'a stored tile');
      assert.strictEqual((await quick.get('/iiif/3/big/full/64,/0/default.png')).status, 200, 'a small render');
    } finally {
      await quick.close();
    }
  });

  it('keeps a rotated image within maxArea, and a request within its pixel budget', async () => {
    // maxRenderPixels lets the largest plain and rotated `max` through (6.75 MP read at the second
    // level + 4 MP out), not a region read at full resolution for nearly as large an output.
    const limited = await startTestServer({ image: { maxArea: 4_000_000, maxWidth: 3000, maxHeight: 3000, maxRenderPixels: 10_800_000 } });
    try {
      await limited.add(scan, 'big');
      for (const rotation of ['45', '30', '90', '0']) {
        const r = await limited.get(`/iiif/3/big/full/max/${rotation}/default.jpg`);
        assert.strictEqual(r.status, 200, rotation);
        const m = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
        assert.isAtMost(m.width! * m.height!, 4_000_000, `${rotation}°: ${m.width}×${m.height}`);
        assert.isAtMost(m.width!, 3000, rotation);
        assert.isAtMost(m.height!, 3000, rotation);
      }
      const over = await limited.get('/iiif/3/big/full/2000,/45/default.jpg');
      assert.strictEqual(over.status, 400);
      assert.match(await over.text(), /rotated by 45° is \d+×\d+, over this server's limits/);
      // 3 200 × 2 400 read at full resolution (7.7 MP) for 2 300 × 1 725 (4.0 MP, within maxArea).
      const budget = await limited.get('/iiif/3/big/0,0,3200,2400/2300,/0/default.jpg');
      assert.strictEqual(budget.status, 400);
      assert.match(await budget.text(), /over_pixel_budget: .* 11,647,500 pixels, over its budget of 10,800,000/);
      assert.strictEqual((await limited.get('/iiif/3/big/0,0,256,256/256,/0/default.jpg')).status, 200, 'a stored tile is no render');
    } finally {
      await limited.close();
    }
  });
});
