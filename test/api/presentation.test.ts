/**
 * Presentation API 3 (and 2.1) over the demo collection, served by a real server: every manifest and
 * collection validates against the official IIIF schema, carries what partners need, and resolves.
 */
import { assert } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'mocha';
import pino from 'pino';
import { PDFDocument } from 'pdf-lib';
import { pyramidOptions } from '../../server/app.js';
import { prepareDemo } from '../../server/demo.js';
import { presentation3Errors } from '../helpers/iiif-schema.js';
import { STAFF, startTestServer, type TestServer } from '../helpers/server.js';
import { shared } from '../helpers/shared.js';

type Json = Record<string, any>;
let srv: TestServer;
const P3 = '/iiif/presentation/3';
const P2 = '/iiif/presentation/2';
const ITEMS = ['toan-phap-thieu-nu', 'co-xao-do-hoi', 'tu-lieu-dia-chi'];

async function json(path: string, headers: Record<string, string> = {}): Promise<Json> {
  const res = await srv.get(path, { headers });
  assert.strictEqual(res.status, 200, `${path}: ${res.status}`);
  return (await res.json()) as Json;
}

function valid(doc: unknown, what: string) {
  assert.deepEqual(presentation3Errors(doc), [], `${what} is not valid Presentation 3`);
}

