/**
 * Search on the public site, as a reader meets it: the search box in every page's header, the results
 * page (folded matching, snippets that open the reader at their page, facets, paging, sorting, browsing,
 * restricted items), bad parameters, search in one document and its full text, the reader's start page
 * and query, and everything a reader types or a cataloguer writes escaped where it is echoed.
 * A real server; OCR stored before each item's write, as ingest does, so the write indexes its pages.
 */
import path from 'node:path';
import { assert } from 'chai';
import { after, before, describe, it } from 'mocha';
import sharp from 'sharp';
import { ocrKeys } from '../../server/storage/layout.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

let srv: TestServer;
const RIGHTS = 'http://rightsstatements.org/vocab/NoC-NC/1.0/';

async function page(pathname: string, status = 200): Promise<string> {
  const res = await srv.get(pathname);
  const body = await res.text();
  assert.strictEqual(res.status, status, `${pathname}: ${body.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/, pathname);
  return body;
}

/** OCR of one page: each string a line (boxes are not looked at here). */
const ocr = (...lines: string[]) =>
  JSON.stringify({ width: 400, height: 600, language: 'vi', lines: lines.map((text, i) => ({ x: 10, y: 10 + 40 * i, w: 380, h: 30, text, words: [] })) });

const unescape = (href: string) => href.replace(/&amp;/g, '&');
/** The results' item ids, in the order shown. */
const shownIds = (html: string) => [...html.matchAll(/<h2><a href="\/items\/([^?"]+)\?/g)].map((m) => m[1]!);
const countOf = (html: string) => /<p class="count" role="status">([\d.,]+) /.exec(html)?.[1]?.replace(/[.,]/g, '');

const item = (id: string, collection: string, kind: string, title: Record<string, string>, images: string[], extra: Record<string, unknown> = {}) => ({
  collection,
  kind,
  description: { title, languages: ['vi'], scripts: ['latn'], rights: RIGHTS, ...((extra.description as object) ?? {}) },
  canvases: images.map((image) => ({ image })),
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'description')),
});

describe('search on the public site', function () {
  before(async function () {
    srv = await startTestServer();
    const dir = await tempDir();
    const file = path.join(dir, 'page.png');
    await sharp({ create: { width: 400, height: 600, channels: 3, background: '#d8cfb8' } }).png().toFile(file);
    for (const id of ['st-1', 'st-2', 'st-3', 'plain', 'mat', 'noi']) await srv.add(file, id);
    await srv.deps.store.put(ocrKeys('st-1').lines, ocr('Lời nói đầu', 'Sổ này ghi các quy định.'));
    await srv.deps.store.put(ocrKeys('st-2').lines, ocr('Quy định mượn sách của thư viện huyện.', 'Bạn đọc giữ gìn sách.'));
    await srv.deps.store.put(ocrKeys('st-3').lines, ocr('Mục lục'));
    await srv.deps.store.put(ocrKeys('mat').lines, ocr('Điều bí mật của thư viện.'));

    await srv.put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await srv.put('/api/libraries/huyen', { parent: 'tinh', name: { vi: 'Thư viện huyện', en: 'District library' } });
    await srv.put('/api/collections/sach', { library: 'tinh', label: { vi: 'Sách' } });
    await srv.put('/api/collections/bao', { library: 'huyen', label: { vi: 'Báo chí' } });
    await srv.put('/api/items/so-tay', item('so-tay', 'sach', 'book', { vi: 'Sổ tay bạn đọc' }, ['st-1', 'st-2', 'st-3'], { description: { date: { text: '1925', from: 1925 } } }));
    await srv.put('/api/items/dia-ba', item('dia-ba', 'sach', 'map', { vi: 'Bản đồ <b>tỉnh</b> Hà Nam', original: '河南省圖' }, ['plain'], { description: { date: { text: 'Thành Thái năm thứ 2', from: 1890 } } }));
    await srv.put('/api/items/mat-ban', item('mat-ban', 'sach', 'manuscript', { vi: 'Sổ mật thư viện' }, ['mat'], { accessLevel: 'registered' }));
    await srv.put('/api/items/noi-bo', item('noi-bo', 'sach', 'manuscript', { vi: 'Hồ sơ nội bộ thư viện' }, ['noi'], { accessLevel: 'staff' }));
    for (let n = 1; n <= 12; n++) {
      // Written in reverse order, so the title sort has something to do.
      const k = String(13 - n).padStart(2, '0');
      await srv.put(`/api/items/bao-${k}`, item(`bao-${k}`, 'bao', 'newspaper', { vi: `Báo Nam Phong số ${k}` }, ['plain'], { description: { date: { text: `19${20 + 13 - n}`, from: 1920 + 13 - n } } }));
    }
  });
  after(() => srv?.close());

  it('has the search box in the header of the home, collection, item and search pages', async function () {
    for (const p of ['/', '/collections/sach', '/items/so-tay', '/search?q=sach', '/items/so-tay/text']) {
      const html = await page(p);
      const form = /<form class="site-search" role="search" action="\/search" method="get">([\s\S]*?)<\/form>/.exec(html)?.[1];
      assert.ok(form, `${p}: the header's search form`);
      assert.match(form!, /<label class="sr" for="site-q">Tìm trong thư viện số<\/label>/, `${p}: labelled for screen readers`);
      assert.match(form!, /<input id="site-q" type="search" name="q" value="[^"]*" enterkeyhint="search"/, p);
      assert.include(form!, '<input type="hidden" name="lang" value="vi">', p);
    }
    assert.include(await page('/?lang=en'), '<input type="hidden" name="lang" value="en">');
    assert.include(await page('/search?q=sach'), 'id="site-q" type="search" name="q" value="sach"', 'the query echoed in the box');
  });

  it('finds a folded query in page text: the snippet, its page, and a link to the reader there with the query', async function () {
    const html = await page('/search?q=thu+vien');
    assert.include(shownIds(html), 'so-tay');
    assert.include(html, '<mark>thư viện</mark>');
    const manifest = encodeURIComponent(`${srv.url}/iiif/presentation/3/items/so-tay/manifest`);
    const reader = `${srv.url}/viewer?manifest=${manifest}&amp;canvas=2&amp;q=thu%20vien&amp;lang=vi`;
    assert.match(html, new RegExp(`<a href="${reader.replace(/[.?*+()[\]]/g, '\\$&')}"><span class="pg">Trang 2</span>[^<]*<mark>thư viện</mark> huyện`));
    assert.include(html, '<p class="pagehits">1 trang có kết quả</p>');
    assert.include(html, 'href="/items/so-tay?lang=vi"', 'the item page link');
    assert.match(html, /<p class="count" role="status">\d+ kết quả — “thu vien”<\/p>/);
    // In English.
    const en = await page('/search?q=thu+vien&lang=en');
    assert.match(en, /<html lang="en">/);
    assert.match(en, /\d+ results — “thu vien”/);
    assert.include(en, '<p class="pagehits">1 page matches</p>');
    assert.include(en, '<span class="pg">Page 2</span>');
  });

  it('shows a restricted item with the lock and no snippet to an anonymous reader; staff-only items not at all', async function () {
    const html = await page('/search?q=thu+vien');
    const ids = shownIds(html);
    assert.include(ids, 'mat-ban', 'its record matches (the title) and records are public');
    assert.notInclude(ids, 'noi-bo');
    const hit = html.slice(html.indexOf('<li class="hit"><a class="thumb" href="/items/mat-ban'));
    const matBan = hit.slice(0, hit.indexOf('</li>'));
    assert.include(matBan, '<div class="locked">Tài liệu hạn chế</div>');
    assert.notInclude(matBan, '<img');
    assert.notInclude(html, 'bí mật', 'no word of its text');
    assert.notInclude(html, 'items%2Fmat-ban%2Fmanifest&amp;canvas', 'no link into its pages');
  });

  it('counts facet values, and a facet link narrows the results to that count (other parameters kept)', async function () {
    const all = await page('/search?sort=title');
    const link = /<li><a class="fv" href="([^"]+)"><span class="box" aria-hidden="true"><\/span><span class="lbl">Thư viện huyện<\/span> <span class="n">(\d+)<\/span>/.exec(all);
    assert.ok(link, 'the library facet lists the district library');
    assert.strictEqual(link![2], '12');
    const href = unescape(link![1]!);
    assert.include(href, 'library=huyen');
    assert.include(href, 'sort=title', 'the sort is kept');
    const narrowed = await page(href);
    assert.strictEqual(countOf(narrowed), '12');
    assert.ok(shownIds(narrowed).every((id) => id.startsWith('bao-')));
    // The active filter is shown, with a link that removes it (and keeps the sort).
    const remove = /<li>Thư viện: Thư viện huyện <a href="([^"]+)" aria-label="Bỏ bộ lọc: Thư viện: Thư viện huyện">×<\/a><\/li>/.exec(narrowed);
    assert.ok(remove, 'active filter with a remove link');
    assert.strictEqual(unescape(remove![1]!), '/search?sort=title&lang=vi');
    assert.match(narrowed, /<a class="fv on" href="[^"]+"><span class="sr">Bỏ bộ lọc: <\/span>/, 'the chosen value says following it removes it');
    // Kind facet: one map.
    const kind = /<a class="fv" href="([^"]+)"><span class="box" aria-hidden="true"><\/span><span class="lbl">Bản đồ<\/span> <span class="n">1<\/span>/.exec(all);
    assert.deepEqual(shownIds(await page(unescape(kind![1]!))), ['dia-ba']);
  });

  it('pages through results, sorted by title', async function () {
    const first = await page('/search?collection=bao&sort=title&size=10');
    assert.strictEqual(countOf(first), '12');
    assert.deepEqual(shownIds(first), ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'].map((n) => `bao-${n}`));
    assert.include(first, '<span>Trang 1 / 2</span>');
    const next = /<a rel="next" href="([^"]+)">Trang sau<\/a>/.exec(first);
    assert.ok(next);
    const second = await page(unescape(next![1]!));
    assert.deepEqual(shownIds(second), ['bao-11', 'bao-12']);
    assert.include(second, '<span>Trang 2 / 2</span>');
    assert.include(second, '<a rel="prev" href="/search?collection=bao&amp;sort=title&amp;size=10&amp;lang=vi">Trang trước</a>', 'page 1 has no page parameter');
    assert.notInclude(second, 'rel="next"');
    // Newest first by date.
    assert.strictEqual(shownIds(await page('/search?collection=bao&sort=date-desc&size=10'))[0], 'bao-12');
  });

  it('lists everything the reader may see for an empty query, with the years as the range placeholders', async function () {
    const html = await page('/search');
    assert.strictEqual(countOf(html), '15', '12 newspapers, the notebook, the map, the restricted manuscript; not the staff file');
    assert.match(html, /<h1>Tất cả tài liệu<\/h1>/);
    assert.include(html, 'name="from" inputmode="numeric" min="-3000" max="2100" step="1" placeholder="1890"');
    assert.include(html, 'name="to" inputmode="numeric" min="-3000" max="2100" step="1" placeholder="1932"');
    // The year form sends empty fields: they mean "not set".
    assert.deepEqual(shownIds(await page('/search?q=&from=&to=1900&sort=relevance')), ['dia-ba']);
  });

  it('helps when nothing is found', async function () {
    const html = await page('/search?q=khongcogi&kind=map');
    assert.strictEqual(countOf(html), '0');
    assert.include(html, 'Không tìm thấy tài liệu nào.');
    assert.include(html, 'Kiểm tra lại chính tả.');
    assert.include(html, 'Gõ không dấu cũng được');
    assert.include(html, '<a href="/search?q=khongcogi&amp;lang=vi">Bỏ bớt bộ lọc</a>');
    assert.include(html, '<li>Loại tài liệu: Bản đồ <a', 'the filter named though no result counts it');
  });

  it('answers bad parameters with the HTML 400 page naming the parameter', async function () {
    for (const [query, name] of [['page=0', 'page'], ['size=7', 'size'], ['kind=nope', 'kind'], [`q=${'a'.repeat(1001)}`, 'q'], ['from=1900&to=1800', 'to']] as const) {
      const html = await page(`/search?${query}`, 400);
      assert.match(html, /<h1>Yêu cầu không hợp lệ<\/h1>/, query.slice(0, 20));
      assert.match(html, new RegExp(`<p>invalid query: ${name}(\\.0)?: `), query.slice(0, 20));
    }
    assert.match(await page('/search?size=7&lang=en', 400), /<h1>Bad request<\/h1>/);
  });

  it('offers search in a document and its full text on the item page, to readers who may read it', async function () {
    const html = await page('/items/so-tay');
    assert.include(html, '<form role="search" action="/items/so-tay/search" method="get">');
    assert.include(html, '<a href="/items/so-tay/text?lang=vi">Toàn văn</a> (3 trang có chữ)');
    assert.notInclude(await page('/items/dia-ba'), 'action="/items/dia-ba/search"', 'no text, no search form');
    const closed = await page('/items/mat-ban');
    assert.notInclude(closed, 'action="/items/mat-ban/search"');
    assert.include(closed, 'class="notice"');
  });

  it('lists the pages of a document that match, each opening the reader at that page with the query', async function () {
    const html = await page('/items/so-tay/search?q=quy+dinh');
    assert.include(html, 'id="item-q" type="search" name="q" value="quy dinh"');
    assert.include(html, '<p class="count" role="status">2 trang có kết quả — “quy dinh”</p>');
    const manifest = encodeURIComponent(`${srv.url}/iiif/presentation/3/items/so-tay/manifest`);
    const links = [...html.matchAll(/<li><a href="([^"]+)"><span class="pg">(Trang \d+)<\/span>(.*?)<\/a><\/li>/g)];
    assert.deepEqual(links.map((l) => l[2]), ['Trang 1', 'Trang 2'], 'in page order');
    assert.strictEqual(links[1]![1], `${srv.url}/viewer?manifest=${manifest}&amp;canvas=2&amp;q=quy%20dinh&amp;lang=vi`);
    assert.include(links[1]![3], '<mark>Quy định</mark> mượn sách');
    assert.include(await page('/items/so-tay/search?q=khongcogi'), 'Không tìm thấy tài liệu nào.');
  });

  it('shows the full text page by page, each page linked to the reader', async function () {
    const html = await page('/items/so-tay/text');
    const pages = [...html.matchAll(/<section class="text-page" id="trang-(\d)"><h2>Trang \d <a href="([^"]+)">Mở trang này<\/a><\/h2>\n<div class="ocr" lang="vi">([^<]*)<\/div>/g)];
    assert.deepEqual(pages.map((p) => p[1]), ['1', '2', '3']);
    assert.include(pages[1]![2], '&amp;canvas=2&amp;lang=vi');
    assert.strictEqual(pages[1]![3], 'Quy định mượn sách của thư viện huyện.\nBạn đọc giữ gìn sách.');
  });

  it('keeps the text of a restricted document from anonymous readers: a sign-in notice instead', async function () {
    for (const p of ['/items/mat-ban/text', '/items/mat-ban/search?q=thu+vien']) {
      const html = await page(p, 401);
      assert.include(html, 'class="notice"', p);
      assert.include(html, '/auth/login?returnTo=', p);
      assert.notInclude(html, 'bí mật', p);
    }
    await page('/items/noi-bo/text', 404);
  });

  it('escapes a query and a title wherever they are echoed', async function () {
    const xss = '<script>alert(1)</script>';
    for (const p of [`/search?q=${encodeURIComponent(xss)}`, `/items/so-tay/search?q=${encodeURIComponent(xss)}`, `/search?q=${encodeURIComponent(xss)}&kind=map`]) {
      const html = await page(p);
      assert.notInclude(html, '<script>alert', p);
      assert.include(html, '&lt;script&gt;alert(1)&lt;/script&gt;', p);
    }
    const byTitle = await page('/search?q=tinh');
    assert.include(byTitle, 'Bản đồ &lt;b&gt;<mark>tỉnh</mark>&lt;/b&gt; Hà Nam');
    assert.notInclude(byTitle, '<b>');
    const reader = await page(`/viewer?manifest=${encodeURIComponent(`${srv.url}/iiif/presentation/3/items/so-tay/manifest`)}&q=${encodeURIComponent(xss)}`);
    assert.notInclude(reader, '<script>alert');
  });

  it('opens the reader at a page, with the query, through its JSON configuration', async function () {
    const manifest = `${srv.url}/iiif/presentation/3/items/so-tay/manifest`;
    const html = await page(`/viewer?manifest=${encodeURIComponent(manifest)}&canvas=2&q=${encodeURIComponent('thư viện')}`);
    const config = JSON.parse(/<script id="vankho-viewer" type="application\/json">(.*?)<\/script>/.exec(html)![1]!);
    assert.deepEqual(config, {
      manifest,
      language: 'vi',
      canvasId: `${srv.url}/iiif/presentation/3/items/so-tay/canvas/2`,
      canvasIndex: 1,
      q: 'thư viện',
      back: { href: '/items/so-tay', title: 'Sổ tay bạn đọc' },
    });
    assert.match(await page(`/viewer?manifest=${encodeURIComponent(manifest)}&canvas=0`, 400), /canvas: /);
    assert.match(await page(`/viewer?manifest=${encodeURIComponent(manifest)}&q=${'a'.repeat(1001)}`, 400), /q: /);
  });
});
