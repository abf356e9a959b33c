/**
 * Restricted books in the reading room, in real Chromium: Mirador 4 meets a `registered` item, shows
 * the sign-in prompt from the IIIF Auth 1.0 services, the reader signs in through the embedded
 * provider's form in the window Mirador opens, and full-resolution tiles load. A `public-reduced` item
 * shows the reduced image to an anonymous reader, the full one after sign-in, and the reduced one again
 * after signing out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'mocha';
import { assert } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let browser: Browser;
let partner: http.Server;
let partnerUrl: string;
const password = 'mot-mat-khau-dai';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

/**
 * Image responses from our Image API: identifier (with ~reduced when so), status, and whether it was a
 * tile (a region of the image; the thumbnail strip asks whole images at thumbnail size, which a
 * public-reduced item gives anonymously).
 */
function watchImages(page: Page) {
  const seen: { id: string; status: number; tile: boolean }[] = [];
  page.on('response', (res) => {
    const m = /\/iiif\/3\/([^/]+)\/([^/]+)\/[^/]+\/[^/]+\/[a-z]+\.(jpg|png)$/.exec(new URL(res.url()).pathname);
    if (m) seen.push({ id: decodeURIComponent(m[1]!), status: res.status(), tile: m[2] !== 'full' });
  });
  return seen;
}

async function open(context: BrowserContext, item: string) {
  const page = await context.newPage();
  const images = watchImages(page);
  await page.goto(`${srv.url}/viewer?manifest=${encodeURIComponent(`${srv.url}/iiif/presentation/3/items/${item}/manifest`)}`);
  return { page, images };
}

/** Clicks Mirador's sign-in prompt and signs in in the window it opens. */
async function signInThroughMirador(page: Page, frame: Page | import('playwright-core').FrameLocator = page): Promise<void> {
  // The bar with the service's label opens to its header, description and confirm button.
  await frame.getByRole('button', { name: 'Đăng nhập để xem' }).click({ timeout: 20_000 });
  const popupPromise = page.waitForEvent('popup');
  await frame.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  const popup = await popupPromise;
  await popup.waitForSelector('input[name=email]', { timeout: 20_000 });
  await popup.fill('input[name=email]', 'doc@example.org');
  await popup.fill('input[name=password]', password);
  await popup.click('form:has(input[name=password]) button');
  await popup.waitForEvent('close', { timeout: 20_000 });
}

describe('restricted books in the reading room (Mirador 4, IIIF Auth 1.0, Chromium)', function () {
  before(async function () {
    // The partner's site: another site than ours (localhost, not 127.0.0.1), embedding our reader.
    partner = http.createServer((req, res) => {
      const manifest = `${srv.url}/iiif/presentation/3/items/the-doc/manifest`;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Thư viện đối tác</title><h1>Thư viện đối tác</h1><iframe id="reader" src="${srv.url}/viewer?manifest=${encodeURIComponent(manifest)}" width="1100" height="700" allowfullscreen></iframe>`);
    });
    partner.listen(0, '127.0.0.1');
    await new Promise((r) => partner.once('listening', r));
    partnerUrl = `http://localhost:${(partner.address() as AddressInfo).port}`;
    srv = await startTestServer({ access: { unattachedImages: 'staff', reducedMaxPx: 600, embedOrigins: [partnerUrl] } });
    const file = path.join(await tempDir(), 'page.png');
    await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#c08040' } }).png().toFile(file);
    const put = (p: string, body: unknown) => srv.put(p, body);
    await put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await put('/api/collections/kho', { library: 'tinh', label: { vi: 'Kho' } });
    for (const [id, accessLevel] of [['the-doc', 'registered'], ['ban-thu-nho', 'public-reduced']] as const) {
      await srv.add(file, `${id}-p1`);
      await put(`/api/items/${id}`, { collection: 'kho', kind: 'map', accessLevel, description: { title: { vi: `Bản đồ ${id}` }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' }, canvases: [{ image: `${id}-p1` }] });
    }
    await srv.deps.auth.accounts.upsert('doc@example.org', 'Bạn đọc', password, ['reader'], null);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    partner?.closeAllConnections();
    await new Promise((r) => partner?.close(r));
  });

  it('embedded in a partner library’s page (another site): sign-in through IIIF Auth, then full tiles', async function () {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const page = await context.newPage();
      const images = watchImages(page);
      await page.goto(`${partnerUrl}/`);
      const frame = page.frameLocator('#reader');
      await frame.getByText('Đăng nhập để xem').first().waitFor({ timeout: 30_000 });
      await signInThroughMirador(page, frame);
      await until('full-resolution tiles inside the partner’s page', () => images.some((i) => i.id === 'the-doc-p1' && i.status === 200));
      // The site's own session cookie stays SameSite=Lax: only the embed cookie crosses sites, and
      // only to images and the token service.
      const cookies = await context.cookies(srv.url);
      assert.strictEqual(cookies.find((c) => c.name === 'vankho_session')?.sameSite, 'Lax');
      assert.strictEqual(cookies.find((c) => c.name === 'vankho_embed')?.sameSite, 'None');
    } finally {
      await context.close();
    }
  });

  it('only our pages and partners’ may frame the token service (CSP frame-ancestors)', async function () {
    const res = await srv.get('/auth/iiif/token?messageId=1&origin=http%3A%2F%2Fevil.example');
    assert.strictEqual(res.headers.get('content-security-policy'), `frame-ancestors 'self' ${partnerUrl}`);
  });

  it('a registered item: the sign-in prompt, sign-in in Mirador’s window, then full-resolution tiles', async function () {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const { page, images } = await open(context, 'the-doc');
      await page.getByText('Đăng nhập để xem').first().waitFor({ timeout: 30_000 });
      assert.isFalse(images.some((i) => i.status === 200), 'nothing of the image before sign-in');
      await signInThroughMirador(page);
      await until('full-resolution tiles of the registered image', () => images.some((i) => i.id === 'the-doc-p1' && i.status === 200));
      assert.isFalse(images.some((i) => i.id.endsWith('~reduced')), 'no reduced image for a registered item');
    } finally {
      await context.close();
    }
  });

  it('a public-reduced item: reduced anonymously, full after sign-in, reduced again after signing out', async function () {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const { page, images } = await open(context, 'ban-thu-nho');
      await until('tiles of the reduced image', () => images.some((i) => i.id === 'ban-thu-nho-p1~reduced' && i.status === 200));
      assert.isFalse(images.some((i) => i.id === 'ban-thu-nho-p1' && i.tile && i.status === 200), 'no full-resolution tile anonymously');
      await signInThroughMirador(page);
      await until('full-resolution tiles after sign-in', () => images.some((i) => i.id === 'ban-thu-nho-p1' && i.tile && i.status === 200));
      // Sign out as Mirador offers it: its logout button opens our logout service.
      const before = images.length;
      const popupPromise = page.waitForEvent('popup');
      await page.getByRole('button', { name: 'Đăng xuất', exact: true }).click({ timeout: 20_000 });
      const popup = await popupPromise;
      await popup.waitForEvent('close', { timeout: 20_000 }).catch(() => undefined);
      await page.reload();
      await until('the reduced image again', () => images.slice(before).some((i) => i.id === 'ban-thu-nho-p1~reduced' && i.status === 200));
      assert.strictEqual((await context.request.get(`${srv.url}/iiif/3/ban-thu-nho-p1/info.json`, { maxRedirects: 0 })).status(), 302, 'the session is over');
    } finally {
      await context.close();
    }
  });
});
