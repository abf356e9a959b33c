/**
 * GET /api/search as a client uses it, on a real server with the embedded index: parameters checked
 * (a bad one is a 400 naming it), the index kept current by edits, level changes and deletion, and
 * `vankho reindex` rebuilding it from the catalogue and the stored OCR.
 */
import { after, before, describe, it } from 'mocha';
import { assert } from 'chai';
import sharp from 'sharp';
import path from 'node:path';
import { ocrKeys, type OcrLine } from '../../server/storage/layout.js';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';
import { BrowserSession } from '../helpers/browser-session.js';
import { STAFF, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

interface Result {
  total: number;
  pages: number;
  items: { id: string; recordMatched: boolean; pageHits: number; snippets: { canvas: number; text: string; highlights: [number, number][]; reader: string }[]; titleHighlights: Record<string, [number, number][]> }[];
  facets: Record<string, { value: string; count: number; label: { vi: string; en: string } }[]>;
  years: { min: number; max: number } | null;
}

/** OCR lines with plausible word boxes, one line per string. */
function lines(text: string): OcrLine[] {
  return text.split('\n').map((line, n) => {
    let x = 100;
    const words = line.split(' ').map((w) => {
      const box = { x, y: 100 + n * 60, w: 30 * [...w].length, h: 50, text: w, confidence: 0.9 };
      x += box.w + 20;
      return box;
    });
    return { x: 100, y: 100 + n * 60, w: x - 120, h: 50, text: line, words };
  });
}

describe('search API: GET /api/search', function () {
  let srv: TestServer;
  const search = async (query: string, expect = 200): Promise<Result> => {
    const res = await srv.get(`/api/search?${query}`);
    const body = await res.text();
    assert.strictEqual(res.status, expect, `${query}: ${body.slice(0, 300)}`);
    return JSON.parse(body) as Result;
  };
  const ids = (r: Result) => r.items.map((i) => i.id);

  const item = (id: string, title: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    collection: 'dia-chi',
    kind: 'book',
    description: { title, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/', ...extra },
    canvases: [{ image: `${id}-1` }, { image: `${id}-2` }],
  });
  const pages: Record<string, [string, string]> = {
    'dai-nam': ['大南寔錄正編\n卷一', '列傳'],
    'huong-uoc': ['Lời nói đầu', 'Thư viện tỉnh và công\ncuộc số hoá di sản'],
    'so-tay': ['má mà mả mã ma', 'Đường làng Đại Nam'],
  };

  before(async function () {
    srv = await startTestServer();
    const dir = await tempDir();
    const file = path.join(dir, 'p.jpg');
    await sharp({ create: { width: 800, height: 600, channels: 3, background: '#e0d8c0' } }).jpeg().toFile(file);
    await srv.put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await srv.put('/api/collections/dia-chi', { library: 'tinh', label: { vi: 'Địa chí' } });
    for (const [id, texts] of Object.entries(pages)) {
      for (const [n, text] of texts.entries()) {
        await srv.add(file, `${id}-${n + 1}`);
        await srv.deps.store.put(ocrKeys(`${id}-${n + 1}`).lines, JSON.stringify({ width: 800, height: 600, language: 'vi', lines: lines(text) }));
      }
    }
    await srv.put('/api/items/dai-nam', item('dai-nam', { vi: 'Đại Nam thực lục', original: '大南寔錄' }, { date: { text: 'Tự Đức', from: 1848, to: 1909 }, languages: ['lzh'], scripts: ['han'] }));
    await srv.put('/api/items/huong-uoc', item('huong-uoc', { vi: 'Hương ước làng Mộ Trạch' }, { date: { text: '1925', from: 1925 }, subjects: ['Hương ước'] }));
    await srv.put('/api/items/so-tay', { ...item('so-tay', { vi: 'Sổ tay chính tả' }), kind: 'manuscript' });
  });
  after(() => srv?.close());

  it('finds records by title in any script and pages by their text, typed without diacritics, with highlighted snippets and reader links', async function () {
    const han = await search(`q=${encodeURIComponent('大南')}`);
    assert.deepEqual(ids(han), ['dai-nam'], 'a Han bigram: the title and the page');
    assert.isTrue(han.items[0]!.recordMatched);
    assert.strictEqual(han.items[0]!.pageHits, 1);
    const phrase = await search(`q=${encodeURIComponent('"cong cuoc"')}`);
    assert.deepEqual(ids(phrase), ['huong-uoc'], 'a phrase across an OCR line break');
    const s = phrase.items[0]!.snippets[0]!;
    assert.strictEqual(s.canvas, 2);
    assert.deepEqual(s.highlights.map(([a, b]) => s.text.slice(a, b)), ['công cuộc']);
    assert.include(s.reader, '&canvas=2&q=');
    assert.include(decodeURIComponent(s.reader), '/iiif/presentation/3/items/huong-uoc/manifest');
  });

  it('ranks a title match above a page-text match, and an exact-diacritic match above a folded one', async function () {
    // "Đại Nam" is the title of dai-nam and text on a page of so-tay.
    const r = await search(`q=${encodeURIComponent('dai nam')}`);
    assert.deepEqual(ids(r), ['dai-nam', 'so-tay']);
    assert.deepEqual(
      r.items.map((i) => i.recordMatched),
      [true, false],
    );
    // "mả" is on so-tay's page as typed; "mả" folds to "ma", which its neighbours share.
    const exact = await search(`q=${encodeURIComponent('mả')}`);
    assert.deepEqual(ids(exact), ['so-tay']);
    const snip = exact.items[0]!.snippets[0]!;
    assert.deepEqual(snip.highlights.map(([a, b]) => snip.text.slice(a, b)), ['má', 'mà', 'mả', 'mã', 'ma'], 'every form that folds alike is highlighted');
  });

  it('filters, counts facets over all matches, sorts and pages', async function () {
    const all = await search('q=&size=10');
    assert.strictEqual(all.total, 3, 'an empty query lists everything the reader may see');
    assert.deepEqual(all.facets.kind!.map((f) => [f.value, f.count, f.label.vi]), [
      ['book', 2, 'Sách in'],
      ['manuscript', 1, 'Sách chép tay'],
    ]);
    assert.deepEqual(all.facets.hasText!.map((f) => [f.value, f.count]), [['true', 3]]);
    assert.deepEqual(all.years, { min: 1848, max: 1925 });
    assert.deepEqual(ids(await search('kind=manuscript')), ['so-tay']);
    assert.deepEqual(ids(await search('kind=manuscript&kind=book&sort=title')), ['dai-nam', 'huong-uoc', 'so-tay']);
    assert.deepEqual(ids(await search('sort=date')), ['dai-nam', 'huong-uoc', 'so-tay'], 'undated last');
    assert.deepEqual(ids(await search('sort=date-desc')), ['huong-uoc', 'dai-nam', 'so-tay']);
    assert.deepEqual(ids(await search('from=1900&to=1930')), ['dai-nam', 'huong-uoc'], 'date ranges that overlap');
    assert.deepEqual(ids(await search('script=han')), ['dai-nam']);
    const page2 = await search('sort=title&size=10&page=2');
    assert.deepEqual([page2.total, page2.pages, ids(page2)], [3, 1, []]);
  });

  it('answers a bad parameter with 400 naming it, and takes query syntax as text', async function () {
    for (const [query, name] of [
      ['page=0', 'page'],
      ['size=7', 'size'],
      ['sort=best', 'sort'],
      ['kind=scroll', 'kind'],
      ['from=1950&to=1900', 'to'],
      ['from=year', 'from'],
      [`q=${'a'.repeat(1001)}`, 'q'],
    ] as [string, string][]) {
      const res = await srv.get(`/api/search?${query}`);
      const body = (await res.json()) as { error: string; message: string };
      assert.strictEqual(res.status, 400, query);
      assert.include(body.message, name, query);
    }
    assert.strictEqual((await search(`q=${'a'.repeat(1000)}`)).total, 0, 'a 1 000-character query is answered');
    for (const q of ['"', '*', '(ma', 'ma)', 'title:ma', '^ma', '-ma', 'ma NEAR mà', 'AND', 'ma OR', '""', '"ma']) {
      const r = await search(`q=${encodeURIComponent(q)}`);
      assert.isAtMost(r.total, 3, q);
    }
    assert.deepEqual(ids(await search(`q=${encodeURIComponent('-ma')}`)), ['so-tay'], 'a minus is not NOT');
  });

  it('keeps the index current: an edited title, a level set on the collection, a deleted item', async function () {
    await srv.put('/api/items/so-tay', { ...item('so-tay', { vi: 'Sổ tay chính tả tiếng Việt' }), kind: 'manuscript' });
    assert.deepEqual(ids(await search('q=tieng+viet')), ['so-tay'], 'the new title');
    // The collection closed to researchers: records stay findable, page text is not, for anonymous.
    await srv.put('/api/collections/dia-chi', { library: 'tinh', label: { vi: 'Địa chí' }, accessLevel: 'researcher' });
    const closed = await search(`q=${encodeURIComponent('列傳')}`);
    assert.deepEqual(ids(closed), [], 'page text of a researcher-only collection');
    assert.deepEqual(ids(await search('q=huong+uoc')), ['huong-uoc'], 'its records are still public');
    await srv.put('/api/collections/dia-chi', { library: 'tinh', label: { vi: 'Địa chí' } });
    assert.deepEqual(ids(await search(`q=${encodeURIComponent('列傳')}`)), ['dai-nam'], 'open again');

    assert.strictEqual((await srv.get('/api/items/so-tay', { method: 'DELETE' })).status, 401, 'anonymous');
    assert.strictEqual((await srv.get('/api/items/so-tay', { method: 'DELETE', headers: STAFF })).status, 204);
    assert.strictEqual((await srv.get('/api/items/so-tay', { method: 'DELETE', headers: STAFF })).status, 404, 'already gone');
    assert.deepEqual(ids(await search('q=so+tay')), []);
    assert.strictEqual((await search('q=')).total, 2);
    assert.strictEqual((await srv.get('/items/so-tay')).status, 404);
  });

  it('vankho reindex rebuilds the index from the catalogue and the stored OCR', async function () {
    await srv.deps.index.rebuild(async () => {});
    assert.strictEqual((await search('q=')).total, 0, 'emptied');
    const run = await runCli(['reindex'], { VANKHO_STORAGE_ROOT: srv.root, VANKHO_DEMO_ENABLED: 'false' });
    assert.strictEqual(run.code, 0, run.stderr);
    assert.match(run.stdout, /search index rebuilt: 2 item\(s\), 4 page\(s\) with text/);
    assert.deepEqual(ids(await search(`q=${encodeURIComponent('"cong cuoc"')}`)), ['huong-uoc']);
    assert.strictEqual((await search('q=')).total, 2);
  });

  it('never keeps the text of a page whose image was replaced by one without text', async function () {
    const stored = (await (await srv.get('/api/items/huong-uoc', { headers: STAFF })).json()) as { canvases: { image: string }[] } & Record<string, unknown>;
    // Page 2 (which says "công cuộc") now shows page 1's image, which has its own text.
    await srv.put('/api/items/huong-uoc', { ...item('huong-uoc', { vi: 'Hương ước làng Mộ Trạch' }), canvases: [{ image: 'huong-uoc-1' }, { image: 'huong-uoc-1' }] });
    assert.deepEqual(ids(await search(`q=${encodeURIComponent('"cong cuoc"')}`)), [], 'the old text of page 2 is gone');
    assert.strictEqual((await search('q=loi+noi+dau')).items[0]!.pageHits, 2);
    await srv.put('/api/items/huong-uoc', { ...item('huong-uoc', { vi: 'Hương ước làng Mộ Trạch' }), canvases: stored.canvases.map((c) => ({ image: c.image })) });
  });
});

describe('search API: the catalogue has the last word, and staff-only names stay out', function () {
  let srv: TestServer;
  const found = async (q: string) => ((await (await srv.get(`/api/search?q=${encodeURIComponent(q)}`)).json()) as Result).items.map((i) => i.id);
  before(async function () {
    srv = await startTestServer();
    const file = path.join(await tempDir(), 'p.jpg');
    await sharp({ create: { width: 400, height: 300, channels: 3, background: '#e0d8c0' } }).jpeg().toFile(file);
    await srv.add(file, 'tre-1');
    await srv.deps.store.put(ocrKeys('tre-1').lines, JSON.stringify({ width: 400, height: 300, language: 'vi', lines: lines('chữ trễ') }));
    await srv.put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await srv.put('/api/collections/kho-mat', { library: 'tinh', label: { vi: 'Kho mật Omega' }, accessLevel: 'staff' });
    await srv.put('/api/items/tre', { collection: 'kho-mat', kind: 'book', accessLevel: 'public', description: { title: { vi: 'Sách tre\u0301' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' }, canvases: [{ image: 'tre-1' }] });
  });
  after(() => srv?.close());

  it('keeps titles in NFC, as readers type and highlight them', async function () {
    const stored = (await (await srv.get('/api/items/tre', { headers: STAFF })).json()) as { description: { title: { vi: string } } };
    assert.strictEqual(stored.description.title.vi, 'Sách tré');
    const r = (await (await srv.get('/api/search?q=tre')).json()) as Result;
    assert.deepEqual(r.items[0]!.titleHighlights.vi!.map(([a, b]) => 'Sách tré'.slice(a, b)), ['tré']);
  });

  it('names no staff-only collection to readers: not searchable by its name, not a facet', async function () {
    assert.deepEqual(await found('omega'), [], 'the collection’s name is not in its items’ records');
    const r = (await (await srv.get('/api/search?q=')).json()) as Result;
    assert.deepEqual(r.items.map((i) => i.id), ['tre'], 'the public item inside is found');
    assert.deepEqual(r.facets.collection, [], 'no facet names the staff-only collection');
  });

  it('does not list an item whose access the catalogue narrowed before the index caught up', async function () {
    assert.deepEqual(await found('chu tre'), ['tre']);
    // As a write to a failing cluster would leave it: the catalogue says staff only, the index public.
    const stored = (await (await srv.get('/api/items/tre', { headers: STAFF })).json()) as { collection: string; kind: string; description: unknown; canvases: { image: string }[] };
    await srv.deps.catalogue.putItem({ id: 'tre', collection: stored.collection, kind: stored.kind, accessLevel: 'staff', description: stored.description, canvases: stored.canvases.map((c) => ({ image: c.image })) });
    assert.deepEqual(await found('tre'), [], 'by its title');
    assert.deepEqual(await found('chu tre'), [], 'by its page text');
  });
});

describe('search API: a database held by another process, an Elasticsearch cluster that is down', function () {
  it('answers 503 with Retry-After (not 500) to writes while another process holds the database, and still serves signed-in readers', async function () {
    const srv = await startTestServer();
    try {
      const accounts = srv.deps.auth.accounts;
      await accounts.upsert('doc@example.org', 'Bạn đọc', 'mot-mat-khau-dai', ['reader'], null);
      const reader = new BrowserSession(srv.url);
      assert.strictEqual((await reader.signIn('doc@example.org', 'mot-mat-khau-dai')).status, 200);
      // What `vankho reindex` does on the embedded index: one long write transaction, in its own process.
      const other = new Database(path.join(srv.root, 'catalogue.sqlite'));
      other.exec('BEGIN IMMEDIATE');
      try {
        const page = await reader.request('GET', '/search?q=sach');
        assert.strictEqual(page.status, 200, 'a signed-in reader is served (the session’s idle time waits for nothing)');
        const write = await srv.get('/api/libraries/tinh', { method: 'PUT', body: JSON.stringify({ name: { vi: 'Thư viện tỉnh' } }), headers: { 'Content-Type': 'application/json', ...STAFF } });
        assert.strictEqual(write.status, 503);
        assert.strictEqual(write.headers.get('retry-after'), '30');
        assert.match(((await write.json()) as { message: string }).message, /busy/);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
    } finally {
      await srv.close();
    }
  });

  it('starts while the cluster cannot be reached: images and pages serve, search answers 503 with Retry-After', async function () {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const srv = await startTestServer({ search: { elasticsearch: { url: 'http://127.0.0.1:9', index: 'vankho', username: '', password: '', apiKey: '', caFile: '', requestTimeoutMs: 1000 } } });
    try {
      assert.strictEqual((await srv.get('/healthz')).status, 200);
      assert.strictEqual((await srv.get('/')).status, 200);
      const res = await srv.get('/api/search?q=sach');
      assert.strictEqual(res.status, 503);
      assert.ok(res.headers.get('retry-after'));
      assert.match(((await res.json()) as { message: string }).message, /Elasticsearch/);
    } finally {
      await srv.close();
    }
  });
});
