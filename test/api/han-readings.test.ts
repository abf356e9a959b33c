/**
 * The Vietnamese reading of Han and Nôm text for readers, on a real server: the reading layer of each
 * canvas as a IIIF annotation page (linked from the canvas, so Mirador and other viewers show it), and
 * the full-text view with each character's reading under it. What a reader and a viewer check: the
 * reading of a known line, the line's box, the machine-generated label, which items have a layer, the
 * same access as the OCR, and a clear 400/404 for bad requests.
 */
import path from 'node:path';
import { assert } from 'chai';
import { after, before, describe, it } from 'mocha';
import sharp from 'sharp';
import type { OcrLine } from '../../server/storage/layout.js';
import { presentation3Errors } from '../helpers/iiif-schema.js';
import { putOcr, researcherCookie, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

type Json = Record<string, any>;

const HAN_ITEM = 'tam-tu-kinh';
const VI_ITEM = 'bao-cao';
const CLOSED = 'dia-ba';
const HIDDEN = 'ban-thao';

const line = (text: string, x: number, y: number, w: number, h: number): OcrLine => ({ text, x, y, w, h, words: [{ text, x, y, w, h, confidence: 0.9 }] });
/** A woodblock page: two Han lines, a Nôm line with Extension B characters, and a Vietnamese note. */
const HAN_LINES = [line('人之初性本善', 100, 100, 100, 600), line('性相近習相遠', 220, 100, 100, 600), line('漢𡨸喃字', 340, 100, 100, 400), line('Ghi chú của thư viện', 100, 900, 500, 40)];

describe('Hán-Nôm readings for readers', () => {
  let srv: TestServer;
  let researcher = '';
  const get = (p: string, cookie = '') => srv.get(p, cookie ? { headers: { cookie } } : {});
  const json = async (p: string, cookie = ''): Promise<Json> => {
    const res = await get(p, cookie);
    assert.strictEqual(res.status, 200, `${p}: ${res.status}`);
    return (await res.json()) as Json;
  };
  const manifest = (id: string) => `/iiif/presentation/3/items/${id}/manifest`;
  const reading = (id: string, n = 1) => `/iiif/presentation/3/items/${id}/canvas/${n}/ocr/reading`;

  before(async () => {
    srv = await startTestServer();
    const dir = await tempDir();
    const file = path.join(dir, 'trang.jpg');
    await sharp({ create: { width: 600, height: 1000, channels: 3, background: '#e8dcc0' } }).jpeg().toFile(file);
    await srv.put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await srv.put('/api/collections/han-nom', { library: 'tinh', label: { vi: 'Hán Nôm' } });
    const pages: [string, string, readonly OcrLine[]][] = [
      [HAN_ITEM, 'hn-1', HAN_LINES],
      [VI_ITEM, 'vi-1', [line('Báo cáo năm 2024', 100, 100, 400, 40)]],
      [CLOSED, 'hn-mat', [line('東鄂社地簿', 100, 100, 100, 500)]],
    ];
    for (const [, image, lines] of pages) {
      await srv.add(file, image);
      await putOcr(srv, image, { width: 600, height: 1000, language: 'lzh', lines });
    }
    const rights = 'http://creativecommons.org/publicdomain/mark/1.0/';
    const han = { title: { vi: 'Tam tự kinh', original: '三字經' }, languages: ['lzh'], scripts: ['han'], rights };
    await srv.put(`/api/items/${HAN_ITEM}`, { collection: 'han-nom', kind: 'woodblock', description: han, canvases: [{ image: 'hn-1' }] });
    await srv.put(`/api/items/${VI_ITEM}`, { collection: 'han-nom', kind: 'book', description: { title: { vi: 'Báo cáo' }, languages: ['vi'], scripts: ['latn'], rights }, canvases: [{ image: 'vi-1' }] });
    await srv.put(`/api/items/${CLOSED}`, { collection: 'han-nom', kind: 'manuscript', accessLevel: 'researcher', description: { ...han, title: { vi: 'Địa bạ' } }, canvases: [{ image: 'hn-mat' }] });
    await srv.put(`/api/items/${HIDDEN}`, { collection: 'han-nom', kind: 'manuscript', accessLevel: 'staff', description: { ...han, title: { vi: 'Bản thảo' } }, canvases: [{ image: 'hn-mat' }] });
    for (const id of [HAN_ITEM, VI_ITEM, CLOSED]) await srv.deps.archive.indexer.item(id, { pages: true });
    researcher = researcherCookie(srv);
  });
  after(() => srv.close());

  describe('the reading layer (IIIF annotations)', () => {
    it('is linked from each canvas of an item written in Han, after the OCR lines, labelled machine-generated', async () => {
      const m = await json(manifest(HAN_ITEM));
      assert.deepEqual(presentation3Errors(m), [], 'the manifest is valid Presentation 3');
      const refs = m.items[0].annotations as Json[];
      assert.deepEqual(
        refs.map((a) => a.id.split('/').slice(-2).join('/')),
        ['ocr/line', 'ocr/reading'],
      );
      assert.match(refs[1]!.label.vi[0], /máy tạo/);
      assert.match(refs[1]!.label.en[0], /machine-generated/);
    });

    it('reads each Han line in Vietnamese, on the line’s box, as a supplementing annotation in vi at line granularity', async () => {
      const page = await json(reading(HAN_ITEM));
      assert.strictEqual(page.type, 'AnnotationPage');
      assert.include(page['@context'], 'http://iiif.io/api/extension/text-granularity/context.json');
      const canvas = `${srv.url}/iiif/presentation/3/items/${HAN_ITEM}/canvas/1`;
      assert.deepEqual(
        page.items.map((a: Json) => [a.body.value, a.target]),
        [
          ['nhân chi sơ tính bản thiện', `${canvas}#xywh=100,100,100,600`],
          ['tính tương cận tập tương viễn', `${canvas}#xywh=220,100,100,600`],
          // Nôm, 𡨸 in Extension B (two UTF-16 units) read as one character.
          // 喃 in a Hán (lzh) item reads by its Sino-Vietnamese reading, nam (its Nôm reading is nôm).
          ['hán chữ nam tự', `${canvas}#xywh=340,100,100,400`],
        ],
        'the Vietnamese note has no Han: no reading',
      );
      for (const a of page.items as Json[]) {
        assert.strictEqual(a.motivation, 'supplementing');
        assert.strictEqual(a.textGranularity, 'line');
        assert.deepEqual([a.body.type, a.body.language, a.body.format], ['TextualBody', 'vi', 'text/plain']);
        assert.strictEqual(a.generator.type, 'Software');
      }
    });

    it('is not offered for an item not written in Han: no link, and 404 with a reason', async () => {
      const m = await json(manifest(VI_ITEM));
      assert.deepEqual(
        (m.items[0].annotations as Json[]).map((a) => a.id.split('/').pop()),
        ['line'],
      );
      const res = await get(reading(VI_ITEM));
      assert.strictEqual(res.status, 404);
      assert.match(((await res.json()) as Json).message, /not written in Han or Nôm/);
    });

    it('answers 404 for an unknown item or page and 400 for a bad page number', async () => {
      assert.strictEqual((await get(reading('khong-co'))).status, 404);
      assert.strictEqual((await get(reading(HAN_ITEM, 9))).status, 404);
      assert.strictEqual((await get(`/iiif/presentation/3/items/${HAN_ITEM}/canvas/0/ocr/reading`)).status, 400);
      assert.strictEqual((await get(`/iiif/presentation/3/items/${HAN_ITEM}/canvas/1/ocr/ruby`)).status, 400);
    });

    it('is read as the OCR is: a researcher’s item answers 401 to anyone, 200 to a researcher', async () => {
      assert.strictEqual((await get(`/iiif/presentation/3/items/${CLOSED}/canvas/1/ocr/line`)).status, 401);
      assert.strictEqual((await get(reading(CLOSED))).status, 401);
      const page = await json(reading(CLOSED), researcher);
      // Unihan reads 東 hốc or đông and has nothing for 鄂 and 簿: the Sino-Vietnamese readings fill them in.
      assert.strictEqual(page.items[0].body.value, 'đông ngạc xã địa bạ');
    });
  });

  describe('the full-text view', () => {
    it('tags Nôm text as Vietnamese in Han characters (vi-Hani), Tày Nôm as tyz-Hani, not as Chinese or Japanese', async () => {
      for (const [id, language, script, tag] of [['ban-nom', 'vi', 'nom', 'vi-Hani'], ['ban-tay', 'tyz', 'tay-nom', 'tyz-Hani']] as const) {
        const description = { title: { vi: id }, languages: [language], scripts: [script], rights: 'http://creativecommons.org/publicdomain/mark/1.0/' };
        await srv.put(`/api/items/${id}`, { collection: 'han-nom', kind: 'manuscript', description, canvases: [{ image: 'hn-1' }] });
        await srv.deps.archive.indexer.item(id, { pages: true });
        assert.include(await (await get(`/items/${id}/text`)).text(), `<div class="ocr" lang="${tag}">`, id);
      }
    });

    it('offers the readings for an item written in Han, and shows each character over its reading', async () => {
      const plain = await (await get(`/items/${HAN_ITEM}/text`)).text();
      assert.include(plain, '人之初性本善');
      assert.include(plain, '<div class="ocr" lang="lzh">', 'Literary Chinese tagged as such (a browser picks its Han font by it)');
      assert.notInclude(plain, '<ruby>');
      assert.include(plain, `href="/items/${HAN_ITEM}/text?readings=1&amp;lang=vi"`);
      const res = await get(`/items/${HAN_ITEM}/text?readings=1`);
      assert.strictEqual(res.status, 200);
      const html = await res.text();
      // Each character links to its page.
      const ruby = (ch: string, reading: string) => `<ruby><a href="/han/${encodeURIComponent(ch)}?lang=vi">${ch}</a><rt lang="vi">${reading}</rt></ruby>`;
      assert.include(html, ruby('人', 'nhân') + ruby('之', 'chi') + ruby('初', 'sơ'));
      assert.include(html, ruby('𡨸', 'chữ'));
      assert.include(html, 'Ghi chú của thư viện', 'other text as it is');
      assert.match(html, /máy tạo/, 'says the readings are machine-generated');
      assert.include(html, `href="/items/${HAN_ITEM}/text?lang=vi"`, 'a way back to the text alone');
    });

    it('links a character to its page: readings by source (each a search), variants, code point, a search for it', async () => {
      const res = await get(`/han/${encodeURIComponent('學')}`);
      assert.strictEqual(res.status, 200);
      const html = await res.text();
      assert.include(html, '<code>U+5B78</code>');
      assert.include(html, `<a href="/search?q=${encodeURIComponent('học')}&amp;lang=vi">học</a>`, 'its reading, a search by it');
      assert.include(html, `<a href="/han/${encodeURIComponent('学')}?lang=vi" lang="zh-Hani">学</a>`, 'its simplified form');
      assert.include(html, `href="/search?q=${encodeURIComponent('學')}&amp;lang=vi"`, 'a search for the character');
      // Outside the BMP: one character of two UTF-16 units, its Nôm reading.
      const coi = await (await get(`/han/${encodeURIComponent('𡎝')}?lang=en`)).text();
      assert.include(coi, '<code>U+2139D</code>');
      assert.include(coi, '>cõi</a>');
      assert.include(coi, 'Code point');
      // A specialised variant is listed apart: 雨 and 馭.
      assert.match(await (await get(`/han/${encodeURIComponent('雨')}`)).text(), /Dị thể chỉ trùng một phần nghĩa \(tìm riêng\)<\/dt><dd class="variants"><a [^>]*>馭<\/a>/);
      for (const bad of ['a', 'ab', encodeURIComponent('學學')]) {
        const r = await get(`/han/${bad}`);
        assert.strictEqual(r.status, 404, bad);
        assert.match(await r.text(), /Han character|không tìm thấy|not found/i, bad);
      }
    });

    it('takes variants=0 or 1 on the search API, Content Search and the results page; anything else is a 400 naming it', async () => {
      for (const path of [`/api/search?q=${encodeURIComponent('學')}&variants=yes`, `/iiif/search/1/items/${HAN_ITEM}?q=${encodeURIComponent('學')}&variants=2`, `/search?q=${encodeURIComponent('學')}&variants=no`]) {
        const res = await get(path);
        assert.strictEqual(res.status, 400, path);
        assert.match(await res.text(), /variants/, path);
      }
      assert.strictEqual((await get(`/api/search?q=${encodeURIComponent('學')}&variants=0`)).status, 200);
      // The page has 習 (習相遠): the simplified 习 finds it and is offered it, unless variants=0.
      const hits = async (extra: string) => (await json(`/iiif/search/1/items/${HAN_ITEM}?q=${encodeURIComponent('习')}${extra}`)).within.total;
      assert.strictEqual(await hits(''), 1);
      assert.strictEqual(await hits('&variants=0'), 0);
      const terms = await json(`/iiif/search/1/items/${HAN_ITEM}/autocomplete?q=${encodeURIComponent('习')}`);
      assert.include(terms.terms.map((t: Json) => t.match), '習');
      assert.strictEqual((await get(`/iiif/search/2/items/${HAN_ITEM}?q=${encodeURIComponent('人')}&variants=0`)).status, 200);
      // The results page offers the switch where the query has Han, and keeps it in its links.
      const page = await (await get(`/search?q=${encodeURIComponent('人之初')}&variants=0`)).text();
      assert.match(page, /<input type="checkbox" name="variants" value="0" checked>/);
      const plain = await (await get(`/search?q=${encodeURIComponent('nhân')}`)).text();
      assert.notInclude(plain, 'name="variants"');
    });

    it('offers none for an item not written in Han, and refuses a bad value with 400', async () => {
      const html = await (await get(`/items/${VI_ITEM}/text?readings=1`)).text();
      assert.notInclude(html, '<ruby>');
      assert.notInclude(html, 'readings=1');
      const bad = await get(`/items/${HAN_ITEM}/text?readings=yes`);
      assert.strictEqual(bad.status, 400);
      assert.match(await bad.text(), /readings/);
    });
  });

  describe('the reading room’s reading panel (/items/:id/reading)', () => {
    const panel = (q: string, cookie = '') => get(`/items/${HAN_ITEM}/reading?${q}`, cookie);
    /** The panel's text as [character, reading] per line. */
    const lines = (html: string) =>
      [...html.matchAll(/<p class="line" lang="lzh">([\s\S]*?)<\/p>/g)].map((m) => [...m[1]!.matchAll(/<ruby[^>]*><a[^>]*>([^<]+)<\/a><rt lang="vi">([^<]*)<\/rt><\/ruby>/g)].map((r) => `${r[1]}:${r[2]}`).join(' '));

    it('shows the page’s OCR lines, each character over its reading, and links each to its card in the panel', async () => {
      const res = await panel('canvas=1&lang=vi');
      assert.strictEqual(res.status, 200);
      const html = await res.text();
      assert.deepEqual(lines(html).slice(0, 2), ['人:nhân 之:chi 初:sơ 性:tính 本:bản 善:thiện', '性:tính 相:tương 近:cận 習:tập 相:tương 遠:viễn']);
      assert.include(lines(html)[2], '𡨸:', 'an Extension B character is one character');
      assert.include(html, 'Ghi chú của thư viện', 'a line without Han is shown as it is');
      assert.notInclude(html, '<header>', 'no site header inside the reader’s panel');
      assert.include(html, 'href="/items/tam-tu-kinh/reading?canvas=1&amp;lang=vi&amp;char=%E4%B9%8B&amp;at=1-0-1#c1-0-1"', 'a character links to its card, back to its place');
    });

    it('shows a character’s card when one is clicked: readings, variants, code point, a search in a new tab; the character marked', async () => {
      const html = await (await panel(`canvas=1&char=${encodeURIComponent('習')}&at=1-1-3`)).text();
      const card = /<aside class="card"[\s\S]*<\/aside>/.exec(html)?.[0] ?? '';
      assert.include(card, 'U+7FD2');
      assert.include(card, 'tập');
      assert.include(card, '>习<', 'its simplified variant');
      assert.match(card, /<a href="\/search\?q=%E7%BF%92&amp;lang=vi" target="_blank" rel="noopener">/);
      assert.match(html, /<ruby id="c1-1-3" class="sel" aria-current="true"><a[^>]*>習</, 'the character at the place clicked is marked');
      assert.strictEqual((html.match(/class="sel"/g) ?? []).length, 1, 'and only it');
      // A link whose place no longer holds that character (the OCR was redone) marks nothing.
      const stale = await (await panel(`canvas=1&char=${encodeURIComponent('習')}&at=1-0-0`)).text();
      assert.notInclude(stale, 'class="sel"');
      assert.include(stale, 'U+7FD2', 'the card still shows');
      assert.include(stale, 'href="/items/tam-tu-kinh/reading?canvas=1&amp;lang=vi#c1-0-0"', 'closing goes back to the place');
    });

    it('answers 400 for a bad page list, character or place; 404 for an unknown item or page, or an item not in Han', async () => {
      for (const [q, field] of [
        ['', 'canvas'],
        ['canvas=0', 'canvas'],
        ['canvas=1,2,3,4,5', 'canvas'],
        ['canvas=x', 'canvas'],
        ['canvas=1&char=ab', 'char'],
        ['canvas=1&char=a', 'char'],
        ['canvas=1&at=1', 'at'],
      ] as const) {
        const res = await panel(q);
        assert.strictEqual(res.status, 400, q);
        assert.include(await res.text(), `query: ${field}:`, `${q}: names ${field}`);
      }
      assert.strictEqual((await panel('canvas=2')).status, 404, 'a page the item does not have');
      assert.strictEqual((await get('/items/khong-co/reading?canvas=1')).status, 404, 'an unknown item');
      const notHan = await get(`/items/${VI_ITEM}/reading?canvas=1`);
      assert.strictEqual(notHan.status, 404);
      assert.include(await notHan.text(), 'not written in Han');
    });

    it('is read as the OCR is: a researcher’s item answers 401 to anyone, 200 to a researcher', async () => {
      const anon = await get(`/items/${CLOSED}/reading?canvas=1`);
      assert.strictEqual(anon.status, 401);
      const notice = await anon.text();
      assert.notInclude(notice, '東');
      assert.match(notice, /<a href="\/auth\/login\?returnTo=[^"]+" target="_top">/, 'signing in leaves the reader’s frame');
      const res = await get(`/items/${CLOSED}/reading?canvas=1`, researcher);
      assert.strictEqual(res.status, 200);
      assert.include(lines(await res.text())[0], '東:');
    });

    it('is offered by the reader for an item in Han only', async () => {
      const config = async (id: string) => JSON.parse(/<script id="vankho-viewer" type="application\/json">([^<]*)<\/script>/.exec(await (await get(`/viewer?manifest=${encodeURIComponent(`${srv.url}${manifest(id)}`)}`)).text())![1]!) as Json;
      assert.strictEqual((await config(HAN_ITEM)).readings, HAN_ITEM);
      assert.notProperty(await config(VI_ITEM), 'readings');
      assert.notProperty(await config('khong-co'), 'readings', 'an unknown item: the reader opens and says so itself');
      assert.notProperty(await config(HIDDEN), 'readings', 'a hidden item: as an unknown one, nothing told');
      assert.strictEqual((await config(CLOSED)).readings, CLOSED, 'an item one may discover but not read: the panel says why');
    });
  });
});
