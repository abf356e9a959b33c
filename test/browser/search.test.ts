/**
 * Search as a reader does it, in real Chromium: the site's search box (at a phone's width) to the
 * results page, a snippet to the reader open at that page; and the reader's own search panel (IIIF
 * Content Search) finding a Han character, listing the hit and highlighting it on its page.
 *
 * The pages are flat grey, so the only yellow on them is Mirador's highlight of the selected hit.
 */
import { assert } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'mocha';
import type { Browser, Page } from 'playwright-core';
import { ocrKeys } from '../../server/storage/layout.js';
import { launchChromium } from '../helpers/browser.js';
import { greyPagesOnAShelf, highlightPixels, ocrJson, ocrLine, searchInPanel, shownPage, until } from '../helpers/mirador.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let browser: Browser;
const RIGHTS = 'http://rightsstatements.org/vocab/NoC-NC/1.0/';
const W = 600;
const H = 800;

const ocr = (...lines: ReturnType<typeof ocrLine>[]) => ocrJson(W, H, 'vi', ...lines);

/** Images asked of our Image API (info.json or pixels), per image identifier. */
function watchImages(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (req) => {
    // A page shown asks for its info.json, then tiles; the thumbnail strip asks every page's thumbnail
    // (a whole image, `full/w,h`), which says nothing about the page shown.
    const m = /\/iiif\/3\/([^/]+)\/(info\.json|[^/]+)/.exec(new URL(req.url()).pathname);
    if (m && m[2] !== 'full') seen.push(m[1]!);
  });
  return seen;
}

/** The manifest names a IIIF Content Search 1.0 service (Mirador's search panel needs it). */
async function hasSearchService(item: string): Promise<boolean> {
  const m = (await (await srv.get(`/iiif/presentation/3/items/${item}/manifest`)).json()) as { service?: { profile?: string }[] };
  return (m.service ?? []).some((s) => s.profile === 'http://iiif.io/api/search/1/search');
}

