/**
 * IIIF Content Search 1.0 and 2.0 within an item, on a real server: items put through the catalogue
 * API, their OCR stored where ingest stores it and indexed as ingest does. What a reader and a viewer
 * check: the page and the box of what was typed (without diacritics, across a line break, inside a run
 * of Han boxed as one word, in CJK Extension B), counts and paging, autocomplete, access, and the
 * structure of every response against the specifications' own examples (test/fixtures/content-search/).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { assert } from 'chai';
import { after, before, describe, it } from 'mocha';
import sharp from 'sharp';
import { projectRoot } from '../../server/config.js';
import { MAX_QUERY_CHARS } from '../../server/search/query.js';
import { type Box, type OcrLine, type OcrWord } from '../../server/storage/layout.js';
import { presentation3Errors } from '../helpers/iiif-schema.js';
import { putOcr, researcherCookie, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

type Json = Record<string, any>;

const ITEM = 'van-ban-ocr';
const CLOSED = 'tai-lieu-nghien-cuu';
const S1 = `/iiif/search/1/items/${ITEM}`;
const S2 = `/iiif/search/2/items/${ITEM}`;
const fixture = (name: string): Json => JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'content-search', name), 'utf8')) as Json;

// ---- pages as OCR reads them ---------------------------------------------------------------------------

const word = (text: string, x: number, y: number, w: number, h: number): OcrWord => ({ text, x, y, w, h, confidence: 0.9 });

function line(words: OcrWord[]): OcrLine {
  const x = Math.min(...words.map((w) => w.x));
  const y = Math.min(...words.map((w) => w.y));
  const w = Math.max(...words.map((v) => v.x + v.w)) - x;
  const h = Math.max(...words.map((v) => v.y + v.h)) - y;
  return { text: words.map((v) => v.text).join(' '), x, y, w, h, words };
}

/** A printed line: words left to right, 30 px per letter, 20 px apart. */
function printed(text: string, y: number): OcrLine {
  let x = 50;
  return line(
    text.split(' ').map((t) => {
      const v = word(t, x, y, Array.from(t).length * 30, 40);
      x += v.w + 20;
      return v;
    }),
  );
}

/** Page 1, Vietnamese: "nhiều" three times, "nhà" twice, "nhân" and "những" once; "bảo | tồn" across a break. */
const VIETNAMESE = [
  printed('Thư viện tỉnh nhiều sách quý', 100),
  printed('Nhà nghiên cứu cần bảo', 160),
  printed('tồn những trang nhiều chữ Nôm', 220),
  printed('nhà nhân dân nhiều đời', 280),
];
/** Page 2, Han as OCR boxes it: a run of six characters as one word, a vertical column as one word, Nôm in Extension B. */
const HAN = [
  line([word('人之初性本善', 100, 100, 600, 100)]),
  line([word('天地玄黃', 800, 300, 100, 400)]),
  line([word('漢𡨸喃字', 100, 800, 400, 100)]),
];
/** Page 3: 250 times the same word (paging). */
const MANY = Array.from({ length: 25 }, (_, i) => line(Array.from({ length: 10 }, (_, k) => word('mục', 50 + k * 90, 50 + i * 50, 80, 40))));

const textOf = (lines: readonly OcrLine[]) => lines.map((l) => l.text).join('\n');
const boxOf = (b: Box) => `${b.x},${b.y},${b.w},${b.h}`;
const xywh = (target: string) => /#xywh=(\d+,\d+,\d+,\d+)$/.exec(target)?.[1];
const wordIn = (lines: readonly OcrLine[], text: string, nth = 0) => lines.flatMap((l) => l.words).filter((w) => w.text === text)[nth]!;

// ---- structure against the specifications' examples -----------------------------------------------------

const VOCABULARY = new Set(['@context', '@type', 'type', 'motivation', 'profile']);
const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/**
 * Every key of the spec's example is in ours, with the same kind of value, level by level (list entries
 * against the example's entry at the same position, or its last); IIIF vocabulary values are equal,
 * except at the paths in `ownValues` (`items[].motivation`), where we say something else on purpose.
 */
