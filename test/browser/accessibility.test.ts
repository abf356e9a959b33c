/**
 * The reading room and the public pages checked as assistive technology and keyboard users meet them:
 * axe-core (WCAG 2 A/AA and best practices) in Chromium on the reader with its side bar open, the item
 * page and the home page at phone width; the reader opened on its own has the site's way back and a
 * skip link, and framed by the item page it has neither bar nor doubled header.
 */
import { assert } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'mocha';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { pyramidOptions } from '../../server/app.js';
import { prepareDemo } from '../../server/demo.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let srv: TestServer;
let browser: Browser;

/** axe's violations on the page as it is now: "rule (n): help :: first targets". */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (d: Document, o: unknown) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] });
    return r.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.help} :: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

/** A page that may run axe's script (our CSP rightly refuses inline scripts). */
const open = (width: number) => browser.newPage({ viewport: { width, height: 800 }, bypassCSP: true });

describe('accessibility of the reading room and the public pages', () => {
  before(async () => {
    srv = await startTestServer();
    await prepareDemo(srv.deps.store, srv.deps.catalogue, pyramidOptions(srv.deps.config), pino({ level: 'silent' }));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('the reader on its own: a way back to the item, a skip link, and no axe violation with the side bar open', async () => {
    const page = await open(1200);
    const manifest = encodeURIComponent(`${srv.url}/iiif/presentation/3/items/toan-phap-thieu-nu/manifest`);
    await page.goto(`${srv.url}/viewer?manifest=${manifest}`);
    const back = page.locator('.vk-bar a', { hasText: 'Toán pháp thiếu nữ' });
    await back.waitFor();
    assert.strictEqual(await back.getAttribute('href'), '/items/toan-phap-thieu-nu');
    // The first Tab reaches the skip link; following it puts the focus on the reader.
    await page.keyboard.press('Tab');
    assert.strictEqual(await page.evaluate(() => document.activeElement?.textContent), 'Tới phòng đọc');
    await page.keyboard.press('Enter');
    assert.strictEqual(await page.evaluate(() => document.activeElement?.id), 'mirador');
    await page.getByRole('button', { name: 'Ẩn/hiện thanh bên' }).click();
    await page.getByRole('tab', { name: 'Thông tin' }).waitFor();
    // The button's tooltip (shown while the pointer is on it) is a transient popup outside the page's regions.
    await page.mouse.move(700, 700);
    await page.waitForTimeout(800);
    assert.deepEqual(await violations(page), []);
    await page.close();
  });

  it('fits a phone: nothing wider than the screen at 320 and 390 px, the title before the reader, the site named once', async () => {
    for (const width of [320, 390]) {
      for (const path of ['/', '/items/toan-phap-thieu-nu', '/items/tu-lieu-dia-chi', '/collections/sach-moc-ban', '/search?q=sach']) {
        const page = await open(width);
        await page.goto(`${srv.url}${path}`);
        const r = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          wide: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => `${e.tagName.toLowerCase()}.${e.className}`).slice(0, 3),
          title: document.title,
          h1: document.querySelector('h1')?.getBoundingClientRect().top ?? null,
          reader: document.querySelector('iframe.viewer')?.getBoundingClientRect() ?? null,
          text: document.querySelector('main')?.textContent ?? '',
        }));
        const at = `${path} at ${width} px`;
        assert.isAtMost(r.scrollWidth, width, `${at}: scrolls sideways (${r.wide.join(', ')})`);
        assert.deepEqual(r.wide, [], at);
        assert.strictEqual(r.title.split('Văn Khố').length - 1, 1, `${at}: "${r.title}" names the site once`);
        if (r.reader) {
          assert.isBelow(r.h1!, r.reader.top, `${at}: the title comes before the reader`);
          assert.isAtMost(r.reader.height, 800 * 0.65, `${at}: the reader leaves room for the description`);
        }
        assert.notMatch(r.text, /\b(\d{4}) \(\1\)/, `${at}: no date said twice`);
        await page.close();
      }
    }
  });

  it('the item page and the home page at phone width: no axe violation; the framed reader shows no second bar', async () => {
    for (const path of ['/items/toan-phap-thieu-nu', '/']) {
      const page = await open(390);
      await page.goto(`${srv.url}${path}`);
      await page.waitForTimeout(path === '/' ? 300 : 3000);
      assert.deepEqual(await violations(page), [], path);
      if (path !== '/') {
        const reader = page.frameLocator('iframe.viewer');
        await reader.locator('#mirador').waitFor({ state: 'attached' });
        assert.isTrue(await reader.locator('.vk-bar').isHidden(), 'no bar inside the item page');
      }
      await page.close();
    }
  });
});
