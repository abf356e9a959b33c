/** The public site as a reader meets it: Vietnamese first, English on request, each item readable. */
import { assert } from 'chai';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { dayInVietnam } from '../../server/presentation/citation.js';
import { after, before, describe, it } from 'mocha';
import pino from 'pino';
import { pyramidOptions } from '../../server/app.js';
import { prepareDemo } from '../../server/demo.js';
import { TesseractOcr } from '../../server/ingest/ocr.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
const page = async (path: string, status = 200) => {
  const res = await srv.get(path);
  assert.strictEqual(res.status, status, path);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  return res.text();
};

describe('public site', () => {
  before(async () => {
    srv = await startTestServer();
    // As `npm start` prepares it: the scanned report recognised by Tesseract, every item indexed.
    await prepareDemo(srv.deps.store, srv.deps.catalogue, pyramidOptions(srv.deps.config), pino({ level: 'silent' }), {
      ocr: new TesseractOcr(),
      index: (id) => srv.deps.archive.indexer.item(id, { pages: true }),
    });
  });
  after(() => srv.close());

  it('the demo can be searched: titles, and the scanned report by its recognised text, down to its pages in the reader', async () => {
    const found = (await (await srv.get(`/api/search?q=${encodeURIComponent('toan phap')}`)).json()) as { items: { id: string }[] };
    assert.deepEqual(found.items.map((i) => i.id), ['toan-phap-thieu-nu'], 'a title typed without diacritics');
    // Words of the report's body, not of its description.
    const inText = (await (await srv.get(`/api/search?q=${encodeURIComponent('"giay do"')}`)).json()) as {
      items: { id: string; recordMatched: boolean; pageHits: number; snippets: { text: string; highlights: [number, number][] }[] }[];
    };
    assert.deepEqual(inText.items.map((i) => [i.id, i.recordMatched]), [['tu-lieu-dia-chi', false]]);
    const s = inText.items[0]!.snippets[0]!;
    assert.deepEqual(s.highlights.map(([a, b]) => s.text.slice(a, b).toLowerCase()), ['giấy dó']);
    const manifest = (await (await srv.get('/iiif/presentation/3/items/tu-lieu-dia-chi/manifest')).json()) as { service: { profile?: string }[] };
    assert.isTrue(manifest.service.some((x) => x.profile === 'http://iiif.io/api/search/1/search'), 'Mirador finds the search service');
    const hits = (await (await srv.get(`/iiif/search/1/items/tu-lieu-dia-chi?q=${encodeURIComponent('giấy dó')}`)).json()) as { within: { total: number } };
    assert.isAtLeast(hits.within.total, 1);
    assert.include(await page('/items/tu-lieu-dia-chi/text'), 'giấy dó');
  });

  describe('public pages', () => {
    it('the home page lists the libraries, collections and documents in Vietnamese', async () => {
      const html = await page('/');
      assert.match(html, /<html lang="vi">/);
      assert.match(html, /Thư viện tỉnh \(bản trình diễn\)/);
      assert.match(html, /href="\/collections\/sach-co\?lang=vi">Sách cổ chữ Hán/);
      for (const id of ['toan-phap-thieu-nu', 'co-xao-do-hoi', 'tu-lieu-dia-chi']) assert.match(html, new RegExp(`href="/items/${id}\\?lang=vi"`));
      assert.match(html, /<div class="original" lang="ja">算法少女<\/div>/);
      // Thumbnails are `sizes` entries within 300 px (file copies), e.g. the demo book's first page.
      const thumb = /\/iiif\/3\/ndl-3508165-08\/full\/(\d+),(\d+)\/0\/default\.jpg/.exec(html);
      assert.ok(thumb && Number(thumb[1]) <= 300 && Number(thumb[2]) <= 300, 'thumbnail of the demo book');
      const info = (await (await srv.get('/iiif/3/ndl-3508165-08/info.json')).json()) as { sizes: { width: number; height: number }[] };
      assert.deepInclude(info.sizes, { width: Number(thumb![1]), height: Number(thumb![2]) });
    });

    it('an item page embeds the reading room on its manifest, in book view for a paged book', async () => {
      const demo = await srv.deps.catalogue.getItem('toan-phap-thieu-nu');
      await srv.deps.catalogue.putItem({ id: 'sach-tung-trang', collection: demo.collection, kind: 'book', description: { ...demo.description, behavior: 'paged' }, canvases: demo.canvases.map((c) => ({ image: c.image })) });
      const paged = encodeURIComponent(`${srv.url}/iiif/presentation/3/items/sach-tung-trang/manifest`);
      assert.ok((await page('/items/sach-tung-trang')).includes(`src="${srv.url}/viewer?manifest=${paged}&amp;lang=vi&amp;view=book"`));
      // The demo's woodblock scans are openings: shown one at a time.
      const html = await page('/items/toan-phap-thieu-nu');
      const manifest = encodeURIComponent(`${srv.url}/iiif/presentation/3/items/toan-phap-thieu-nu/manifest`);
      assert.ok(html.includes(`<iframe class="viewer" title="Đọc tài liệu" src="${srv.url}/viewer?manifest=${manifest}&amp;lang=vi"`));
      assert.match(html, /<th>Niên đại<\/th><td>Niên hiệu An Vĩnh, năm Ất Mùi \(安永乙未\) \(1775\)<\/td>/);
      assert.match(html, /<th>Đơn vị lưu giữ<\/th><td>Thư viện tỉnh \(bản trình diễn\)<\/td>/);
      // Rights by name and badge, the statement behind the link, not a bare address.
      assert.include(html, '<a class="rights" href="http://creativecommons.org/publicdomain/mark/1.0/"><span class="badge free">PDM 1.0</span> Thuộc phạm vi công cộng</a>');
      for (const link of ['/iiif/presentation/3/items/toan-phap-thieu-nu/manifest', '/iiif/presentation/2/items/toan-phap-thieu-nu/manifest', '/items/toan-phap-thieu-nu/pdf', '/items/toan-phap-thieu-nu/dc.xml']) {
        assert.ok(html.includes(`href="${srv.url}${link}"`), link);
      }
      assert.match(html, /Mã nhúng<textarea readonly rows="3">&lt;iframe src=/);
      // A single-page-at-a-time item opens in the default view.
      assert.notMatch(await page('/items/tu-lieu-dia-chi'), /view=book/);
    });

    it('switches to English', async () => {
      const html = await page('/items/co-xao-do-hoi?lang=en');
      assert.match(html, /<html lang="en">/);
      assert.match(html, /<h1>Illustrated Machinery \(Karakuri zui\)<\/h1>/);
      assert.match(html, /<th>Holding library<\/th><td>Province Library \(demo\)<\/td>/);
      assert.match(html, /lang=en/);
    });

    it('a collection page lists its sub-collections and documents', async () => {
      const html = await page('/collections/sach-co');
      assert.match(html, /href="\/collections\/sach-moc-ban\?lang=vi">Sách in mộc bản/);
      assert.match(await page('/collections/sach-moc-ban'), /href="\/items\/co-xao-do-hoi\?lang=vi"/);
    });

    it('says "not found" in the reader\'s language, and 400 for a bad page number', async () => {
      assert.match(await page('/items/khong-co', 404), /<h1>Không tìm thấy<\/h1>.*no item/s);
      assert.match(await page('/items/khong-co?lang=en', 404), /<h1>Not found<\/h1>/);
      assert.match(await page('/?page=0', 400), /Yêu cầu không hợp lệ/);
      // In the site's layout, for a phone too: its header and search, a way on.
      const missing = await page('/items/khong-co', 404);
      assert.include(missing, '<meta name="viewport" content="width=device-width, initial-scale=1">');
      assert.match(missing, /<form class="site-search"/);
      assert.include(missing, '<a href="/">Về trang chủ</a>');
      assert.match(missing, /<title>404 · Không tìm thấy · Văn Khố<\/title>/);
    });

    it('offers a suggested citation (Vietnamese style), CSL-JSON and BibTeX, the permanent address and the IIIF drag-and-drop link', async () => {
      const html = await page('/items/toan-phap-thieu-nu');
      const today = dayInVietnam(new Date().toISOString()).split('-').reverse().join('/');
      assert.include(html, `<p class="citation">Toán pháp thiếu nữ (算法少女). Niên hiệu An Vĩnh, năm Ất Mùi (安永乙未) (1775). Thư viện tỉnh (bản trình diễn), ký hiệu DEMO-HN-0001. ${srv.url}/items/toan-phap-thieu-nu (truy cập ngày ${today}).</p>`);
      const manifest = `${srv.url}/iiif/presentation/3/items/toan-phap-thieu-nu/manifest`;
      assert.include(html, `href="${manifest}?manifest=${encodeURIComponent(manifest)}"`);
      assert.include(html, `<input class="copy" readonly value="${manifest}">`);
      const csl = await srv.get('/items/toan-phap-thieu-nu/cite.json');
      assert.strictEqual(csl.headers.get('content-type'), 'application/vnd.citationstyles.csl+json; charset=utf-8');
      const [entry] = (await csl.json()) as Record<string, unknown>[];
      assert.deepInclude(entry, { id: 'toan-phap-thieu-nu', type: 'book', title: 'Toán pháp thiếu nữ', 'original-title': '算法少女', archive: 'Thư viện tỉnh (bản trình diễn)', 'call-number': 'DEMO-HN-0001', URL: `${srv.url}/items/toan-phap-thieu-nu` });
      assert.deepEqual(entry!.issued, { 'date-parts': [[1775]] });
      const bib = await (await srv.get('/items/co-xao-do-hoi/cite.bib')).text();
      assert.match(bib, /^@book\{co-xao-do-hoi,\n  title = \{\{Cơ xảo đồ hội \(機巧図彙\)\}\},\n  author = \{\{Hosokawa Hanzō Yorinao \(細川半蔵頼直\)\}\},\n  year = \{1796\},\n  note = \{Ký hiệu DEMO-HN-0002\},\n  library = \{Thư viện tỉnh \(bản trình diễn\)\},/);
      assert.include(bib, `  url = {${srv.url}/items/co-xao-do-hoi},`);
      // What may not be discovered is not cited either.
      const demo = await srv.deps.catalogue.getItem('co-xao-do-hoi');
      await srv.deps.catalogue.putItem({ id: 'noi-bo', collection: demo.collection, kind: 'book', accessLevel: 'staff', description: demo.description, canvases: [{ image: demo.canvases[0]!.image }] });
      assert.strictEqual((await srv.get('/items/noi-bo/cite.json')).status, 404);
      assert.strictEqual((await srv.get('/items/noi-bo/cite.bib')).status, 404);
    });

    it('lets a reader download a page image at a chosen size, within what they may see', async () => {
      const html = await page('/items/toan-phap-thieu-nu');
      assert.match(html, /<form class="download" action="\/items\/toan-phap-thieu-nu\/image" method="get">[\s\S]*<input type="number" name="page" min="1" max="5"[\s\S]*<option value="max">cỡ gốc<\/option>/);
      const to = async (q: string) => (await srv.raw(`/items/toan-phap-thieu-nu/image?${q}`)).headers.location;
      assert.strictEqual(await to('page=2&size=1600'), `${srv.url}/iiif/3/ndl-3508165-09/full/!1600,1600/0/default.jpg`);
      assert.strictEqual(await to('page=1&size=max'), `${srv.url}/iiif/3/ndl-3508165-08/full/max/0/default.jpg`);
      const jpeg = await srv.get(new URL((await to('page=2&size=800'))!).pathname);
      assert.strictEqual(jpeg.status, 200);
      assert.strictEqual(jpeg.headers.get('content-type'), 'image/jpeg');
      for (const bad of ['page=9&size=800', 'page=0&size=800', 'page=1&size=huge']) assert.strictEqual((await srv.raw(`/items/toan-phap-thieu-nu/image?${bad}`)).status, 400, bad);
      assert.strictEqual((await srv.raw('/items/khong-co/image?page=1&size=800')).status, 404);
      // A public-reduced item, anonymously: at most the reduced size, and the form offers no full size.
      const demo = await srv.deps.catalogue.getItem('toan-phap-thieu-nu');
      await srv.deps.catalogue.putItem({ id: 'thu-nho', collection: demo.collection, kind: 'book', accessLevel: 'public-reduced', description: demo.description, canvases: [{ image: demo.canvases[0]!.image }] });
      assert.notInclude(await page('/items/thu-nho'), '<option value="max">');
      assert.strictEqual((await srv.raw('/items/thu-nho/image?page=1&size=max')).headers.location, `${srv.url}/iiif/3/ndl-3508165-08/full/!1200,1200/0/default.jpg`);
      assert.strictEqual((await srv.raw('/items/thu-nho/image?page=1&size=800')).headers.location, `${srv.url}/iiif/3/ndl-3508165-08/full/!800,800/0/default.jpg`);
    });

    it("tells who runs the library and how to reach it: about and contact pages, linked from every page's footer; a favicon", async () => {
      const home = await page('/');
      assert.match(home, /<footer>[\s\S]*<a href="\/about\?lang=vi">Giới thiệu<\/a> · <a href="\/contact\?lang=vi">Liên hệ<\/a>/);
      assert.include(home, '<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
      const about = await page('/about');
      assert.match(about, /<h2>Mạng lưới thư viện<\/h2>\s*<ul><li><a href="https:\/\/example.org\/thu-vien-tinh">Thư viện tỉnh \(bản trình diễn\)<\/a><ul><li>Thư viện huyện \(bản trình diễn\)<\/li><\/ul><\/li><\/ul>/);
      assert.include(about, `href="${srv.url}/iiif/presentation/3/top"`);
      const contact = await page('/contact');
      assert.include(contact, '<a href="mailto:lienhe@example.org">lienhe@example.org</a>');
      assert.include(contact, '<a href="tel:+842000000000">+84 20 0000 0000</a>');
      assert.match(contact, /<h2>Thư viện huyện \(bản trình diễn\)<\/h2><p>Chưa có thông tin liên hệ.<\/p>/);
      assert.match(await page('/contact?lang=en'), /<h1>Contact<\/h1>[\s\S]*Telephone/);
      for (const icon of ['/favicon.svg', '/favicon.ico']) {
        const res = await srv.get(icon);
        assert.strictEqual(res.status, 200, icon);
        assert.strictEqual(res.headers.get('content-type'), 'image/svg+xml');
        assert.match(await res.text(), /^<svg /);
      }
    });

    it('answers an address no page has with the site\'s own "not found" page for browsers, JSON for programs', async () => {
      const html = await srv.raw('/khong-co-trang-nay', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
      assert.strictEqual(html.status, 404);
      assert.match(String(html.headers['content-type']), /^text\/html/);
      assert.match(html.body.toString(), /<html lang="vi">[\s\S]*<h1>Không tìm thấy<\/h1>[\s\S]*không có trang nào ở địa chỉ \/khong-co-trang-nay/);
      const en = await srv.raw('/khong-co-trang-nay?lang=en', { Accept: 'text/html' });
      assert.match(en.body.toString(), /<h1>Not found<\/h1>/);
      const api = await srv.raw('/khong-co-trang-nay', { Accept: 'application/json' });
      assert.strictEqual(api.status, 404);
      assert.deepEqual(JSON.parse(api.body.toString()), { error: 'not_found', message: 'nothing at /khong-co-trang-nay' });
    });
  });

  describe('the reader page', () => {
    it('hands the manifest to Mirador as JSON that cannot break out of its script block', async () => {
      const html = await page(`/viewer?manifest=${encodeURIComponent(`${srv.url}/iiif/presentation/3/items/x/manifest?a=</script><script>alert(1)</script>`)}`);
      assert.notMatch(html, /<script>alert/);
      assert.match(html, /\\u003c\/script>/);
      assert.match(html, /<script src="\/viewer\/assets\/reading-room\.js\?v=[\w-]{16}"><\/script>/);
      // Another site's manifest is refused: it could route the reader's IIIF token to a foreign server.
      assert.match(await page(`/viewer?manifest=${encodeURIComponent('https://partner.example/iiif/m.json')}`, 400), /manifests only/);
    });

    it('refuses a manifest that is not an http(s) URL', async () => {
      assert.match(await page('/viewer?manifest=javascript:alert(1)', 400), /manifest/);
      assert.match(await page('/viewer?view=sideways', 400), /view/);
    });

    it('serves the bundled Mirador compressed as the browser accepts, kept a year under its hash, and nothing else from that folder', async () => {
      const html = await page(`/viewer?manifest=${encodeURIComponent(`${srv.url}/iiif/presentation/3/items/toan-phap-thieu-nu/manifest`)}`);
      const src = /<script src="(\/viewer\/assets\/reading-room\.js\?v=[\w-]+)">/.exec(html)![1]!;
      const plain = await srv.raw(src, { 'Accept-Encoding': 'identity' });
      assert.strictEqual(plain.status, 200);
      assert.match(String(plain.headers['content-type']), /javascript/);
      assert.isAbove(plain.body.length, 500_000);
      assert.strictEqual(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.match(String(plain.headers.vary), /Accept-Encoding/);
      // Brotli where accepted (what browsers send), gzip otherwise: the same bytes once inflated, fewer sent.
      const br = await srv.raw(src, { 'Accept-Encoding': 'gzip, deflate, br' });
      assert.strictEqual(br.headers['content-encoding'], 'br');
      assert.isTrue(brotliDecompressSync(br.body).equals(plain.body));
      const gz = await srv.raw(src, { 'Accept-Encoding': 'gzip' });
      assert.strictEqual(gz.headers['content-encoding'], 'gzip');
      assert.isTrue(gunzipSync(gz.body).equals(plain.body));
      assert.isBelow(br.body.length, gz.body.length);
      assert.isBelow(br.body.length, plain.body.length / 3.5);
      // Another build's hash (a page of another instance in a rolling deploy): not kept; without one, an
      // hour. No source map is shipped.
      assert.strictEqual((await srv.raw('/viewer/assets/reading-room.js?v=stale')).headers['cache-control'], 'no-cache');
      assert.strictEqual((await srv.raw('/viewer/assets/reading-room.js')).headers['cache-control'], 'public, max-age=3600');
      assert.notStrictEqual(br.headers.etag, gz.headers.etag, 'one entity tag per encoding');
      assert.strictEqual((await srv.get('/viewer/assets/reading-room.js.map')).status, 404);
      const js = await srv.get('/viewer/assets/reading-room.js');
      assert.strictEqual(js.status, 200);
      for (const bad of ['/viewer/assets/..%2F..%2Fpackage.json', '/viewer/assets/build.mjs', '/viewer/assets/nothing.js']) {
        assert.strictEqual((await srv.get(bad)).status, 404, bad);
      }
    });
  });
});
