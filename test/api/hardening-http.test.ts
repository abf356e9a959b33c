/**
 * Hosts and headers: the Host names answered (DNS rebinding, names planted in cached ids), security
 * headers on HTML pages (CSP, framing, nosniff, referrer), the metrics kept to administrators or to a
 * listener of their own, and no staff rights for a same-host proxy or a cross-site upload.
 */
import { assert } from 'chai';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { BadRequestError } from '../../server/errors.js';
import { errorHandler } from '../../server/http/errors.js';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { startMetricsListener } from '../../server/app.js';
import { data } from '../helpers/shared.js';
import { STAFF, startTestServer, type TestServer } from '../helpers/server.js';

describe('hardening: hosts and headers', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    await srv.add(data('manuscripts', '2568591_15.jpg'), 'anh');
  });
  after(() => srv?.close());

  const port = () => new URL(srv.url).port;

  it('answers only its own host names when no public base URL is set: another Host is a 400, never reflected', async () => {
    // Userinfo tricks: `http://localhost:80@evil.example` is evil.example to a URL parser.
    for (const host of ['evil.example', `evil.example:${port()}`, 'thuvien.example.vn.evil.example', '[2001:db8::1]:80', 'localhost:80@evil.example', '[::1]@evil.example', 'localhost/evil', 'localhost:']) {
      const r = await srv.raw('/iiif/3/anh/info.json', { Host: host });
      assert.strictEqual(r.status, 400, host);
      assert.match(r.body.toString(), /unknown_host: (this server does not answer to the host name|the Host header is not a host name and port)/, host);
      assert.notInclude(String(r.headers['cache-control']), 'public', 'an error is not cached');
    }
    const redirect = await srv.raw('/iiif/3/anh', { Host: 'evil.example' });
    assert.strictEqual(redirect.status, 400, 'no 303 to the planted name');
    assert.isUndefined(redirect.headers.location);
    for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, 'LOCALHOST', 'localhost.', `[::1]:${port()}`]) {
      const r = await srv.raw('/iiif/3/anh/info.json', { Host: host });
      assert.strictEqual(r.status, 200, host);
      assert.include(JSON.parse(r.body.toString()).id.toLowerCase(), host.toLowerCase(), 'ids on the name asked for');
    }
  });

  it('answers the configured host names, and any Host when a public base URL is set (never reflected then)', async () => {
    const named = await startTestServer({ server: { allowedHosts: ['thuvien.example.vn'] } });
    try {
      await named.add(data('manuscripts', '2568591_15.jpg'), 'anh');
      const ok = await named.raw('/iiif/3/anh/info.json', { Host: 'thuvien.example.vn' });
      assert.strictEqual(ok.status, 200);
      assert.strictEqual(JSON.parse(ok.body.toString()).id, 'http://thuvien.example.vn/iiif/3/anh');
      assert.strictEqual((await named.raw('/healthz', { Host: `localhost:${new URL(named.url).port}` })).status, 200, 'loopback names stay answered (health checks)');
      assert.strictEqual((await named.raw('/healthz', { Host: 'other.example' })).status, 400);
    } finally {
      await named.close();
    }
    const fixed = await startTestServer({ server: { publicBaseUrl: 'https://thuvien.example.vn' } });
    try {
      await fixed.add(data('manuscripts', '2568591_15.jpg'), 'anh');
      const r = await fixed.raw('/iiif/3/anh/info.json', { Host: 'evil.example' });
      assert.strictEqual(r.status, 200);
      assert.strictEqual(JSON.parse(r.body.toString()).id, 'https://thuvien.example.vn/iiif/3/anh');
    } finally {
      await fixed.close();
    }
  });

  it('sends a content security policy, nosniff and a referrer policy with every page; only the reader may be framed by others', async () => {
    const home = await srv.raw('/');
    assert.strictEqual(home.status, 200);
    const csp = String(home.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline script, no eval');
    assert.notInclude(csp, 'unsafe-eval');
    assert.match(csp, /frame-ancestors 'self'(;|$)/);
    assert.match(csp, /object-src 'none'/);
    assert.strictEqual(home.headers['x-frame-options'], 'SAMEORIGIN');
    assert.strictEqual(home.headers['x-content-type-options'], 'nosniff');
    assert.strictEqual(home.headers['referrer-policy'], 'strict-origin-when-cross-origin');
    // An error page is a page too.
    const missing = await srv.raw('/items/khong-co');
    assert.strictEqual(missing.status, 404);
    assert.match(String(missing.headers['content-security-policy']), /frame-ancestors 'self'/);

    const viewer = await srv.raw('/viewer');
    assert.strictEqual(viewer.status, 200);
    assert.match(String(viewer.headers['content-security-policy']), /frame-ancestors \*(;|$)/, 'partners frame the reader (default: any site)');
    assert.isUndefined(viewer.headers['x-frame-options']);
    // JSON is not a page: no CSP, but nosniff.
    const info = await srv.raw('/iiif/3/anh/info.json');
    assert.isUndefined(info.headers['content-security-policy']);
    assert.strictEqual(info.headers['x-content-type-options'], 'nosniff');
  });

  it('lets the configured partners frame the reader and serve it images', async () => {
    const s = await startTestServer({ security: { viewerFrameAncestors: ['https://thuvien.example.org'], imageOrigins: ['https://iiif.example.org'] } });
    try {
      const csp = String((await s.raw('/viewer')).headers['content-security-policy']);
      assert.match(csp, /frame-ancestors 'self' https:\/\/thuvien\.example\.org(;|$)/);
      assert.match(csp, /img-src 'self' data: blob: https:\/\/iiif\.example\.org/);
      assert.match(csp, /connect-src 'self' https:\/\/iiif\.example\.org/);
      assert.match(String((await s.raw('/')).headers['content-security-policy']), /frame-ancestors 'self'(;|$)/, 'other pages stay unframed');
    } finally {
      await s.close();
    }
  });

  it('keeps /metrics to administrators, or serves it on a listener of its own', async () => {
    assert.strictEqual((await srv.get('/metrics')).status, 401);
    const metrics = await srv.get('/metrics', { headers: STAFF });
    assert.strictEqual(metrics.status, 200);
    assert.match(await metrics.text(), /^vankho_http_requests_total/m);

    const apart = await startTestServer({ metrics: { host: '127.0.0.1', port: 0 } });
    const listener = await startMetricsListener(apart.deps);
    try {
      assert.strictEqual((await apart.get('/metrics', { headers: STAFF })).status, 404, 'not on the public listener');
      const address = listener!.address() as { port: number };
      const own = await fetch(`http://127.0.0.1:${address.port}/metrics`);
      assert.strictEqual(own.status, 200);
      assert.match(await own.text(), /^vankho_render_queue_limit \d+/m);
    } finally {
      listener?.close();
      await apart.close();
    }
  });

  it('gives no staff rights to a same-host proxy or to a cross-site upload', async () => {
    // A reverse proxy on this machine forwards a reader's request: it arrives from 127.0.0.1.
    const viaProxy = await srv.raw('/api/ingest?collection=x', { 'X-Forwarded-For': '203.0.113.9' });
    assert.include([401, 404, 405], viaProxy.status, 'loopback is not staff');
    const upload = await fetch(`${srv.url}/api/ingest?collection=x&item=y`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: Buffer.alloc(10) });
    assert.strictEqual(upload.status, 401, 'a POST from loopback without credentials');
    const crossSite = await fetch(`${srv.url}/api/ingest?collection=x&item=y`, {
      method: 'POST',
      headers: { ...STAFF, Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'image/jpeg' },
      body: Buffer.alloc(10),
    });
    assert.strictEqual(crossSite.status, 403);
    assert.match(await crossSite.text(), /cross_site/);
  });
});

