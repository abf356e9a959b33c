/**
 * Hán-Nôm in the reading room, in real Chromium: the side bar's reading panel (each OCR line with the
 * Vietnamese reading under each character, following page turns, a click on a character showing its
 * readings, variants and code point), offered for Han and Nôm items only; and a search by reading in
 * Mirador's search panel (IIIF Content Search) finding the characters and drawing the hit on the page.
 */
import { assert } from 'chai';
import { after, before, describe, it } from 'mocha';
import type { Browser, Frame, Page } from 'playwright-core';
import { ocrKeys } from '../../server/storage/layout.js';
import { launchChromium } from '../helpers/browser.js';
import { greyPagesOnAShelf, highlightPixels, ocrJson, ocrLine, searchInPanel, shownPage, until } from '../helpers/mirador.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let browser: Browser;
const RIGHTS = 'http://rightsstatements.org/vocab/NoC-NC/1.0/';
const W = 600;
const H = 800;

const manifestOf = (item: string) => encodeURIComponent(`${srv.url}/iiif/presentation/3/items/${item}/manifest`);

async function openReader(item: string, query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(`${srv.url}/viewer?manifest=${manifestOf(item)}&lang=vi${query}`);
  await until('the first page', async () => /^1 \/ 3$/.test((await shownPage(page).catch(() => null))?.trim() ?? ''));
  return page;
}

/** The reading panel's frame once it shows these pages. */
async function panelAt(page: Page, canvases: string): Promise<Frame> {
  let frame: Frame | undefined;
  await until(`the reading panel at page(s) ${canvases}`, async () => {
    frame = page.frames().find((f) => new URL(f.url(), srv.url).pathname.endsWith('/reading') && new URL(f.url()).searchParams.get('canvas') === canvases);
    return !!frame && (await frame.locator('h2').count()) > 0;
  });
  return frame!;
}

/** The characters of the panel's text with the reading shown under each: [["人", "nhân"], …]. */
const rubies = (frame: Frame) =>
  frame.locator('ruby').evaluateAll((els) => els.map((e) => [e.querySelector('a')?.textContent ?? '', e.querySelector('rt')?.textContent ?? '']));

