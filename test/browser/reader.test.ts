/**
 * The reading room in real Chromium: Mirador opens a demo manifest, asks our Image API for tiles (all
 * answered 200), paints a page that is not blank, speaks Vietnamese (English on request), pages on,
 * and lays a right-to-left book's spread out from the right.
 */
import { assert } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import pino from 'pino';
import sharp from 'sharp';
import { pyramidOptions } from '../../server/app.js';
import { prepareDemo } from '../../server/demo.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let browser: Browser;

/** Tile and image responses from our Image API, per image identifier. */
function watchImages(page: Page) {
  const seen: { id: string; status: number; region: string }[] = [];
  page.on('response', (res) => {
    const m = /\/iiif\/3\/([^/]+)\/([^/]+)\/[^/]+\/[^/]+\/[a-z]+\.(jpg|png)$/.exec(new URL(res.url()).pathname);
    if (m) seen.push({ id: m[1]!, region: m[2]!, status: res.status() });
  });
  return seen;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Mean and spread of a screenshot's grey levels. */
async function greyStats(png: Buffer) {
  const s = await sharp(png).grayscale().stats();
  return { mean: s.channels[0]!.mean, stdev: s.channels[0]!.stdev };
}

async function openReader(manifestPath: string, query = '') {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const images = watchImages(page);
  const manifest = encodeURIComponent(`${srv.url}${manifestPath}`);
  await page.goto(`${srv.url}/viewer?manifest=${manifest}${query}`);
  return { page, images };
}

describe('the reading room (Mirador 4 in Chromium)', () => {
  before(async () => {
    srv = await startTestServer();
    await prepareDemo(srv.deps.store, srv.deps.catalogue, pyramidOptions(srv.deps.config), pino({ level: 'silent' }));
    // A right-to-left book of flat colours: page 1 grey, page 2 red, page 3 blue.
    const dir = await tempDir();
    for (const [id, colour] of [['rtl-1', '#808080'], ['rtl-2', '#ff0000'], ['rtl-3', '#0000ff']] as const) {
      const file = path.join(dir, `${id}.png`);
      await sharp({ create: { width: 600, height: 800, channels: 3, background: colour } }).png().toFile(file);
      await srv.add(file, id);
    }
    const base = await srv.deps.catalogue.getItem('toan-phap-thieu-nu');
    await srv.deps.catalogue.putItem({
      id: 'rtl-test',
      collection: base.collection,
      kind: 'woodblock',
      description: { ...base.description, viewingDirection: 'right-to-left', behavior: 'paged' },
      canvases: [{ image: 'rtl-1' }, { image: 'rtl-2' }, { image: 'rtl-3' }],
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('opens a demo manifest, loads its tiles from our Image API and paints the page', async () => {
    const { page, images } = await openReader('/iiif/presentation/3/items/toan-phap-thieu-nu/manifest');
    await until('tiles of the first page', () => images.filter((i) => i.id === 'ndl-3508165-08').length >= 4);
    await sleep(1500); // let the viewer finish drawing
    assert.ok(images.length > 0);
    assert.deepEqual(images.filter((i) => i.status !== 200), [], 'every image request answered 200');
    const canvas = page.locator('.openseadragon-canvas').first();
    const stats = await greyStats(await canvas.screenshot());
    assert.ok(stats.stdev > 20, `the painted canvas is not blank (grey spread ${stats.stdev.toFixed(1)})`);

    // Vietnamese interface, with our corrected labels; paging loads the next page's images. Each scan
    // is an opening (two pages in one image, behavior individuals): one at a time, never paired.
    const next = page.getByRole('button', { name: 'Trang sau' });
    await next.click();
    await until('tiles of the next opening', () => images.some((i) => i.id === 'ndl-3508165-09'));
    await sleep(1000);
    // (Its thumbnail, a whole image, is in the strip: no tile of it is asked for.)
    assert.isFalse(images.some((i) => i.id === 'ndl-3508165-10' && i.region !== 'full'), 'the opening after it is not shown beside it');
    assert.deepEqual(images.filter((i) => i.status !== 200), []);
    assert.ok(await page.getByRole('button', { name: 'Phóng to' }).count());
    await page.close();
  });

  it('turns pages with the arrow keys, the way the book reads, and shows the thumbnail strip', async () => {
    const { page, images } = await openReader('/iiif/presentation/3/items/rtl-test/manifest', '&view=single');
    await until('page 1', () => images.some((i) => i.id === 'rtl-1'));
    assert.isAbove(await page.locator('.mirador-thumb-navigation').count(), 0, 'the thumbnail strip is shown');
    // Right to left: the next page lies to the left.
    await page.keyboard.press('ArrowLeft');
    await until('page 2 after ←', () => images.some((i) => i.id === 'rtl-2'));
    await page.keyboard.press('ArrowLeft');
    await until('page 3 after ←', () => images.some((i) => i.id === 'rtl-3'));
    const info = page.locator('.mirador-osd-info').first();
    await until('"3 / 3" shown', async () => /3 \/ 3/.test((await info.textContent()) ?? ''));
    await page.keyboard.press('ArrowRight');
    await until('back to "2 / 3" after →', async () => /2 \/ 3/.test((await info.textContent()) ?? ''));
    await page.close();
  });

  it('names the rights, not a bare address, in the side bar', async () => {
    const { page } = await openReader('/iiif/presentation/3/items/toan-phap-thieu-nu/manifest');
    await page.getByRole('button', { name: 'Ẩn/hiện thanh bên' }).click();
    await page.getByRole('tab', { name: 'Thông tin' }).click();
    await page.getByRole('link', { name: 'Thuộc phạm vi công cộng (PDM 1.0)' }).waitFor();
    await page.getByRole('tab', { name: 'Bản quyền' }).click();
    await page.getByText('Thư viện tỉnh (bản trình diễn)').first().waitFor();
    const side = (await page.locator('aside, .mirador-companion-window-left').allTextContents()).join(' ');
    assert.notInclude(side, 'creativecommons.org', 'no bare rights URI shown');
    await page.close();
  });

  it("the item page's embed code works on another site's page, as a partner library pastes it", async () => {
    const html = await (await srv.get('/items/toan-phap-thieu-nu')).text();
    const code = /<textarea readonly rows="3">([^<]*)<\/textarea>/.exec(html)![1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"');
    assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/viewer\?manifest=/);
    // Another site: localhost, not 127.0.0.1; the page holds the code as it was copied.
    const partner = http.createServer((req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Đối tác</title><h1>Thư viện đối tác</h1>${code}`));
    partner.listen(0, '127.0.0.1');
    await new Promise((r) => partner.once('listening', r));
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      const images = watchImages(page);
      await page.goto(`http://localhost:${(partner.address() as AddressInfo).port}/`);
      await until('tiles of the first page inside the partner page', () => images.some((i) => i.id === 'ndl-3508165-08' && i.region !== 'full' && i.status === 200));
      const frame = page.frameLocator('iframe');
      await frame.getByRole('button', { name: 'Trang sau' }).waitFor();
      assert.isTrue(await frame.locator('.vk-bar').isHidden(), 'framed: no bar of ours inside the partner page');
      await page.close();
    } finally {
      partner.closeAllConnections();
      await new Promise((r) => partner.close(r));
    }
  });

  it("shows the table of contents in the reader's language", async () => {
    const base = await srv.deps.catalogue.getItem('rtl-test');
    await srv.deps.catalogue.putItem({
      id: 'muc-luc',
      collection: base.collection,
      kind: 'book',
      description: { ...base.description, viewingDirection: 'left-to-right', behavior: 'individuals' },
      canvases: [{ image: 'rtl-1' }, { image: 'rtl-2' }, { image: 'rtl-3' }],
      structures: [
        { label: { vi: 'Quyển thượng', en: 'Volume one' }, canvases: [1, 2] },
        { label: { vi: 'Quyển hạ', en: 'Volume two' }, canvases: [3] },
      ],
    });
    for (const [lang, first, other] of [['vi', 'Quyển thượng', 'Volume one'], ['en', 'Volume one', 'Quyển thượng']] as const) {
      const { page } = await openReader('/iiif/presentation/3/items/muc-luc/manifest', `&lang=${lang}`);
      await page.getByRole('button', { name: lang === 'vi' ? 'Ẩn/hiện thanh bên' : 'Toggle sidebar' }).click();
      await page.getByRole('tab', { name: lang === 'vi' ? 'Danh sách trang' : 'Index' }).click();
      await page.getByRole('tab', { name: lang === 'vi' ? 'Mục lục' : 'Table of contents' }).click();
      await page.getByText(first, { exact: true }).waitFor({ timeout: 15_000 });
      assert.strictEqual(await page.getByText(other, { exact: true }).count(), 0, `${lang}: no label in the other language`);
      await page.close();
    }
  });

  it('pages a right-to-left book from the right: page 2 on the right, page 3 on the left', async () => {
    const { page, images } = await openReader('/iiif/presentation/3/items/rtl-test/manifest', '&view=book');
    await until('page 1', () => images.some((i) => i.id === 'rtl-1'));
    await page.getByRole('button', { name: 'Trang sau' }).click();
    await until('pages 2 and 3', () => images.some((i) => i.id === 'rtl-2') && images.some((i) => i.id === 'rtl-3'));
    await sleep(2000);
    const shot = await page.locator('.openseadragon-canvas').first().screenshot();
    if (process.env.VANKHO_SCREENSHOTS) await page.screenshot({ path: `${process.env.VANKHO_SCREENSHOTS}/rtl.png` });
    // Where the red and blue pixels lie, whatever the viewer's pan and zoom.
    const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const xs = { red: [] as number[], blue: [] as number[] };
    for (let i = 0; i < data.length; i += 3 * 7) {
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      const x = (i / 3) % info.width;
      if (r > 200 && g < 60 && b < 60) xs.red.push(x);
      if (b > 200 && r < 60 && g < 60) xs.blue.push(x);
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    assert.ok(xs.red.length > 1000 && xs.blue.length > 1000, `both pages painted (${xs.red.length} red, ${xs.blue.length} blue samples)`);
    assert.ok(mean(xs.blue) < mean(xs.red), `page 3 (blue, x≈${mean(xs.blue).toFixed(0)}) lies left of page 2 (red, x≈${mean(xs.red).toFixed(0)})`);
    await page.close();
  });

  it('speaks English when asked', async () => {
    const { page } = await openReader('/iiif/presentation/3/items/co-xao-do-hoi/manifest', '&lang=en');
    await page.getByRole('button', { name: 'Next item' }).waitFor({ timeout: 20_000 });
    await page.close();
  });
});
