/**
 * IIIF Authorization as a viewer uses it: the degraded (reduced) image and its description, the
 * Auth 1.0 token service Mirador opens in an iframe (postMessage to the viewer's origin), tokens bound
 * to that origin and ended by logout, the 2.0 token service and probe, and the reading room's kiosk.
 */
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { assert } from 'chai';
import sharp from 'sharp';
import { BrowserSession } from '../helpers/browser-session.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const VIEWER = 'https://viewer.example.org';

/** The message a token page posts, and where to. */
function posted(html: string): { message: Record<string, unknown>; targetOrigin: string } {
  const m = /<script id="m" type="application\/json">([^<]*)<\/script>/.exec(html);
  if (!m) throw new Error(`not a token page: ${html.slice(0, 200)}`);
  return JSON.parse(m[1]!.replace(/\\u003c/g, '<')) as { message: Record<string, unknown>; targetOrigin: string };
}

describe('IIIF Authorization 1.0 and 2.0', function () {
  let srv: TestServer;
  const password = 'mot-mat-khau-dai';

  before(async function () {
    srv = await startTestServer({ access: { unattachedImages: 'staff', reducedMaxPx: 512, readingRoom: ['127.0.0.2/32'] } });
    const file = path.join(await tempDir(), 'page.png');
    // Left half black, right half white: a reduced view still shows the boundary where it should.
    await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#ffffff' } })
      .composite([{ input: { create: { width: 1500, height: 2000, channels: 3, background: '#000000' } }, left: 0, top: 0 }])
      .png()
      .toFile(file);
    const put = (p: string, body: unknown) => srv.put(p, body);
    await put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await put('/api/collections/kho', { library: 'tinh', label: { vi: 'Kho' } });
    for (const [id, accessLevel] of [['thu-nho', 'public-reduced'], ['the', 'registered'], ['phong-doc', 'reading-room']] as const) {
      await srv.add(file, `${id}-p1`);
      await put(`/api/items/${id}`, { collection: 'kho', kind: 'map', accessLevel, description: { title: { vi: id }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' }, canvases: [{ image: `${id}-p1` }] });
    }
    await srv.deps.auth.accounts.upsert('doc@example.org', 'Bạn đọc', password, ['reader'], null);
  });
  after(() => srv?.close());

  it('public-reduced: anonymous readers are sent to a reduced image with its own id, capped, with the login service', async function () {
    const full = await srv.get('/iiif/3/thu-nho-p1/info.json');
    assert.strictEqual(full.status, 302);
    assert.strictEqual(full.headers.get('location'), `${srv.url}/iiif/3/thu-nho-p1~reduced/info.json`);
    assert.match(full.headers.get('cache-control') ?? '', /no-store/);
    const reduced = await srv.get('/iiif/3/thu-nho-p1~reduced/info.json');
    assert.strictEqual(reduced.status, 200);
    const info = (await reduced.json()) as { id: string; width: number; height: number; sizes: { width: number }[]; service: { profile?: string; type?: string }[] };
    assert.strictEqual(info.id, `${srv.url}/iiif/3/thu-nho-p1~reduced`);
    assert.isAtMost(Math.max(info.width, info.height), 512);
    assert.isAbove(Math.max(info.width, info.height), 256, 'the largest pyramid level within the cap');
    assert.approximately(info.width / info.height, 1.5, 0.01);
    for (const s of info.sizes) assert.isAtMost(s.width, info.width);
    assert.include(info.service.map((s) => s.profile ?? s.type), 'http://iiif.io/api/auth/1/login');
    assert.include(info.service.map((s) => s.profile ?? s.type), 'AuthProbeService2');
    assert.match(reduced.headers.get('cache-control') ?? '', /private/);

    const whole = await srv.get('/iiif/3/thu-nho-p1~reduced/full/max/0/default.png');
    assert.strictEqual(whole.status, 200);
    const { data, info: px } = await sharp(Buffer.from(await whole.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([px.width, px.height], [info.width, info.height], 'the reduced image is as its description says');
    const at = (x: number) => data[(Math.floor(px.height / 2) * px.width + x) * px.channels]!;
    assert.isBelow(at(Math.floor(px.width * 0.45)), 30, 'left half black');
    assert.isAbove(at(Math.floor(px.width * 0.55)), 225, 'right half white');
    const tile = await srv.get('/iiif/3/thu-nho-p1~reduced/256,0,119,256/119,/0/default.jpg');
    assert.strictEqual(tile.status, 200, 'tiles of the reduced image are served');
    assert.strictEqual((await srv.get('/iiif/3/thu-nho-p1~reduced/full/1000,/0/default.jpg')).status, 400, 'and never upscaled past it without ^');
    assert.strictEqual((await srv.get('/iiif/3/thu-nho-p1/0,0,1024,1024/512,/0/default.jpg')).status, 401, 'the full image closer than the cap is refused');
  });

  it('a signed-in reader gets the full image; the token service posts a token bound to the viewer’s origin', async function () {
    const b = new BrowserSession(srv.url);
    await b.signIn('doc@example.org', password);
    assert.strictEqual((await b.request('GET', '/iiif/3/thu-nho-p1/info.json')).status, 200, 'full, by the session cookie');
    const page = await b.request('GET', `/auth/iiif/token?messageId=42&origin=${encodeURIComponent(VIEWER)}`);
    assert.strictEqual(page.status, 200);
    const { message, targetOrigin } = posted(page.body);
    assert.strictEqual(targetOrigin, VIEWER, 'posted only to the viewer that asked');
    assert.strictEqual(message.messageId, '42');
    assert.isString(message.accessToken);
    assert.isAtMost(Number(message.expiresIn), 600);
    const token = String(message.accessToken);
    const withToken = (origin: string) => srv.get('/iiif/3/the-p1/info.json', { headers: { Authorization: `Bearer ${token}`, Origin: origin } });
    const ok = await withToken(VIEWER);
    assert.strictEqual(ok.status, 200, 'the token opens the registered image for that viewer');
    assert.strictEqual(((await ok.json()) as { id: string }).id, `${srv.url}/iiif/3/the-p1`);
    assert.strictEqual((await withToken('https://other.example.org')).status, 401, 'not from another origin');
    const anon = await new BrowserSession(srv.url).request('GET', `/auth/iiif/token?messageId=1&origin=${encodeURIComponent(VIEWER)}`);
    assert.strictEqual(posted(anon.body).message.error, 'missingCredentials', 'no token without sign-in');
    assert.strictEqual((await b.request('GET', '/auth/iiif/token?messageId=1&origin=javascript:alert(1)')).status, 400, 'an origin must be an origin');
    await b.request('GET', '/auth/iiif/logout');
    assert.strictEqual((await withToken(VIEWER)).status, 401, 'logout ends the token');
    assert.strictEqual((await b.request('GET', '/iiif/3/the-p1/info.json')).status, 401, 'and the session');
  });

  it('a IIIF token opens images only, cannot be renewed by itself, and our reader opens our manifests only', async function () {
    await srv.deps.auth.accounts.upsert('quan-tri@example.org', 'Quản trị', password, ['admin'], null);
    const b = new BrowserSession(srv.url);
    await b.signIn('quan-tri@example.org', password);
    const token = String(posted((await b.request('GET', `/auth/iiif/token?messageId=1&origin=${encodeURIComponent(srv.url)}`)).body).message.accessToken);
    const bearer = { Authorization: `Bearer ${token}` };
    assert.strictEqual((await srv.get('/iiif/3/the-p1/info.json', { headers: bearer })).status, 200, 'images: yes');
    const write = await srv.get('/api/libraries/gia', { method: 'PUT', body: JSON.stringify({ name: { vi: 'Giả' } }), headers: { ...bearer, 'Content-Type': 'application/json' } });
    assert.strictEqual(write.status, 401, 'an administrator’s IIIF token writes nothing');
    assert.match(write.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    assert.strictEqual((await srv.get('/items/the/pdf', { headers: bearer })).status, 401, 'nor reads beyond images');
    const renewed = await srv.get(`/auth/iiif/token?messageId=2&origin=${encodeURIComponent(srv.url)}`, { headers: bearer });
    assert.notStrictEqual(renewed.status, 200, 'a token does not buy another token');
    assert.strictEqual((await b.request('GET', `/viewer?manifest=${encodeURIComponent('https://evil.example/m.json')}`)).status, 400, 'a foreign manifest is refused');
    await b.request('GET', '/auth/iiif/logout');
    assert.strictEqual((await srv.get('/iiif/3/the-p1/info.json', { headers: bearer })).status, 401, 'the token ends with its session');
  });

  it('the reduced image never comes from a full image’s cached answer (the pyramid level is in the cache key)', async function () {
    const b = new BrowserSession(srv.url);
    await b.signIn('doc@example.org', password);
    const full = await b.request('GET', '/iiif/2/thu-nho-p1/full/!2000,2000/0/default.png');
    assert.strictEqual(full.status, 200);
    const anon = await srv.get('/iiif/2/thu-nho-p1~reduced/full/!2000,2000/0/default.png');
    assert.strictEqual(anon.status, 200, 'Image API 2 may upscale the reduced image');
    const bytes = Buffer.from(await anon.arrayBuffer());
    // The reduced answer is the 375-px level scaled up: smooth where the full one has detail, so it
    // differs from the full render the cache now holds.
    assert.notStrictEqual(Buffer.compare(bytes, Buffer.from(full.body, 'binary')), 0);
    const stats = await sharp(bytes).stats();
    assert.ok(stats, 'a valid image');
  });

  it('a registered image answers 401 with its description and services (how Mirador knows to offer sign-in)', async function () {
    const res = await srv.get('/iiif/2/the-p1/info.json');
    assert.strictEqual(res.status, 401);
    const body = (await res.json()) as { '@id': string; width: number; service: { profile: string; service?: { profile: string }[] }[] };
    assert.strictEqual(body['@id'], `${srv.url}/iiif/2/the-p1`);
    assert.strictEqual(body.width, 3000);
    const login = body.service.find((s) => s.profile === 'http://iiif.io/api/auth/1/login')!;
    assert.deepEqual(login.service!.map((s) => s.profile).sort(), ['http://iiif.io/api/auth/1/logout', 'http://iiif.io/api/auth/1/token']);
  });

  it('Auth 2.0: the probe says what the reader would get, with the reduced image as substitute; the token service speaks 2.0', async function () {
    const probe = (await (await srv.get('/auth/iiif/probe/thu-nho-p1')).json()) as { type: string; status: number; substitute?: { id: string }[] };
    assert.strictEqual(probe.type, 'AuthProbeResult2');
    assert.strictEqual(probe.status, 401);
    assert.strictEqual(probe.substitute?.[0]?.id, `${srv.url}/iiif/3/thu-nho-p1~reduced/info.json`);
    const b = new BrowserSession(srv.url);
    await b.signIn('doc@example.org', password);
    const page = posted((await b.request('GET', `/auth/iiif/token2?messageId=m1&origin=${encodeURIComponent(VIEWER)}`)).body);
    assert.strictEqual(page.message.type, 'AuthAccessToken2');
    const token = String(page.message.accessToken);
    const after = (await (await srv.get('/auth/iiif/probe/thu-nho-p1', { headers: { Authorization: `Bearer ${token}`, Origin: VIEWER } })).json()) as { status: number; substitute?: unknown };
    assert.strictEqual(after.status, 200);
    assert.isUndefined(after.substitute);
  });

  it('the reading room is a kiosk: its clients get a token without signing in; others are told where to read it', async function () {
    const outside = await srv.get('/iiif/3/phong-doc-p1/info.json');
    assert.strictEqual(outside.status, 403);
    const services = ((await outside.json()) as { service: { profile?: string; type?: string; service?: { profile?: string }[] }[] }).service;
    assert.include(services.map((s) => s.profile ?? s.type), 'http://iiif.io/api/auth/1/external');
    const room = new BrowserSession(srv.url, '127.0.0.2');
    assert.strictEqual((await room.request('GET', '/iiif/3/phong-doc-p1/info.json')).status, 200);
    const { message } = posted((await room.request('GET', `/auth/iiif/token?messageId=k&origin=${encodeURIComponent(VIEWER)}`)).body);
    assert.isString(message.accessToken, 'the kiosk gets a token by its address');
  });
});