function assertShape(ours: unknown, spec: unknown, where: string, ownValues: readonly string[] = [], at = ''): void {
  assert.strictEqual(kind(ours), kind(spec), `${where}: ${at || 'the response'} is ${kind(ours)} where the spec has ${kind(spec)}`);
  if (Array.isArray(spec) && Array.isArray(ours)) {
    if (spec.length > 0) ours.forEach((o, i) => assertShape(o, spec[Math.min(i, spec.length - 1)], where, ownValues, `${at}[]`));
    return;
  }
  if (kind(spec) !== 'object') return;
  const o = ours as Json;
  for (const [key, value] of Object.entries(spec as Json)) {
    const here = at ? `${at}.${key}` : key;
    assert.property(o, key, `${where}: ${here} is missing`);
    // A Presentation-compatible example (no hits) has the Presentation context alone; with hits, the
    // search context follows it in a list (1.0 §3.4).
    if (key === '@context' && typeof value === 'string' && Array.isArray(o[key])) assert.strictEqual(o[key][0], value, `${where}: ${here}`);
    else if (VOCABULARY.has(key) && !ownValues.includes(here)) assert.deepEqual(o[key], value, `${where}: ${here}`);
    else assertShape(o[key], value, where, ownValues, here);
  }
}

describe('IIIF Content Search', function () {
  let srv: TestServer;
  /** A researcher's session cookie (a session as the sign-in makes it; the sign-in itself is tested in access.test.ts). */
  let researcher: string;

  const get = async (p: string, headers: Record<string, string> = {}) => {
    const res = await srv.get(p, { headers });
    return { res, json: res.headers.get('content-type')?.includes('json') ? ((await res.json()) as Json) : null };
  };
  const json = async (p: string, headers: Record<string, string> = {}): Promise<Json> => {
    const { res, json: body } = await get(p, headers);
    assert.strictEqual(res.status, 200, `${p}: ${res.status} ${JSON.stringify(body)}`);
    return body!;
  };
  const q = (s: string) => encodeURIComponent(s);
  const local = (uri: string) => {
    const u = new URL(uri);
    return u.pathname + u.search;
  };
  const canvas = (n: number, item = ITEM) => `${srv.url}/iiif/presentation/3/items/${item}/canvas/${n}`;

  before(async function () {
    srv = await startTestServer();
    const dir = await tempDir();
    const file = path.join(dir, 'trang.jpg');
    await sharp({ create: { width: 1000, height: 1400, channels: 3, background: '#e8dcc0' } }).jpeg().toFile(file);
    await srv.put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await srv.put('/api/collections/so-hoa', { library: 'tinh', label: { vi: 'Số hoá' } });
    const pages: [string, string, readonly OcrLine[]][] = [
      [ITEM, 'cs-viet', VIETNAMESE],
      [ITEM, 'cs-han', HAN],
      [ITEM, 'cs-nhieu', MANY],
      [CLOSED, 'cs-mat', [printed('tài liệu mật của viện', 100)]],
    ];
    for (const [, image, lines] of pages) {
      await srv.add(file, image);
      await putOcr(srv, image, { width: 1000, height: 1400, language: 'vi', lines });
    }
    const description = { title: { vi: 'Văn bản có chữ' }, languages: ['vi'], rights: 'http://creativecommons.org/publicdomain/mark/1.0/' };
    await srv.put(`/api/items/${ITEM}`, { collection: 'so-hoa', kind: 'book', description, canvases: pages.filter((p) => p[0] === ITEM).map((p) => ({ image: p[1] })) });
    await srv.put(`/api/items/${CLOSED}`, { collection: 'so-hoa', kind: 'book', accessLevel: 'researcher', description, canvases: [{ image: 'cs-mat' }] });
    // As ingest does once the OCR is stored.
    for (const id of [ITEM, CLOSED]) await srv.deps.archive.indexer.item(id, { pages: true });
    researcher = researcherCookie(srv);
  });
  after(() => srv.close());

  describe('finding words on the page', () => {
    it('finds a Vietnamese word typed without diacritics, its box the word’s box (1.0 and 2.0)', async () => {
      const r1 = await json(`${S1}?q=nhieu`);
      assert.deepEqual(r1['@context'], ['http://iiif.io/api/presentation/2/context.json', 'http://iiif.io/api/search/1/context.json']);
      assert.strictEqual(r1['@type'], 'sc:AnnotationList');
      assert.strictEqual(r1.hits.length, 3);
      assert.strictEqual(r1.within.total, r1.hits.length);
      const first = r1.resources.find((a: Json) => a['@id'] === r1.hits[0].annotations[0]);
      assert.strictEqual(first.resource.chars, 'nhiều');
      assert.strictEqual(first.on, `${canvas(1)}#xywh=${boxOf(wordIn(VIETNAMESE, 'nhiều', 0))}`);
      assert.strictEqual(r1.hits[0].match, 'nhiều');
      assert.strictEqual(r1.hits[0].before, 'Thư viện tỉnh ');
      assert.strictEqual(r1.hits[0].after, ' sách quý Nhà nghiên cứu cần bảo tồn những');
      assert.deepEqual(
        r1.hits.map((h: Json) => xywh(r1.resources.find((a: Json) => a['@id'] === h.annotations[0]).on)),
        [0, 1, 2].map((n) => boxOf(wordIn(VIETNAMESE, 'nhiều', n))),
      );

      const r2 = await json(`${S2}?q=nhieu`);
      assert.strictEqual(r2.type, 'AnnotationPage');
      assert.strictEqual(r2.partOf.total, 3);
      assert.deepEqual(r2.items.map((a: Json) => [a.motivation, a.body.value, a.target]), [0, 1, 2].map((n) => ['supplementing', 'nhiều', `${canvas(1)}#xywh=${boxOf(wordIn(VIETNAMESE, 'nhiều', n))}`]));
    });

    it('a phrase across a line break is one hit of two annotations, one per line', async () => {
      const r1 = await json(`${S1}?q=${q('"bao ton"')}`);
      assert.strictEqual(r1.within.total, 1);
      assert.strictEqual(r1.hits.length, 1);
      const [hit] = r1.hits;
      assert.strictEqual(hit.annotations.length, 2);
      assert.deepEqual(hit.annotations, r1.resources.map((a: Json) => a['@id']));
      assert.deepEqual(r1.resources.map((a: Json) => [a.resource.chars, a.on]), [
        ['bảo', `${canvas(1)}#xywh=${boxOf(wordIn(VIETNAMESE, 'bảo'))}`],
        ['tồn', `${canvas(1)}#xywh=${boxOf(wordIn(VIETNAMESE, 'tồn'))}`],
      ]);
      assert.strictEqual(hit.match, 'bảo tồn');

      const r2 = await json(`${S2}?q=${q('"bao ton"')}`);
      assert.strictEqual(r2.items.length, 2);
      assert.strictEqual(r2.partOf.total, 2, '2.0 counts annotations (§4.2.2)');
      const [context] = r2.annotations[0].items;
      assert.strictEqual(context.motivation, 'contextualizing');
      assert.deepEqual(context.target.map((t: Json) => t.source), r2.items.map((a: Json) => a.id));
      const selectors = context.target.map((t: Json) => t.selector[0]);
      assert.deepEqual(selectors.map((s: Json) => s.exact), ['bảo', 'tồn']);
      // prefix, the exact text of each line, suffix: in this order in the page's text.
      const text = textOf(VIETNAMESE);
      let at = 0;
      for (const part of [selectors[0].prefix, selectors[0].exact, selectors[1].exact, selectors[1].suffix]) {
        const found = text.indexOf(part, at);
        assert.isAtLeast(found, at, `"${part}" after offset ${at} of the page text`);
        at = found + part.length;
      }
      assert.strictEqual(`${selectors[0].prefix}${selectors[0].exact}\n${selectors[1].exact}${selectors[1].suffix}`, text.slice(text.indexOf(selectors[0].prefix), at));
    });

    it('2.0 TextQuoteSelectors are the page text around each match: prefix + exact + suffix, contiguous', async () => {
      // "Nhà" (line 2), then "nhà nhân" side by side (line 4): two clauses next to each other are one hit.
      const r2 = await json(`${S2}?q=${q('nha nhan')}`);
      assert.strictEqual(r2.partOf.total, 2);
      assert.deepEqual(r2.annotations[0].items.map((a: Json) => a.target.selector[0].exact), ['Nhà', 'nhà nhân']);
      const text = textOf(VIETNAMESE);
      for (const a of r2.annotations[0].items) {
        const [s] = a.target.selector;
        assert.strictEqual(s.type, 'TextQuoteSelector');
        assert.include(text, `${s.prefix ?? ''}${s.exact}${s.suffix ?? ''}`);
        assert.strictEqual(r2.items.find((i: Json) => i.id === a.target.source).body.value, s.exact);
      }
    });

    it('a Han character inside a run boxed as one word gets its share of the box; a vertical column splits along y', async () => {
      const across = await json(`${S1}?q=${q('之初')}`);
      assert.strictEqual(across.hits.length, 1);
      assert.deepEqual(across.resources.map((a: Json) => [a.resource.chars, a.on]), [['之初', `${canvas(2)}#xywh=200,100,200,100`]]);
      const down = await json(`${S2}?q=${q('玄黃')}`);
      assert.deepEqual(down.items.map((a: Json) => [a.body.value, a.target]), [['玄黃', `${canvas(2)}#xywh=800,500,100,200`]]);
      // The whole run is the whole box.
      const whole = await json(`${S1}?q=${q('人之初性本善')}`);
      assert.strictEqual(xywh(whole.resources[0].on), '100,100,600,100');
    });

    it('counts Nôm in CJK Extension B as one character each (code points, not UTF-16 units)', async () => {
      // 漢𡨸喃字: four characters in 400 px (𡨸 is two UTF-16 units).
      const nom = await json(`${S1}?q=${q('𡨸')}`);
      assert.deepEqual(nom.resources.map((a: Json) => [a.resource.chars, xywh(a.on)]), [['𡨸', '200,800,100,100']]);
      const after = await json(`${S1}?q=${q('喃')}`);
      assert.deepEqual(after.resources.map((a: Json) => xywh(a.on)), ['300,800,100,100']);
      const r2 = await json(`${S2}?q=${q('𡨸喃')}`);
      assert.deepEqual(r2.items.map((a: Json) => xywh(a.target)), ['200,800,200,100']);
      // The context runs on across lines, as the page's text does.
      assert.deepEqual(r2.annotations[0].items[0].target.selector[0], { type: 'TextQuoteSelector', prefix: '人之初性本善\n天地玄黃\n漢', exact: '𡨸喃', suffix: '字' });
    });
  });

  describe('counts and paging', () => {
    it('1.0: pages of 50 hits, each with its annotations, linked by next/prev; within.total counts them all', async () => {
      const seen = new Set<string>();
      let url: string | undefined = `${S1}?q=muc`;
      const starts: number[] = [];
      while (url) {
        const page: Json = await json(url);
        assert.strictEqual(page.within.total, 250);
        assert.strictEqual(page.within.first, `${srv.url}${S1}?q=muc&page=1`);
        assert.strictEqual(page.within.last, `${srv.url}${S1}?q=muc&page=5`);
        starts.push(page.startIndex);
        const ids = new Set(page.resources.map((a: Json) => a['@id']));
        for (const hit of page.hits) {
          for (const id of hit.annotations) assert.isTrue(ids.has(id), `${id} is on the page of its hit`);
          seen.add(hit.annotations.join(' '));
        }
        if (page.startIndex > 0) assert.strictEqual(page.prev, `${srv.url}${S1}?q=muc&page=${page.startIndex / 50}`);
        url = page.next ? local(page.next) : undefined;
      }
      assert.deepEqual(starts, [0, 50, 100, 150, 200]);
      assert.strictEqual(seen.size, 250);
      const last = await json(`${S1}?q=muc&page=5`);
      assert.strictEqual(last.hits.length, 50);
      assert.notProperty(last, 'next');
      assert.strictEqual((await srv.get(`${S1}?q=muc&page=6`)).status, 404);
    });

    it('2.0: AnnotationPages in one AnnotationCollection (total, first, last), next/prev as references', async () => {
      const first = await json(`${S2}?q=muc`);
      assert.strictEqual(first.id, `${srv.url}${S2}?q=muc&page=1`);
      assert.deepEqual(first.partOf, {
        id: `${srv.url}${S2}?q=muc`,
        type: 'AnnotationCollection',
        total: 250,
        first: { id: `${srv.url}${S2}?q=muc&page=1`, type: 'AnnotationPage' },
        last: { id: `${srv.url}${S2}?q=muc&page=5`, type: 'AnnotationPage' },
      });
      assert.strictEqual(first.items.length, 50);
      assert.strictEqual(first.annotations[0].items.length, 50);
      const second = await json(local(first.next.id));
      assert.strictEqual(second.startIndex, 50);
      assert.deepEqual(second.prev, { id: `${srv.url}${S2}?q=muc&page=1`, type: 'AnnotationPage' });
      assert.strictEqual((await json(local(second.next.id))).items.length, 50);
    });

    it('an empty or unmatched query is an empty list with total 0, never an error', async () => {
      for (const query of ['', '?q=', '?q=%20%20', `?q=${q('" * ( ) :')}`, '?q=khongcotu']) {
        const r1 = await json(`${S1}${query}`);
        assert.strictEqual(r1.within.total, 0, query);
        assert.deepEqual([r1.resources, r1.hits], [[], []], query);
        const r2 = await json(`${S2}${query}`);
        assert.strictEqual(r2.partOf.total, 0, query);
        assert.deepEqual(r2.items, [], query);
      }
    });
  });

  describe('autocomplete', () => {
    it('1.0: terms beginning with what was typed (diacritics or not), counted, each linking to its search; `min` honoured', async () => {
      const list = await json(`${S1}/autocomplete?q=nh`);
      assert.strictEqual(list['@type'], 'search:TermList');
      // nhân: the word once, and 人 on the Han page by its reading.
      assert.deepEqual(list.terms.map((t: Json) => [t.match, t.count]), [['nhiều', 3], ['nhà', 2], ['nhân', 2], ['những', 1]]);
      for (const t of list.terms) {
        assert.strictEqual(t.url, `${srv.url}${S1}?q=${q(t.match)}`);
        assert.strictEqual((await json(local(t.url))).within.total, t.count, `${t.match}: the search finds what the count says`);
      }
      // Folded, the beginning matches both; with its diacritics, the term written so comes first.
      assert.deepEqual((await json(`${S1}/autocomplete?q=nha`)).terms.map((t: Json) => t.match), ['nhà', 'nhân']);
      assert.deepEqual((await json(`${S1}/autocomplete?q=${q('Nhâ')}&min=1`)).terms.map((t: Json) => t.match), ['nhân', 'nhà']);
      const often = await json(`${S1}/autocomplete?q=nh&min=2`);
      assert.deepEqual(often.terms.map((t: Json) => [t.match, t.count]), [['nhiều', 3], ['nhà', 2], ['nhân', 2]]);
      assert.strictEqual(often['@id'], `${srv.url}${S1}/autocomplete?q=nh&min=2`);
      assert.deepEqual((await json(`${S1}/autocomplete?q=`)).terms, []);
    });

    it('2.0: a TermPage of values with totals', async () => {
      const page = await json(`${S2}/autocomplete?q=nh&min=2`);
      assert.strictEqual(page['@context'], 'http://iiif.io/api/search/2/context.json');
      assert.strictEqual(page.type, 'TermPage');
      assert.deepEqual(page.items, [
        { value: 'nhiều', total: 3 },
        { value: 'nhà', total: 2 },
        { value: 'nhân', total: 2 },
      ]);
      assert.deepEqual((await json(`${S2}/autocomplete?q=${q('人')}`)).items, [{ value: '人', total: 1 }]);
    });
  });

  describe('the specifications’ example responses', () => {
    it('1.0 search: paged list, snippets, a hit over two annotations, ignored parameters', async () => {
      assertShape(await json(`${S1}?q=muc`), fixture('search1-paging.json'), '1.0 §3.3.2');
      assertShape(await json(`${S1}?q=nhieu`), fixture('search1-snippets.json'), '1.0 §3.4.2');
      assertShape(await json(`${S1}?q=${q('"bao ton"')}`), fixture('search1-multi-annotation-hit.json'), '1.0 §3.4.4');
      // The example is the first of several pages.
      const ignored = await json(`${S1}?q=muc&user=${q('https://example.com/users/azaroth42')}&motivation=painting`);
      assertShape(ignored, fixture('search1-ignored.json'), '1.0 §3.4.1');
      assert.deepEqual(ignored.within.ignored, ['motivation', 'user']);
      assert.strictEqual(ignored['@id'], `${srv.url}${S1}?q=muc&page=1`, 'ignored parameters are dropped from the @id');
    });

    it('1.0 autocomplete: TermList', async () => {
      const list = await json(`${S1}/autocomplete?q=nh&motivation=painting&user=${q('https://example.com/users/azaroth42')}`);
      assertShape(list, fixture('autocomplete1-termlist.json'), '1.0 §4.3');
    });

    it('2.0 search: paged page, match context, a match over two annotations, ignored parameters', async () => {
      // Our annotations are cut from the OCR's `supplementing` ones (the examples paint transcriptions).
      const own = ['items[].motivation'];
      assertShape(await json(`${S2}?q=muc`), fixture('search2-paging.json'), '2.0 §4.2.2', own);
      assertShape(await json(`${S2}?q=nhieu`), fixture('search2-match-context.json'), '2.0 §4.3.1', own);
      const phrase = await json(`${S2}?q=${q('"bao ton"')}`);
      // §4.3.4 shows a match over two annotations with `highlighting` (line annotations); ours are
      // `contextualizing` (§4.3.1: the annotations are the matched words, the context is around them).
      const multi = fixture('search2-multi-annotation-match.json');
      assertShape(phrase.items, multi.items, '2.0 §4.3.4 items', ['[].motivation']);
      assertShape(phrase.annotations[0].items, multi.annotations[0].items, '2.0 §4.3.4 annotations', ['[].motivation']);
      const ignored = await json(`${S2}?q=nhieu&user=someone&date=${q('2020-01-01T00:00:00Z/2021-01-01T00:00:00Z')}`);
      assertShape(ignored, fixture('search2-ignored.json'), '2.0 §4.2.4', own);
      assert.deepEqual(ignored.ignored, ['date', 'user']);
    });

    it('2.0 autocomplete: TermPage', async () => {
      const page = await json(`${S2}/autocomplete?q=nh&user=someone`);
      assertShape(page, fixture('autocomplete2-termpage.json'), '2.0 §5.2');
      const extended = fixture('autocomplete2-extended.json');
      assertShape({ ...page, items: [] }, { ...extended, items: [] }, '2.0 §5.3');
      for (const term of page.items) assert.isNumber(term.total);
    });
  });

  describe('access, errors and HTTP', () => {
    it('an item only researchers may read: anonymous 401, a researcher 200; an unknown item 404', async () => {
      for (const p of [`/iiif/search/1/items/${CLOSED}?q=mat`, `/iiif/search/2/items/${CLOSED}?q=mat`, `/iiif/search/1/items/${CLOSED}/autocomplete?q=ma`, `/iiif/search/2/items/${CLOSED}?q=`]) {
        const anonymous = await srv.get(p);
        assert.strictEqual(anonymous.status, 401, p);
        assert.strictEqual(anonymous.headers.get('access-control-allow-origin'), '*', `${p}: a viewer can read the refusal`);
        const res = await srv.get(p, { headers: { Cookie: researcher } });
        assert.strictEqual(res.status, 200, p);
        assert.strictEqual(res.headers.get('cache-control'), 'private, no-cache', `${p}: not for shared caches`);
      }
      const found = await json(`/iiif/search/1/items/${CLOSED}?q=mat`, { Cookie: researcher });
      assert.strictEqual(found.within.total, 1);
      assert.strictEqual(found.resources[0].resource.chars, 'mật');
      for (const p of ['/iiif/search/1/items/khong-co?q=a', '/iiif/search/2/items/khong-co/autocomplete?q=a']) assert.strictEqual((await srv.get(p)).status, 404, p);
    });

    it('a query longer than the limit is a 400 naming q; a bad page or min a 400 naming it', async () => {
      for (const p of [`${S1}?q=${'a'.repeat(MAX_QUERY_CHARS + 1)}`, `${S2}/autocomplete?q=${'a'.repeat(MAX_QUERY_CHARS + 1)}`]) {
        const { res, json: body } = await get(p);
        assert.strictEqual(res.status, 400);
        assert.match(body!.message, /\bq: /);
      }
      assert.strictEqual((await srv.get(`${S1}?q=${'a'.repeat(MAX_QUERY_CHARS)}`)).status, 200);
      for (const [p, name] of [[`${S1}?q=a&page=0`, 'page'], [`${S2}?q=a&page=x`, 'page'], [`${S1}/autocomplete?q=a&min=-1`, 'min'], [`${S1}?q=a&q=b`, 'q']] as const) {
        const { res, json: body } = await get(p);
        assert.strictEqual(res.status, 400, p);
        assert.match(body!.message, new RegExp(`\\b${name}: `), p);
      }
    });

    it('CORS for any origin (preflight too), shared caching for public items, 304 when unchanged', async () => {
      const res = await srv.get(`${S1}?q=nhieu`);
      assert.strictEqual(res.headers.get('access-control-allow-origin'), '*');
      assert.strictEqual(res.headers.get('cache-control'), srv.deps.config.cache.cacheControl);
      assert.strictEqual(res.headers.get('content-type'), 'application/json; charset=utf-8');
      const ld = await srv.get(`${S2}?q=nhieu`, { headers: { Accept: 'application/ld+json' } });
      assert.strictEqual(ld.headers.get('content-type'), 'application/ld+json;profile="http://iiif.io/api/search/2/context.json"');
      const first = await srv.raw(`${S2}/autocomplete?q=nh`);
      assert.strictEqual((await srv.raw(`${S2}/autocomplete?q=nh`, { 'If-None-Match': String(first.headers.etag) })).status, 304);
      const preflight = await srv.get(`${S1}?q=a`, { method: 'OPTIONS', headers: { Origin: 'https://partner.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'Authorization' } });
      assert.strictEqual(preflight.status, 204);
      assert.strictEqual(preflight.headers.get('access-control-allow-origin'), '*');
    });
  });

  describe('the manifest', () => {
    it('offers both services (valid Presentation 3), found by profile as Mirador finds them, and 1.0 in the 2.1 manifest', async () => {
      const m = await json(`/iiif/presentation/3/items/${ITEM}/manifest`);
      assert.deepEqual(presentation3Errors(m), []);
      const [s1, s2] = m.service;
      assert.deepEqual(s1, {
        '@id': `${srv.url}${S1}`,
        '@type': 'SearchService1',
        profile: 'http://iiif.io/api/search/1/search',
        service: [{ '@id': `${srv.url}${S1}/autocomplete`, '@type': 'AutoCompleteService1', profile: 'http://iiif.io/api/search/1/autocomplete' }],
      });
      assertShape({ service: [s2] }, fixture('search2-service.json'), '2.0 §3');
      assert.strictEqual(s2.id, `${srv.url}${S2}`);
      assert.strictEqual(s2.service[0].id, `${srv.url}${S2}/autocomplete`);
      // Mirador 4 (src/state/selectors/manifests.js, getManifestSearchService) asks manifesto.js for the
      // service with the 1.0 profile, then its autocomplete, and requests `${service.id}?q=…`.
      const manifesto = createRequire(path.join(projectRoot, 'node_modules', 'mirador', 'package.json'))('manifesto.js') as {
        parseManifest(json: unknown): { getService(profile: string): { id: string; getService(profile: string): { id: string } | null } | null };
      };
      const search = manifesto.parseManifest(m).getService('http://iiif.io/api/search/1/search');
      assert.strictEqual(search?.id, `${srv.url}${S1}`);
      assert.strictEqual(search?.getService('http://iiif.io/api/search/1/autocomplete')?.id, `${srv.url}${S1}/autocomplete`);
      assert.strictEqual((await json(`${local(search!.id)}?q=nhieu`)).within.total, 3);

      const v2 = await json(`/iiif/presentation/2/items/${ITEM}/manifest`);
      assert.deepEqual(v2.service, {
        '@context': 'http://iiif.io/api/search/1/context.json',
        '@id': `${srv.url}${S1}`,
        profile: 'http://iiif.io/api/search/1/search',
        service: { '@id': `${srv.url}${S1}/autocomplete`, profile: 'http://iiif.io/api/search/1/autocomplete' },
      });
      assertShape({ service: v2.service }, fixture('search1-service.json'), '1.0 §4.1');
    });

    it('lists the line annotations on each canvas, the word annotations beside the ALTO in seeAlso', async () => {
      const m = await json(`/iiif/presentation/3/items/${ITEM}/manifest`);
      for (const c of m.items) {
        assert.deepEqual(c.annotations.map((a: Json) => [a.id.split('/').slice(-2).join('/'), a.type]), [['ocr/line', 'AnnotationPage']]);
        assert.deepEqual(c.seeAlso.map((s: Json) => [s.type, s.format]), [['Dataset', 'application/xml'], ['AnnotationPage', 'application/ld+json']]);
        const lines = await json(local(c.annotations[0].id));
        const words = await json(local(c.seeAlso[1].id));
        assert.deepEqual([presentation3Errors(lines), presentation3Errors(words)], [[], []]);
        assert.isTrue(lines.items.every((a: Json) => a.textGranularity === 'line'));
        assert.isTrue(words.items.every((a: Json) => a.textGranularity === 'word'));
      }
    });

    it('an item without OCR offers no search', async () => {
      const dir = await tempDir();
      await sharp({ create: { width: 200, height: 300, channels: 3, background: '#ffffff' } }).jpeg().toFile(path.join(dir, 'anh.jpg'));
      await srv.add(path.join(dir, 'anh.jpg'), 'cs-anh');
      await srv.put('/api/items/khong-chu', {
        collection: 'so-hoa',
        kind: 'photo',
        description: { title: { vi: 'Ảnh' }, languages: ['vi'], rights: 'http://creativecommons.org/publicdomain/mark/1.0/' },
        canvases: [{ image: 'cs-anh' }],
      });
      const m = await json('/iiif/presentation/3/items/khong-chu/manifest');
      assert.notProperty(m, 'service');
      assert.notProperty(m.items[0], 'annotations');
      assert.strictEqual((await json('/iiif/search/1/items/khong-chu?q=nhieu')).within.total, 0);
    });
  });
});