describe('Presentation API', () => {
  before(async () => {
    // A small page size, so that the demo's collections are paged too.
    srv = await startTestServer({ presentation: { collectionPageSize: 2 } });
    await prepareDemo(srv.deps.store, srv.deps.catalogue, pyramidOptions(srv.deps.config), pino({ level: 'silent' }));
  });
  after(() => srv.close());

  describe('the schema check itself', () => {
    it('accepts the IIIF cookbook documents and rejects the broken ones', () => {
      for (const f of ['cookbook-0009-book-1.json', 'cookbook-0024-book-4-toc.json', 'cookbook-0032-collection.json']) {
        valid(JSON.parse(readFileSync(shared('iiif', 'manifests', f), 'utf8')), f);
      }
      for (const f of readdirSync(shared('iiif', 'manifests', 'broken'))) {
        assert.notDeepEqual(presentation3Errors(JSON.parse(readFileSync(shared('iiif', 'manifests', 'broken', f), 'utf8'))), [], f);
      }
    });
  });

  describe('manifests', () => {
    for (const id of ITEMS) {
      it(`${id}: valid Presentation 3, every image service resolving`, async () => {
        const m = await json(`${P3}/items/${id}/manifest`);
        valid(m, id);
        for (const canvas of m.items) {
          const body = canvas.items[0].items[0].body;
          assert.strictEqual(body.type, 'Image');
          const [s3, s2] = body.service;
          assert.strictEqual(s3.type, 'ImageService3');
          assert.strictEqual(s2['@type'], 'ImageService2');
          const info = await json(new URL(`${s3.id}/info.json`).pathname);
          assert.deepEqual([info.width, info.height], [canvas.width, canvas.height]);
          assert.strictEqual((await srv.get(new URL(`${s2['@id']}/info.json`).pathname)).status, 200);
        }
      });
    }

    it('describes a Hán-Nôm book as partners need it', async () => {
      const m = await json(`${P3}/items/toan-phap-thieu-nu/manifest`);
      assert.strictEqual(m.id, `${srv.url}${P3}/items/toan-phap-thieu-nu/manifest`);
      assert.deepEqual(m.label, { vi: ['Toán pháp thiếu nữ'], ja: ['算法少女'], en: ['The Girl Mathematician (Sanpō shōjo)'] });
      assert.strictEqual(m.viewingDirection, 'right-to-left');
      // Each scan is an opening (two pages in one image): shown one at a time, never paired.
      assert.deepEqual(m.behavior, ['individuals']);
      assert.strictEqual(m.rights, 'http://creativecommons.org/publicdomain/mark/1.0/');
      // And by name, for viewers that show `rights` as a bare URI.
      const named = m.metadata.find((r: Json) => r.label.vi[0] === 'Bản quyền');
      assert.deepEqual(named.value, {
        vi: ['<a href="http://creativecommons.org/publicdomain/mark/1.0/">Thuộc phạm vi công cộng (PDM 1.0)</a>'],
        en: ['<a href="http://creativecommons.org/publicdomain/mark/1.0/">Public Domain (PDM 1.0)</a>'],
      });
      assert.deepEqual(m.requiredStatement.value, { vi: ['Thư viện tỉnh (bản trình diễn)'], en: ['Province Library (demo)'] });
      assert.strictEqual(m.provider[0].type, 'Agent');
      assert.strictEqual(m.provider[0].homepage[0].id, 'https://example.org/thu-vien-tinh');
      // The thumbnail is the largest of the image's `sizes` entries within 300 px: served as a copy.
      const thumb = /\/iiif\/3\/ndl-3508165-08\/full\/(\d+),(\d+)\/0\/default\.jpg$/.exec(m.thumbnail[0].id);
      assert.ok(thumb, m.thumbnail[0].id);
      const info = await json('/iiif/3/ndl-3508165-08/info.json');
      const fits = info.sizes.filter((s: { width: number; height: number }) => s.width <= 300 && s.height <= 300).at(-1);
      assert.deepEqual([Number(thumb[1]), Number(thumb[2])], [fits.width, fits.height]);
      const copies = async () => Number(/outcome="size_copy"\} (\d+)/.exec(await (await srv.get('/metrics', { headers: STAFF })).text())?.[1] ?? 0);
      const before = await copies();
      assert.strictEqual((await srv.get(new URL(m.thumbnail[0].id).pathname)).status, 200);
      assert.strictEqual((await copies()) - before, 1);
      assert.strictEqual(m.thumbnail[0].service[0].type, 'ImageService3');
      assert.strictEqual(m.homepage[0].id, `${srv.url}/items/toan-phap-thieu-nu`);
      assert.strictEqual(m.rendering[0].format, 'application/pdf');
      assert.strictEqual(m.seeAlso[0].profile, 'http://www.openarchives.org/OAI/2.0/oai_dc/');
      assert.strictEqual(m.partOf[0].id, `${srv.url}${P3}/collections/sach-moc-ban`);
      assert.strictEqual(m.items.length, 5);
      assert.deepEqual(m.items[1].label, { vi: ['Tờ 9 — Lời tựa'] });
      assert.deepEqual(
        m.structures.map((r: Json) => [r.label.vi[0], r.items.map((c: Json) => c.id.split('/').pop())]),
        [['Mở đầu và lời tựa', ['1', '2']], ['Chính văn', ['3', '4', '5']]],
      );
      const meta = Object.fromEntries(m.metadata.map((e: Json) => [e.label.vi[0], e.value]));
      assert.deepEqual(meta['Niên đại'], { none: ['Niên hiệu An Vĩnh, năm Ất Mùi (安永乙未) (1775)'] });
      assert.deepEqual(meta['Văn tự'], { vi: ['Chữ Hán'], en: ['Han characters'] });
      assert.strictEqual(meta['Ký hiệu kho'].none[0], 'DEMO-HN-0001');
    });

    it('is served with CORS, JSON or JSON-LD as asked, and 304 when unchanged', async () => {
      const path = `${P3}/items/co-xao-do-hoi/manifest`;
      const res = await srv.get(path);
      assert.strictEqual(res.headers.get('access-control-allow-origin'), '*');
      assert.strictEqual(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.strictEqual(res.headers.get('content-encoding'), 'gzip');
      const ld = await srv.get(path, { headers: { Accept: 'application/ld+json' } });
      assert.strictEqual(ld.headers.get('content-type'), 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"');
      const first = await srv.raw(path);
      assert.strictEqual((await srv.raw(path, { 'If-None-Match': String(first.headers.etag) })).status, 304);
      const preflight = await srv.get(path, { method: 'OPTIONS', headers: { Origin: 'https://partner.example', 'Access-Control-Request-Method': 'GET' } });
      assert.strictEqual(preflight.status, 204);
      assert.strictEqual(preflight.headers.get('access-control-allow-origin'), '*');
    });

    it('answers 404 for an unknown item and 400 for a malformed identifier', async () => {
      const missing = await srv.get(`${P3}/items/khong-co/manifest`);
      assert.strictEqual(missing.status, 404);
      assert.match(await missing.text(), /no item \\"khong-co\\"/);
      const bad = await srv.get(`${P3}/items/..%2Fetc/manifest`);
      assert.strictEqual(bad.status, 400);
      assert.match(await bad.text(), /item identifier/);
    });
  });

  describe('collections', () => {
    it('top → library → collection → items, all valid, paged when large', async () => {
      const top = await json(`${P3}/top`);
      valid(top, 'top');
      assert.deepEqual(top.items.map((c: Json) => c.id), [`${srv.url}${P3}/libraries/thu-vien-tinh`, `${srv.url}${P3}/libraries/thu-vien-huyen`]);
      const library = await json(`${P3}/libraries/thu-vien-tinh`);
      valid(library, 'library');
      assert.deepEqual(library.items.map((c: Json) => c.id.split('/').pop()), ['sach-co', 'tai-lieu-dia-chi']);
      const sachCo = await json(`${P3}/collections/sach-co`);
      valid(sachCo, 'sach-co');
      assert.strictEqual(sachCo.items[0].id, `${srv.url}${P3}/collections/sach-moc-ban`);
      // Two items in a collection with a page size of 2: one page, listed directly.
      const mocBan = await json(`${P3}/collections/sach-moc-ban`);
      valid(mocBan, 'sach-moc-ban');
      assert.deepEqual(mocBan.items.map((m: Json) => m.type), ['Manifest', 'Manifest']);
      assert.strictEqual(mocBan.items[0].thumbnail[0].type, 'Image');
      assert.strictEqual(mocBan.partOf[0].id, `${srv.url}${P3}/collections/sach-co`);
    });

    it('splits a collection larger than the page size into page collections', async () => {
      const source = await srv.deps.catalogue.getItem('co-xao-do-hoi');
      await srv.deps.catalogue.putItem({ id: 'ban-sao', collection: 'sach-moc-ban', kind: source.kind, description: source.description, canvases: [{ image: 'ndl-2568591-15' }] });
      const paged = await json(`${P3}/collections/sach-moc-ban`);
      valid(paged, 'paged');
      assert.deepEqual(paged.items.map((p: Json) => p.id.split('/').pop()), ['sach-moc-ban?page=1', 'sach-moc-ban?page=2']);
      const page2 = await json(`${P3}/collections/sach-moc-ban?page=2`);
      valid(page2, 'page 2');
      assert.deepEqual(page2.items.map((m: Json) => m.id.split('/').at(-2)), ['toan-phap-thieu-nu']);
      assert.strictEqual((await srv.get(`${P3}/collections/sach-moc-ban?page=3`)).status, 404);
      assert.strictEqual((await srv.get(`${P3}/collections/sach-moc-ban?page=0`)).status, 400);
      assert.strictEqual((await srv.get(`${P3}/collections/khong-co`)).status, 404);
    });
  });

  describe('Presentation 2.1', () => {
    it('serves the same manifest in 2.1 form, with v2 image services that resolve', async () => {
      const m = await json(`${P2}/items/toan-phap-thieu-nu/manifest`);
      assert.strictEqual(m['@context'], 'http://iiif.io/api/presentation/2/context.json');
      assert.strictEqual(m['@id'], `${srv.url}${P2}/items/toan-phap-thieu-nu/manifest`);
      assert.strictEqual(m['@type'], 'sc:Manifest');
      assert.strictEqual(m.viewingDirection, 'right-to-left');
      assert.strictEqual(m.viewingHint, 'individuals');
      assert.strictEqual(m.license, 'http://creativecommons.org/publicdomain/mark/1.0/');
      assert.deepEqual(m.label, [
        { '@value': 'Toán pháp thiếu nữ', '@language': 'vi' },
        { '@value': '算法少女', '@language': 'ja' },
        { '@value': 'The Girl Mathematician (Sanpō shōjo)', '@language': 'en' },
      ]);
      const canvases = m.sequences[0].canvases;
      assert.strictEqual(canvases.length, 5);
      const image = canvases[0].images[0];
      assert.strictEqual(image.on, canvases[0]['@id']);
      assert.strictEqual(image.resource.service['@context'], 'http://iiif.io/api/image/2/context.json');
      assert.strictEqual((await json(new URL(`${image.resource.service['@id']}/info.json`).pathname))['@context'], 'http://iiif.io/api/image/2/context.json');
      assert.strictEqual((await srv.get(new URL(image.resource['@id']).pathname)).status, 200);
      assert.strictEqual(m.structures.length, 2);
      assert.strictEqual(m.structures[0].canvases.length, 2);
    });

    it('answers 2.1 on the v3 URI when the Accept profile asks for it', async () => {
      const m = await json(`${P3}/items/co-xao-do-hoi/manifest`, { Accept: 'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"' });
      assert.strictEqual(m['@type'], 'sc:Manifest');
    });

    it('serves collections in 2.1 form', async () => {
      const c = await json(`${P2}/collections/sach-co`);
      assert.strictEqual(c['@type'], 'sc:Collection');
      assert.deepEqual(c.collections.map((x: Json) => x['@id']), [`${srv.url}${P2}/collections/sach-moc-ban`]);
    });
  });

  describe('renderings linked from the manifest', () => {
    it('the PDF has one page per canvas', async () => {
      const res = await srv.get('/items/co-xao-do-hoi/pdf');
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.headers.get('content-type'), 'application/pdf');
      const pdf = await PDFDocument.load(await res.arrayBuffer());
      assert.strictEqual(pdf.getPageCount(), 2);
      assert.strictEqual(pdf.getTitle(), 'Cơ xảo đồ hội');
      // 1600×1200 px at 150 dpi.
      assert.deepEqual(pdf.getPage(0).getSize(), { width: 768, height: 576 });
    });

    it('the Dublin Core record carries the description', async () => {
      const res = await srv.get('/items/toan-phap-thieu-nu/dc.xml');
      assert.strictEqual(res.status, 200);
      const xml = await res.text();
      assert.match(xml, /<dc:title xml:lang="vi">Toán pháp thiếu nữ<\/dc:title>/);
      assert.match(xml, /<dc:title xml:lang="ja">算法少女<\/dc:title>/);
      assert.match(xml, /<dc:date>1775<\/dc:date>/);
      assert.match(xml, /<dc:rights>http:\/\/creativecommons.org\/publicdomain\/mark\/1.0\/<\/dc:rights>/);
      assert.match(xml, /<dc:identifier>DEMO-HN-0001<\/dc:identifier>/);
    });
  });

  describe('the staff catalogue API', () => {
    // Staff writes and reads carry the test server's staff key (loopback is not staff).
    const put = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      srv.get(path, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...STAFF, ...headers } });

    it('writes an item and the manifest follows, with a new ETag', async () => {
      const before = await srv.raw(`${P3}/items/tu-lieu-dia-chi/manifest`);
      const item = (await json('/api/items/tu-lieu-dia-chi', STAFF)) as Json;
      const description = { ...item.description, title: { ...item.description.title, vi: 'Tư liệu địa chí (đã sửa)' } };
      const res = await put('/api/items/tu-lieu-dia-chi', { collection: item.collection, kind: item.kind, description, canvases: item.canvases.map((c: Json) => ({ image: c.image })) });
      assert.strictEqual(res.status, 200, await res.clone().text());
      const after = await srv.raw(`${P3}/items/tu-lieu-dia-chi/manifest`);
      assert.notStrictEqual(after.headers.etag, before.headers.etag);
      assert.deepEqual(JSON.parse(after.body.toString()).label.vi, ['Tư liệu địa chí (đã sửa)']);
    });

    it('answers 400 naming the bad fields, and changes nothing', async () => {
      const res = await put('/api/items/moi', { collection: 'tai-lieu-dia-chi', kind: 'book', description: { title: { vi: '' }, languages: [], rights: 'x' }, canvases: [{ image: 'khong-co' }] });
      assert.strictEqual(res.status, 400);
      const body = (await res.json()) as Json;
      assert.strictEqual(body.error, 'invalid_fields');
      for (const field of ['description.title.vi', 'description.languages', 'description.rights']) assert.match(body.message, new RegExp(field.replace(/\./g, '\\.')));
      assert.strictEqual((await srv.get('/api/items/moi', { headers: STAFF })).status, 404);
      const mismatch = await put('/api/libraries/a', { id: 'b', name: { vi: 'x' } });
      assert.strictEqual(mismatch.status, 400);
      assert.strictEqual((await put('/api/items/x', '{not json')).status, 400);
      assert.strictEqual((await put('/api/items/x', '[1,2]')).status, 400);
    });

    it('refuses a body over the limit with 413', async () => {
      const res = await put('/api/items/big', { note: 'x'.repeat(2 * 1024 * 1024) });
      assert.strictEqual(res.status, 413);
    });

    it('requires the staff key when one is configured', async () => {
      const keyed = await startTestServer({ api: { staffKey: 'a-very-secret-staff-key', maxBodyBytes: 1024 * 1024 } });
      try {
        const body = JSON.stringify({ name: { vi: 'Thư viện huyện' } });
        const headers = { 'Content-Type': 'application/json' };
        // Loopback is not staff: no credentials is 401 (sign in), and so is a key that is not the key.
        const anonymous = await keyed.get('/api/libraries/huyen', { method: 'PUT', body, headers });
        assert.strictEqual(anonymous.status, 401);
        assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
        const wrong = await keyed.get('/api/libraries/huyen', { method: 'PUT', body, headers: { ...headers, Authorization: 'Bearer wrong-key-wrong-key' } });
        assert.strictEqual(wrong.status, 401);
        assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
        assert.strictEqual((await keyed.get('/api/libraries/huyen', { headers: { Authorization: 'Bearer wrong-key-wrong-key' } })).status, 401);
        assert.strictEqual((await keyed.get('/api/libraries/huyen', { method: 'PUT', body, headers: { ...headers, ...STAFF } })).status, 401, 'only the configured key');
        // The right key, but from another site's page: refused.
        const key = { ...headers, Authorization: 'Bearer a-very-secret-staff-key' };
        assert.strictEqual((await keyed.get('/api/libraries/huyen', { method: 'PUT', body, headers: { ...key, Origin: 'https://evil.example' } })).status, 403);
        assert.strictEqual((await keyed.get('/api/libraries/huyen', { method: 'PUT', body, headers: { ...key, 'Sec-Fetch-Site': 'cross-site' } })).status, 403);
        assert.strictEqual((await keyed.get('/api/libraries/huyen', { headers: key })).status, 404, 'nothing was written');
        const ok = await keyed.get('/api/libraries/huyen', { method: 'PUT', body, headers: { ...key, Origin: keyed.url } });
        assert.strictEqual(ok.status, 200);
        assert.strictEqual((await keyed.get('/api/libraries/huyen')).status, 401, 'staff reads need credentials too');
        assert.strictEqual((await keyed.get('/api/libraries/huyen', { headers: key })).status, 200);
      } finally {
        await keyed.close();
      }
    });
  });

  describe('a 1 000-page item', () => {
    it('builds a valid manifest, served again from memory until the item changes', async () => {
      await srv.deps.catalogue.putItem({
        id: 'nghin-trang',
        collection: 'tai-lieu-dia-chi',
        kind: 'newspaper',
        description: { title: { vi: 'Báo một nghìn trang' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' },
        canvases: Array.from({ length: 1000 }, (_, i) => ({ image: i % 2 ? 'tu-lieu-dia-chi-p1' : 'tu-lieu-dia-chi-p2' })),
      });
      const first = await srv.raw(`${P3}/items/nghin-trang/manifest`);
      const m = JSON.parse(first.body.toString()) as Json;
      assert.strictEqual(m.items.length, 1000);
      valid(m, '1000-page manifest');
      const again = await srv.raw(`${P3}/items/nghin-trang/manifest`);
      assert.strictEqual(again.headers.etag, first.headers.etag);
    });
  });
});