describe('search in the browser', function () {
  this.timeout(90_000);

  before(async function () {
    srv = await startTestServer();
    await greyPagesOnAShelf(srv, W, H, ['st-1', 'st-2', 'st-3', 'hv-1', 'hv-2', 'hv-3']);
    // The notebook's words are on page 2 only; the Han text's 玄 on page 3 only, 天 on pages 1 and 3.
    await srv.deps.store.put(ocrKeys('st-1').lines, ocr(ocrLine(100, ['Lời', 'nói', 'đầu'])));
    await srv.deps.store.put(ocrKeys('st-2').lines, ocr(ocrLine(300, ['Sách', 'của', 'thư', 'viện'])));
    await srv.deps.store.put(ocrKeys('hv-1').lines, ocr(ocrLine(100, ['天', '下'])));
    await srv.deps.store.put(ocrKeys('hv-3').lines, ocr(ocrLine(500, ['天', '地', '玄', '黃'])));
    const item = (title: string, images: string[]) => ({
      collection: 'sach',
      kind: 'book',
      description: { title: { vi: title }, languages: ['vi'], rights: RIGHTS },
      canvases: images.map((image) => ({ image })),
    });
    await srv.put('/api/items/so-tay', item('Sổ tay bạn đọc', ['st-1', 'st-2', 'st-3']));
    await srv.put('/api/items/thien-tu-van', item('Thiên tự văn', ['hv-1', 'hv-2', 'hv-3']));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('at 390 px, no page is wider than the screen', async function () {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    for (const p of ['/', '/search?q=thu+vien', '/search', '/search?q=khongcogi&kind=map', '/items/so-tay', '/items/so-tay/search?q=thu+vien', '/items/so-tay/text']) {
      await page.goto(`${srv.url}${p}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.isAtMost(width, 390, `${p} is ${width} px wide`);
    }
    // The filters are folded away on a phone.
    await page.goto(`${srv.url}/search`);
    assert.isFalse(await page.locator('details.facets .facet').first().isVisible(), 'facets closed at 390 px');
    await page.locator('details.facets > summary').click();
    assert.isTrue(await page.locator('details.facets .facet').first().isVisible(), 'and open on a tap');
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.reload();
    assert.isTrue(await page.locator('details.facets .facet').first().isVisible(), 'facets open on a wide screen');
    await page.close();
  });

  it('from the search box to the reader open at the page of the hit', async function () {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const images = watchImages(page);
    await page.goto(`${srv.url}/`);
    await page.getByRole('searchbox', { name: 'Tìm trong thư viện số' }).fill('thu vien');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/search\?q=thu\+vien&lang=vi$/);
    const snippet = page.locator('ol.snippets a').first();
    assert.match((await snippet.textContent()) ?? '', /^Trang 2.*thư viện/);
    assert.strictEqual(await snippet.locator('mark').first().textContent(), 'thư viện');
    await snippet.click();
    await page.waitForURL(/\/viewer\?.*canvas=2/);
    await until('the reader at page 2', async () => (await shownPage(page).catch(() => null))?.trim() === '2 / 3');
    await until('page 2’s image', () => images.includes('st-2'));
    // On a phone the search panel stays closed over the page, but the query ran: its hit is drawn.
    await until('the hit highlighted on page 2', async () => (await highlightPixels(page)).count > 200);
    assert.isFalse(await page.getByLabel('Từ cần tìm').isVisible(), 'the panel does not cover the page at 390 px');
    await page.close();
  });

  it('Mirador’s search panel finds a Han character, lists the hit and highlights it on its page', async function () {
    assert.isTrue(await hasSearchService('thien-tu-van'), 'the manifest names no IIIF Content Search 1.0 service (server/search/content-search.ts)');
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const manifest = encodeURIComponent(`${srv.url}/iiif/presentation/3/items/thien-tu-van/manifest`);
    await page.goto(`${srv.url}/viewer?manifest=${manifest}&lang=vi`);
    await until('page 1', async () => (await shownPage(page).catch(() => null))?.trim() === '1 / 3');
    // One hit, on page 3: listed with its match, and the reader turns to it.
    const hit = await searchInPanel(page, '玄', '玄');
    assert.strictEqual(await hit.count(), 1, 'one hit');
    await until('the reader at page 3', async () => (await shownPage(page))?.trim() === '3 / 3');
    await until('the hit highlighted on the page', async () => (await highlightPixels(page)).count > 200);
    if (process.env.VANKHO_SCREENSHOTS) await page.screenshot({ path: `${process.env.VANKHO_SCREENSHOTS}/search-panel.png` });
    await page.close();
  });

  it('opened from a snippet with its query, the reader stays on that page and highlights its hit there', async function () {
    assert.isTrue(await hasSearchService('thien-tu-van'), 'the manifest names no IIIF Content Search 1.0 service');
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const manifest = encodeURIComponent(`${srv.url}/iiif/presentation/3/items/thien-tu-van/manifest`);
    // 天 is on pages 1 and 3: Mirador would jump to the first hit; asked for page 3, it stays there.
    const images = watchImages(page);
    await page.goto(`${srv.url}/viewer?manifest=${manifest}&canvas=3&q=${encodeURIComponent('天')}&lang=vi`);
    const hits = page.locator('li', { has: page.locator('strong', { hasText: '天' }) });
    await until('both hits listed in the open search panel', async () => (await hits.count()) === 2);
    assert.strictEqual(await page.getByLabel('Từ cần tìm').inputValue(), '天', 'the query is in the panel’s box');
    await sleep(1000); // past Mirador's jump to a first hit, had it made one
    assert.strictEqual((await shownPage(page))?.trim(), '3 / 3');
    await until('page 3’s hit highlighted', async () => (await highlightPixels(page)).count > 200);
    assert.include(images, 'hv-3');
    assert.notInclude(images, 'hv-1', 'never turned to page 1, not even for a moment');
    await page.close();
  });
});