describe('hardening: errors that are not ours', () => {
  it('takes an upload the client cut short as the client leaving: not a logged 500, nothing kept', async () => {
    const logs: Record<string, unknown>[] = [];
    const srv = await startTestServer({}, { logs });
    try {
      await srv.deps.catalogue.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh' } });
      await srv.deps.catalogue.putCollection({ id: 'so-hoa', library: 'tinh', label: { vi: 'Số hoá' } });
      const { port } = new URL(srv.url);
      await new Promise<void>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/ingest?collection=so-hoa&filename=to-lon.tif', headers: { ...STAFF, 'Content-Length': String(5_000_000) } });
        req.on('error', () => resolve());
        req.write(Buffer.alloc(200_000, 7), () => setTimeout(() => req.destroy(), 200));
        req.on('close', () => resolve());
      });
      const deadline = Date.now() + 5000;
      while (!logs.some((l) => l.msg === 'client aborted its request') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.isTrue(logs.some((l) => l.msg === 'client aborted its request'), JSON.stringify(logs.map((l) => l.msg)));
      assert.isFalse(logs.some((l) => Number(l.level) >= 50), `no error logged: ${JSON.stringify(logs.filter((l) => Number(l.level) >= 50))}`);
      assert.deepEqual(await readdir(path.join(srv.root, '.tmp')).catch(() => []), [], 'the partial upload is removed');
      assert.deepEqual(await readdir(path.join(srv.root, 'uploads')).catch(() => []), []);
      assert.deepEqual(srv.deps.jobs.all(), []);
    } finally {
      await srv.close();
    }
  });
});

describe('hardening: error pages say whose fault it is', () => {
  it('an HTML 500 is a server error (no detail), a full disk a 507, a client mistake a 400', async () => {
    const app = new Koa();
    app.use(errorHandler(pino({ level: 'silent' })));
    app.use(async (ctx) => {
      ctx.state.errorFormat = 'html';
      if (ctx.path === '/loi') throw new Error('boom at /srv/vankho/secret');
      if (ctx.path === '/day') throw Object.assign(new Error("ENOSPC: no space left on device, write '/srv/vankho/.tmp/x'"), { code: 'ENOSPC' });
      throw new BadRequestError('invalid_query', 'q: must not be empty');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const bug = await fetch(`${base}/loi`);
      const bugPage = await bug.text();
      assert.strictEqual(bug.status, 500);
      assert.include(bugPage, '<h1>Lỗi máy chủ</h1>');
      assert.notInclude(bugPage, 'Yêu cầu không hợp lệ');
      assert.notInclude(bugPage, '/srv/vankho');
      const full = await fetch(`${base}/day`);
      const fullPage = await full.text();
      assert.strictEqual(full.status, 507);
      assert.include(fullPage, '<h1>Máy chủ hết chỗ lưu trữ</h1>');
      assert.include(fullPage, 'nothing was lost or refused');
      assert.notInclude(fullPage, '/srv/vankho');
      assert.strictEqual(full.headers.get('retry-after'), '300');
      const mistake = await fetch(`${base}/tim`);
      assert.strictEqual(mistake.status, 400);
      assert.include(await mistake.text(), '<h1>Yêu cầu không hợp lệ</h1>');
    } finally {
      server.close();
    }
  });
});
