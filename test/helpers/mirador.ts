/**
 * Reading what Mirador shows in real Chromium: the page it says it is on, and its highlight of the
 * selected search hit, counted in a screenshot of the page (flat grey pages, so the only yellow is the
 * highlight). And OCR lines made by hand for such pages.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { tempDir, type TestServer } from './server.js';

export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The page Mirador shows, as it tells the reader ("2 / 3" under the image). */
export const shownPage = (page: Page) => page.locator('.mirador-canvas-count').first().textContent();

/** Pixels of Mirador's selected-hit highlight (#ffff00 at 30 % over the grey page) in the viewer. */
export async function highlightPixels(page: Page): Promise<{ count: number; meanY: number; height: number }> {
  const shot = await page.locator('.openseadragon-canvas').first().screenshot();
  const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let count = 0;
  let sumY = 0;
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    if (r > 145 && g > 145 && b < 115 && Math.abs(r - g) < 20) {
      count++;
      sumY += Math.floor(i / 3 / info.width);
    }
  }
  return { count, meanY: count ? sumY / count : 0, height: info.height };
}

/**
 * Searches in Mirador's search panel (IIIF Content Search) as a reader does: opens the side bar and the
 * panel, types the query, presses Enter; returns the hits listed with `matched` in bold, once one shows.
 */
export async function searchInPanel(page: Page, query: string, matched: string): Promise<Locator> {
  await page.getByRole('button', { name: 'Ẩn/hiện thanh bên' }).click();
  await page.getByRole('tab', { name: 'Tìm trong tài liệu' }).click();
  const box = page.getByLabel('Từ cần tìm');
  await box.fill(query);
  await box.press('Enter');
  const hits = page.locator('li', { has: page.locator('strong', { hasText: matched }) });
  await hits.first().waitFor({ timeout: 20_000 });
  return hits;
}

/** One OCR line at height y; each Han character (or Vietnamese word) a word box of its own, 100 px wide. */
export function ocrLine(y: number, words: string[]) {
  const boxes = words.map((text, i) => ({ x: 50 + i * 110, y, w: 100, h: 100, text, confidence: 0.95 }));
  return { x: 50, y, w: words.length * 110, h: 100, text: words.join(/\p{Script=Han}/u.test(words[0]!) ? '' : ' '), words: boxes };
}

/** A page's OCR (as stored: storage/layout.ts OcrPage) of these lines, on a width × height image. */
export const ocrJson = (width: number, height: number, language: string, ...lines: ReturnType<typeof ocrLine>[]) => JSON.stringify({ width, height, language, lines });

/**
 * Flat grey page images (the only yellow in a screenshot is then Mirador's highlight), added under
 * these ids, and the library "tinh" with its collection "sach" to put items in.
 */
export async function greyPagesOnAShelf(srv: TestServer, width: number, height: number, ids: readonly string[]): Promise<void> {
  const file = path.join(await tempDir(), 'grey.png');
  await sharp({ create: { width, height, channels: 3, background: '#808080' } }).png().toFile(file);
  for (const id of ids) await srv.add(file, id);
  await srv.put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
  await srv.put('/api/collections/sach', { library: 'tinh', label: { vi: 'Sách' } });
}