describe('Hán-Nôm in the reading room', function () {
  this.timeout(90_000);

  before(async function () {
    srv = await startTestServer();
    await greyPagesOnAShelf(srv, W, H, ['ttk-1', 'ttk-2', 'ttk-3', 'vn-1', 'vn-2', 'vn-3']);
    // Tam tự kinh: two lines on page 1, none on page 2, one on page 3 (with 玄 and 黃).
    await srv.deps.store.put(ocrKeys('ttk-1').lines, ocrJson(W, H, 'lzh', ocrLine(100, ['人', '之', '初']), ocrLine(400, ['性', '本', '善'])));
    await srv.deps.store.put(ocrKeys('ttk-3').lines, ocrJson(W, H, 'lzh', ocrLine(500, ['天', '地', '玄', '黃'])));
    await srv.deps.store.put(ocrKeys('vn-1').lines, ocrJson(W, H, 'vi', ocrLine(100, ['Người', 'xưa'])));
    const item = (title: string, languages: string[], scripts: string[], images: string[]) => ({
      collection: 'sach',
      kind: 'book',
      description: { title: { vi: title }, languages, scripts, rights: RIGHTS },
      canvases: images.map((image) => ({ image })),
    });
    await srv.put('/api/items/tam-tu-kinh', item('Tam tự kinh', ['lzh'], ['han'], ['ttk-1', 'ttk-2', 'ttk-3']));
    await srv.put('/api/items/so-tay', item('Sổ tay', ['vi'], ['latn'], ['vn-1', 'vn-2', 'vn-3']));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('the side bar’s reading panel shows each character over its reading, follows the pages, and tells about a character clicked', async function () {
    const page = await openReader('tam-tu-kinh');
    await page.getByRole('button', { name: 'Ẩn/hiện thanh bên' }).click();
    await page.getByRole('tab', { name: /^Âm đọc/ }).click();
    let frame = await panelAt(page, '1');
    assert.deepEqual(await rubies(frame), [
      ['人', 'nhân'],
      ['之', 'chi'],
      ['初', 'sơ'],
      ['性', 'tính'],
      ['本', 'bản'],
      ['善', 'thiện'],
    ]);
    assert.strictEqual(await frame.locator('p.line').count(), 2, 'one line of the panel per OCR line');
    if (process.env.VANKHO_SCREENSHOTS) await page.screenshot({ path: `${process.env.VANKHO_SCREENSHOTS}/reading-panel.png` });

    // Turning the page turns the panel: page 2 has no text, page 3 its line.
    await page.getByRole('button', { name: 'Trang sau' }).click();
    frame = await panelAt(page, '2');
    assert.include(await frame.locator('main').textContent(), 'Trang này chưa có văn bản nhận dạng.');
    await page.getByRole('button', { name: 'Trang sau' }).click();
    frame = await panelAt(page, '3');
    assert.deepEqual((await rubies(frame)).map(([c]) => c), ['天', '地', '玄', '黃']);

    // A click on 玄: its card, with the character marked in the text, still in the panel.
    await frame.locator('ruby a', { hasText: '玄' }).click();
    await until('the card of 玄', async () => (await frame.locator('aside.card').count()) > 0);
    const card = frame.locator('aside.card');
    const text = (await card.textContent()) ?? '';
    assert.include(text, 'U+7384');
    assert.include(text, 'huyền');
    assert.strictEqual(await frame.locator('ruby.sel a').textContent(), '玄', 'the character clicked is marked');
    assert.match((await card.getByRole('link', { name: 'Tìm chữ 玄 trong thư viện (cả dị thể)' }).getAttribute('href')) ?? '', /^\/search\?q=%E7%8E%84/);
    assert.strictEqual(await card.getByRole('link', { name: 'Tìm chữ 玄 trong thư viện (cả dị thể)' }).getAttribute('target'), '_blank', 'a search leaves the reader in a new tab');
    assert.strictEqual((await shownPage(page))?.trim(), '3 / 3', 'the reader stayed on its page');
    if (process.env.VANKHO_SCREENSHOTS) await page.screenshot({ path: `${process.env.VANKHO_SCREENSHOTS}/reading-card.png` });
    await card.getByRole('link', { name: 'Đóng' }).click();
    await until('the card closed', async () => (await frame.locator('aside.card').count()) === 0);
    await page.close();
  });

  it('is offered for a Han or Nôm item only', async function () {
    const page = await openReader('so-tay');
    await page.getByRole('button', { name: 'Ẩn/hiện thanh bên' }).click();
    await page.getByRole('tab', { name: 'Tìm trong tài liệu' }).waitFor();
    assert.strictEqual(await page.getByRole('tab', { name: /^Âm đọc/ }).count(), 0);
    await page.close();
  });

  it('a search by reading in Mirador’s search panel finds the characters and draws the hit on their page', async function () {
    const page = await openReader('tam-tu-kinh');
    // One hit, on page 3, listed with the characters it matched; the reader turns to it and draws it
    // on the line (at y 500–600 of 800).
    const hit = await searchInPanel(page, 'thien dia huyen', '天地玄');
    assert.strictEqual(await hit.count(), 1, 'one hit');
    await until('the reader at page 3', async () => (await shownPage(page))?.trim() === '3 / 3');
    await until('the hit highlighted on the page', async () => (await highlightPixels(page)).count > 200);
    const { meanY, height } = await highlightPixels(page);
    assert.isAbove(meanY / height, 0.45, 'drawn on the line, low on the page');
    if (process.env.VANKHO_SCREENSHOTS) await page.screenshot({ path: `${process.env.VANKHO_SCREENSHOTS}/reading-search.png` });
    await page.close();
  });
});
