/**
 * Access rights, as readers and staff meet them: a real server, real accounts signed in through the
 * embedded OpenID provider's form, one item per access level, and every way to reach a page asked by
 * every kind of reader. The expected answers are written out by hand below (from the policy as the
 * issue states it), not computed by the policy under test.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { assert } from 'chai';
import sharp from 'sharp';
import type Koa from 'koa';
import { createApp } from '../../server/app.js';
import { ocrKeys } from '../../server/storage/layout.js';
import { BrowserSession, type Hop } from '../helpers/browser-session.js';
import { STAFF, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

type Who = 'anonymous' | 'readingRoom' | 'reader' | 'researcher' | 'librarianOwn' | 'librarianAbove' | 'librarianOther' | 'admin';
const WHO: Who[] = ['anonymous', 'readingRoom', 'reader', 'researcher', 'librarianOwn', 'librarianAbove', 'librarianOther', 'admin'];

/** What a reader gets of an item's content: A(llow), R(educed), or the HTTP status of the refusal. */
type Outcome = 'A' | 'R' | 401 | 403 | 404;
type Level = 'public' | 'public-reduced' | 'registered' | 'researcher' | 'reading-room' | 'staff' | 'embargoed' | 'embargo-over';

// Columns in WHO's order. Written from the issue: public-reduced is reduced for anonymous readers;
// registered needs any account; researcher the researcher role; reading-room the room's addresses;
// staff is hidden from all but the library's staff (its own librarian, the province library's above
// it, admin); an embargo closes the content to all but staff until its date.
const CONTENT: Record<Level, Outcome[]> = {
  //               anon  room  reader researcher libOwn libAbove libOther admin
  public:         ['A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'],
  'public-reduced': ['R', 'R', 'A', 'A', 'A', 'A', 'A', 'A'],
  registered:     [401, 401, 'A', 'A', 'A', 'A', 'A', 'A'],
  researcher:     [401, 401, 403, 'A', 'A', 'A', 403, 'A'],
  'reading-room': [403, 'A', 403, 403, 'A', 'A', 403, 'A'],
  staff:          [404, 404, 404, 404, 'A', 'A', 404, 'A'],
  embargoed:      [403, 403, 403, 403, 'A', 'A', 403, 'A'],
  'embargo-over': ['A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'],
};
const LEVELS = Object.keys(CONTENT) as Level[];
const STAFF_OF_ITEM: Record<Who, boolean> = {
  anonymous: false,
  readingRoom: false,
  reader: false,
  researcher: false,
  librarianOwn: true,
  librarianAbove: true,
  librarianOther: false,
  admin: true,
};

const itemId = (l: Level) => `muc-${l}`;
const imageId = (l: Level) => `anh-${l}`;

/** Every route the server registers, and the policy row that covers it (what the matrix asks of it). */
const POLICY_ROWS: Record<string, string> = {
  'GET /healthz': 'open: liveness, no data',
  'GET /readyz': 'open: readiness (render queue), no data',
  'GET /metrics': 'administrators (staff key or admin sign-in), or a listener of its own (tested: hardening-http)',
  'GET /iiif/{2,3}/*': 'content: image (matrix: info, tile, full, thumbnail)',
  'ALL /oidc/*': 'identity provider: its own protocol checks',
  'GET /auth/login': 'sign-in (tested: sign-in flow)',
  'GET /auth/callback': 'sign-in (tested: state bound to the browser)',
  'GET /auth/logout': 'sign-out form',
  'POST /auth/logout': 'sign-out (CSRF)',
  'GET /oidc/interaction/:uid': 'sign-in form',
  'POST /oidc/interaction/:uid/login': 'sign-in (CSRF, rate limit, no enumeration)',
  'GET /account/register': 'registration form',
  'POST /account/register': 'registration (CSRF, rate limit, no enumeration)',
  'GET /account/verify': 'e-mail verification form (token)',
  'POST /account/verify': 'e-mail verification + password (CSRF, one-time token, rate limit)',
  'GET /account/reset': 'reset form',
  'POST /account/reset': 'reset (CSRF, rate limit, no enumeration)',
  'GET /account/reset/confirm': 'reset form (token)',
  'POST /account/reset/confirm': 'reset (CSRF, one-time token)',
  'PUT /api/accounts/roles': 'staff write: roles (tested in auth-security: librarians grant reader/researcher only)',
  'GET /auth/iiif/login': 'IIIF access service (tested)',
  'POST /auth/iiif/claim': 'embedded reader: one-time code → partitioned session cookie (tested in Chromium)',
  'GET /auth/iiif/token': 'IIIF token service 1.0 (tested)',
  'GET /auth/iiif/token2': 'IIIF token service 2.0 (tested)',
  'GET /auth/iiif/logout': 'IIIF logout',
  'GET /auth/iiif/probe/:id': 'content: image probe (matrix)',
  'GET /iiif/presentation/3/items/:id/manifest': 'discover (matrix: manifest)',
  'GET /iiif/presentation/2/items/:id/manifest': 'discover (matrix: manifest 2)',
  'GET /iiif/presentation/3/items/:id/canvas/:n/ocr/:granularity': 'content: text (matrix: ocr)',
  'GET /iiif/presentation/3/top': 'listing (matrix: listings)',
  'GET /iiif/presentation/3/libraries/:id': 'listing',
  'GET /iiif/presentation/3/collections/:id': 'listing (matrix: listings)',
  'GET /iiif/presentation/2/top': 'listing',
  'GET /iiif/presentation/2/libraries/:id': 'listing',
  'GET /iiif/presentation/2/collections/:id': 'listing',
  'PUT /api/libraries/:id': 'staff write (matrix: writes)',
  'PUT /api/collections/:id': 'staff write',
  'PUT /api/items/:id': 'staff write (matrix: writes)',
  'GET /api/libraries/:id': 'staff read',
  'GET /api/collections/:id': 'staff read',
  'GET /api/items/:id': 'staff read (matrix: staff API)',
  'POST /api/ingest': 'staff write (matrix: ingest)',
  'GET /api/ingest/jobs/:id': 'staff read',
  'GET /api/ingest/jobs/:id/events': 'staff read',
  'GET /': 'listing (matrix: home page)',
  'GET /about': 'listing: the libraries the reader may discover (web.test: about and contact)',
  'GET /contact': 'listing: the libraries the reader may discover, their contact details',
  'GET /favicon.svg': 'open: the site icon, no data',
  'GET /favicon.ico': 'open: the site icon, no data',
  'GET /collections/:id': 'listing',
  'GET /items/:id': 'discover (matrix: item page)',
  'GET /items/:id/dc.xml': 'discover (matrix: Dublin Core)',
  'GET /items/:id/image': 'content: images (a redirect to the Image API, which decides again; web.test: page image download)',
  'GET /items/:id/cite.json': 'discover: the record as a citation (web.test: citation; as Dublin Core)',
  'GET /items/:id/cite.bib': 'discover: the record as a citation (web.test: citation; as Dublin Core)',
  'GET /items/:id/canvas/:n/alto.xml': 'content: text (matrix: ALTO)',
  'GET /items/:id/pdf': 'content: PDF (matrix: pdf)',
  'GET /viewer': 'open: the reader shell, no data',
  'GET /han/:char': 'open: a character in the public Han table (readings, variants), no item data',
  'GET /search': 'listing + content: text (the page of GET /api/search; matrix: search)',
  'GET /items/:id/search': 'content: text (matrix: item page search)',
  'GET /items/:id/text': 'content: text (matrix: item full text)',
  'GET /items/:id/reading': 'content: text (the reader’s reading panel: Han items only; tested in han-readings: as the OCR)',
  'GET /api/search': 'listing + content: text (matrix: search)',
  'GET /iiif/search/1/items/:id': 'content: text (matrix: content search)',
  'GET /iiif/search/1/items/:id/autocomplete': 'content: text (matrix: content search)',
  'GET /iiif/search/2/items/:id': 'content: text (matrix: content search)',
  'GET /iiif/search/2/items/:id/autocomplete': 'content: text (matrix: content search)',
  'OPTIONS /iiif/search/:version/items/:id': 'open: CORS preflight, no data',
  'OPTIONS /iiif/search/:version/items/:id/autocomplete': 'open: CORS preflight, no data',
  'DELETE /api/items/:id': 'staff write (matrix: writes)',
  'GET /viewer/assets/:file': 'open: the reader’s code',
};

describe('access rights: every way to a page obeys one decision', function () {
  let srv: TestServer;
  let dir: string;
  const as = {} as Record<Who, BrowserSession>;

  before(async function () {
    srv = await startTestServer({ access: { unattachedImages: 'staff', readingRoom: ['127.0.0.2/32'], reducedMaxPx: 512 } });
    dir = await tempDir();
    const file = path.join(dir, 'page.jpg');
    await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#8a5a3c' } })
      .composite([{ input: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1200"><text x="100" y="600" font-size="200">Văn Khố</text></svg>') }])
      .jpeg()
      .toFile(file);
    const put = (p: string, body: unknown) => srv.put(p, body);
    await put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await put('/api/libraries/huyen', { parent: 'tinh', name: { vi: 'Thư viện huyện' } });
    await put('/api/libraries/khac', { parent: 'tinh', name: { vi: 'Thư viện huyện khác' } });
    await put('/api/collections/han-nom', { library: 'huyen', label: { vi: 'Hán Nôm' } });
    for (const level of LEVELS) {
      await srv.add(file, imageId(level));
      const access =
        level === 'embargoed' ? { embargoUntil: '2999-01-01' } : level === 'embargo-over' ? { embargoUntil: '2001-01-01' } : { accessLevel: level };
      // OCR first, as ingest stores it: the item's write indexes its pages.
      const page = { width: 1600, height: 1200, language: 'vi', lines: [{ x: 100, y: 500, w: 900, h: 200, text: `chữ ${level}`, words: [{ x: 100, y: 500, w: 900, h: 200, text: `chữ ${level}`, confidence: 0.9 }] }] };
      await srv.deps.store.put(ocrKeys(imageId(level)).lines, JSON.stringify(page));
      await srv.deps.store.put(ocrKeys(imageId(level)).alto, `<alto><String CONTENT="chữ ${level}"/></alto>`);
      await put(`/api/items/${itemId(level)}`, {
        collection: 'han-nom',
        kind: 'manuscript',
        ...access,
        description: { title: { vi: `Sách ${level}` }, summary: { vi: `Tóm tắt bí mật ${level}` }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' },
        canvases: [{ image: imageId(level) }],
      });
    }
    const accounts = srv.deps.auth.accounts;
    const password = 'mot-mat-khau-dai';
    await accounts.upsert('doc@example.org', 'Bạn đọc', password, ['reader'], null);
    await accounts.upsert('nghien-cuu@example.org', 'Nhà nghiên cứu', password, ['researcher'], null);
    await accounts.upsert('thu-thu@example.org', 'Thủ thư huyện', password, ['librarian'], 'huyen');
    await accounts.upsert('thu-thu-tinh@example.org', 'Thủ thư tỉnh', password, ['librarian'], 'tinh');
    await accounts.upsert('thu-thu-khac@example.org', 'Thủ thư huyện khác', password, ['librarian'], 'khac');
    await accounts.upsert('quan-tri@example.org', 'Quản trị', password, ['admin'], null);
    const emails: Partial<Record<Who, string>> = {
      reader: 'doc@example.org',
      researcher: 'nghien-cuu@example.org',
      librarianOwn: 'thu-thu@example.org',
      librarianAbove: 'thu-thu-tinh@example.org',
      librarianOther: 'thu-thu-khac@example.org',
      admin: 'quan-tri@example.org',
    };
    for (const who of WHO) {
      as[who] = new BrowserSession(srv.url, who === 'readingRoom' ? '127.0.0.2' : undefined);
      const email = emails[who];
      if (email) {
        const end = await as[who].signIn(email, password);
        assert.strictEqual(end.status, 200, `${who} signs in: ${end.url} ${end.body.slice(0, 200)}`);
        assert.include(end.body, (await accounts.findByEmail(email))!.name, `${who}'s name shows once signed in`);
      }
    }
  });
  after(() => srv?.close());

  it('has a policy row for every route the server registers', function () {
    const app = createApp(srv.deps);
    const registered = new Set<string>();
    for (const mw of app.middleware as (Koa.Middleware & { router?: { stack: { path: string; methods: string[] }[] } })[]) {
      for (const layer of mw.router?.stack ?? []) {
        const methods = layer.methods.filter((m) => m !== 'HEAD');
        for (const m of methods) registered.add(`${m} ${layer.path}`);
      }
    }
    for (const extra of ['GET /iiif/{2,3}/*', 'ALL /oidc/*']) registered.add(extra);
    const missing = [...registered].filter((r) => !(r in POLICY_ROWS));
    assert.deepEqual(missing, [], 'routes without a policy row: add the row and its cells in this matrix');
    const stale = Object.keys(POLICY_ROWS).filter((r) => !registered.has(r));
    assert.deepEqual(stale, [], 'policy rows for routes that no longer exist');
  });

  const outcomeOf = (level: Level, who: Who) => CONTENT[level][WHO.indexOf(who)]!;
  const status = (o: Outcome, reduced: 200 | 401 | 302) => (o === 'A' ? 200 : o === 'R' ? reduced : o);
  const get = async (who: Who, p: string) => (await as[who].request('GET', p)) as Hop;

  for (const level of LEVELS) {
    describe(`an item at level ${level}`, function () {
      it('images: info.json, a full-resolution tile, the full image, a thumbnail, the Auth 2.0 probe', async function () {
        for (const who of WHO) {
          const o = outcomeOf(level, who);
          const cell = `${level} × ${who}`;
          const img = imageId(level);
          const info = await get(who, `/iiif/3/${img}/info.json`);
          assert.strictEqual(info.status, status(o, 302), `${cell}: info.json`);
          if (o === 'R') assert.strictEqual(info.headers.location, `${srv.url}/iiif/3/${img}~reduced/info.json`, `${cell}: sent to the reduced image`);
          if (o === 401 || o === 403) {
            const body = JSON.parse(info.body) as { service?: { profile?: string; type?: string }[] };
            const profiles = (body.service ?? []).map((s) => s.profile ?? s.type);
            assert.include(profiles, level === 'reading-room' ? 'http://iiif.io/api/auth/1/external' : 'http://iiif.io/api/auth/1/login', `${cell}: the 401/403 names where to get access (Auth 1.0)`);
            assert.include(profiles, 'AuthProbeService2', `${cell}: and the Auth 2.0 probe`);
          }
          assert.strictEqual((await get(who, `/iiif/3/${img}/0,0,256,256/256,/0/default.jpg`)).status, status(o, 401), `${cell}: a full-resolution tile`);
          assert.strictEqual((await get(who, `/iiif/3/${img}/full/max/0/default.jpg`)).status, status(o, 401), `${cell}: the full image`);
          assert.strictEqual((await get(who, `/iiif/2/${img}/full/full/0/default.jpg`)).status, status(o, 401), `${cell}: the full image (Image API 2)`);
          assert.strictEqual((await get(who, `/iiif/3/${img}/full/100,/0/default.jpg`)).status, status(o, 200), `${cell}: a 100 px thumbnail`);
          const probe = await get(who, `/auth/iiif/probe/${img}`);
          if (o === 404) assert.strictEqual(probe.status, 404, `${cell}: probe`);
          else assert.strictEqual((JSON.parse(probe.body) as { status: number }).status, o === 'A' ? 200 : o === 'R' ? 401 : o, `${cell}: probe status`);
          if (o !== 'A' && o !== 404) assert.include(info.headers['cache-control'] ?? '', 'no-store', `${cell}: a refusal is not cached`);
        }
      });

      it('text and documents: OCR annotations, ALTO, PDF; metadata: manifest, Dublin Core, the item page', async function () {
        for (const who of WHO) {
          const o = outcomeOf(level, who);
          const cell = `${level} × ${who}`;
          const id = itemId(level);
          const text = status(o, 200);
          const ocr = await get(who, `/iiif/presentation/3/items/${id}/canvas/1/ocr/line`);
          assert.strictEqual(ocr.status, text, `${cell}: OCR annotations`);
          if (text !== 200) assert.notInclude(ocr.body, `chữ ${level}`, `${cell}: no text in the refusal`);
          assert.strictEqual((await get(who, `/items/${id}/canvas/1/alto.xml`)).status, text, `${cell}: ALTO`);
          // IIIF Content Search and its autocomplete, both versions; the site's text and in-book search.
          for (const v of [1, 2]) {
            const found = await get(who, `/iiif/search/${v}/items/${id}?q=chu`);
            assert.strictEqual(found.status, text, `${cell}: content search ${v}`);
            if (text === 200) assert.include(found.body, `chữ`, `${cell}: content search ${v} finds the word`);
            else assert.notInclude(found.body, `chữ`, `${cell}: no text in the refusal`);
            const terms = await get(who, `/iiif/search/${v}/items/${id}/autocomplete?q=ch`);
            assert.strictEqual(terms.status, text, `${cell}: autocomplete ${v}`);
            if (text !== 200) assert.notInclude(terms.body, `chữ`, `${cell}: no terms in the refusal`);
          }
          for (const p of [`/items/${id}/text`, `/items/${id}/search?q=chu`]) {
            const shown = (await get(who, p)).body.replace(/<[^>]+>/g, '');
            if (text === 200) assert.include(shown, `chữ ${level}`, `${cell}: ${p}`);
            else assert.notInclude(shown, `chữ ${level}`, `${cell}: ${p} shows no text`);
          }
          // The PDF holds pages at print size: reduced readers sign in for it.
          assert.strictEqual((await get(who, `/items/${id}/pdf`)).status, status(o, 401), `${cell}: PDF`);
          const discover = o === 404 ? 404 : 200;
          const manifest = await get(who, `/iiif/presentation/3/items/${id}/manifest`);
          assert.strictEqual(manifest.status, discover, `${cell}: manifest`);
          assert.strictEqual((await get(who, `/iiif/presentation/2/items/${id}/manifest`)).status, discover, `${cell}: manifest 2.1`);
          assert.strictEqual((await get(who, `/items/${id}/dc.xml`)).status, discover, `${cell}: Dublin Core`);
          const page = await get(who, `/items/${id}`);
          assert.strictEqual(page.status, discover, `${cell}: item page`);
          if (discover === 404) assert.notInclude(page.body + manifest.body, `Sách ${level}`, `${cell}: a hidden item's title leaks nowhere`);
          if (level !== 'public' && level !== 'embargo-over' && manifest.status === 200) {
            assert.match(manifest.headers['cache-control'] ?? '', /private/, `${cell}: a manifest of a non-public item is not for shared caches`);
          }
          const thumb = await get(who, `/iiif/3/${imageId(level)}/full/100,/0/default.jpg`);
          if (level !== 'public' && level !== 'embargo-over') assert.notMatch(thumb.headers['cache-control'] ?? 'private', /public/, `${cell}: images of a non-public item never say public`);
          if (thumb.status === 200) assert.match(String(thumb.headers.vary ?? ''), /Authorization/i, `${cell}: image responses vary on credentials`);
        }
      });

      it('staff: the record as stored, writes and ingest — staff of the item’s library only', async function () {
        for (const who of WHO) {
          const cell = `${level} × ${who}`;
          const want = STAFF_OF_ITEM[who] ? 200 : who === 'anonymous' || who === 'readingRoom' ? 401 : 403;
          assert.strictEqual((await get(who, `/api/items/${itemId(level)}`)).status, want, `${cell}: staff API read`);
          const stored = (await (await srv.get(`/api/items/${itemId(level)}`, { headers: STAFF })).json()) as Record<string, unknown> & { canvases: { image: string }[] };
          const { collection, kind, accessLevel, embargoUntil, description, structures } = stored;
          const body = JSON.stringify({ collection, kind, accessLevel, embargoUntil, description, structures, canvases: stored.canvases.map((c) => ({ image: c.image })) });
          const write = await as[who].request('PUT', `/api/items/${itemId(level)}`, { body, headers: { 'Content-Type': 'application/json', Origin: srv.url } });
          assert.strictEqual(write.status, want, `${cell}: staff write ${write.body.slice(0, 200)}`);
        }
      });
    });
  }

  it('listings show what the reader may discover, thumbnails only of what they may see, no restricted field', async function () {
    for (const who of WHO) {
      const collection = JSON.parse((await get(who, '/iiif/presentation/3/collections/han-nom')).body) as { items: { id: string; thumbnail?: unknown }[] };
      const home = (await get(who, '/')).body;
      for (const level of LEVELS) {
        const o = outcomeOf(level, who);
        const cell = `${level} × ${who}`;
        const entry = collection.items.find((i) => i.id.endsWith(`/items/${itemId(level)}/manifest`));
        if (o === 404) {
          assert.isUndefined(entry, `${cell}: a hidden item is not listed`);
          assert.notInclude(home, itemId(level), `${cell}: nor on the home page`);
          continue;
        }
        assert.ok(entry, `${cell}: listed`);
        assert.strictEqual(entry!.thumbnail !== undefined, o === 'A' || o === 'R', `${cell}: thumbnail only when its images may be seen`);
        assert.include(home, `/items/${itemId(level)}`, `${cell}: on the home page`);
        assert.strictEqual(home.includes(`/iiif/3/${imageId(level)}/`), o === 'A' || o === 'R', `${cell}: home page thumbnail`);
        assert.notInclude(home, `Tóm tắt bí mật`, `${cell}: listings carry no description`);
      }
    }
  });

  it('search (GET /api/search): records for whoever may discover them, page text, snippets and counts for whoever may read', async function () {
    const search = async (who: Who, q: string) => {
      const res = await get(who, `/api/search?q=${encodeURIComponent(q)}&size=50`);
      assert.strictEqual(res.status, 200, `${who}: ${q}`);
      return JSON.parse(res.body) as { total: number; items: { id: string; pageHits: number; snippets: { text: string }[] }[]; facets: { kind: { value: string; count: number; label: { vi: string; en: string } }[] } };
    };
    for (const who of WHO) {
      const discoverable = LEVELS.filter((l) => outcomeOf(l, who) !== 404).map(itemId).sort();
      const readable = LEVELS.filter((l) => ['A', 'R'].includes(String(outcomeOf(l, who)))).map(itemId).sort();
      // Titles ("Sách …") are public records for every level but staff.
      const byTitle = await search(who, 'sach');
      assert.deepEqual(byTitle.items.map((i) => i.id).sort(), discoverable, `${who}: records found by title`);
      assert.strictEqual(byTitle.total, discoverable.length, `${who}: total`);
      assert.deepEqual(byTitle.facets.kind, [{ value: 'manuscript', count: discoverable.length, label: { vi: 'Sách chép tay', en: 'Manuscript' } }], `${who}: facet counts`);
      // Page text ("chữ …", typed without diacritics) only where the reader may read the content.
      const byText = await search(who, 'chu');
      assert.deepEqual(byText.items.map((i) => i.id).sort(), readable, `${who}: items found by their page text`);
      for (const i of byText.items) {
        assert.strictEqual(i.pageHits, 1, `${who}: ${i.id} page hits`);
        assert.match(i.snippets[0]!.text, /^chữ /, `${who}: ${i.id} snippet`);
      }
      // A word only the closed items' text has: no count, no snippet, nothing.
      const secret = await search(who, 'chu staff');
      assert.deepEqual(secret.items.map((i) => i.id), readable.includes(itemId('staff')) ? [itemId('staff')] : [], `${who}: staff-only text`);
    }
  });

  it('a librarian cannot show another library’s image under an item of their own', async function () {
    const put = async (who: Who, p: string, body: unknown) =>
      (await as[who].request('PUT', p, { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', Origin: srv.url } })).status;
    const description = { title: { vi: 'Mượn ảnh' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' };
    assert.strictEqual(await put('admin', '/api/collections/kho-khac', { library: 'khac', label: { vi: 'Kho khác' } }), 200);
    const borrow = { collection: 'kho-khac', kind: 'manuscript', accessLevel: 'public', description, canvases: [{ image: imageId('researcher') }] };
    assert.strictEqual(await put('librarianOther', '/api/items/muon-anh', borrow), 403, 'another library’s researcher-only page, published as public');
    assert.strictEqual((await get('anonymous', `/iiif/3/${imageId('researcher')}/full/max/0/default.jpg`)).status, 401, 'still closed');
    assert.strictEqual(await put('admin', '/api/items/muon-anh', borrow), 200, 'an administrator may');
    // Give the borrowed page back, so that the matrix below sees each image on its own item only.
    await srv.add(path.join(dir, 'page.jpg'), 'anh-rieng');
    assert.strictEqual(await put('admin', '/api/items/muon-anh', { ...borrow, canvases: [{ image: 'anh-rieng' }] }), 200);
  });

  it('ingest: only staff of the target collection’s library may upload', async function () {
    for (const who of WHO) {
      const want = STAFF_OF_ITEM[who] ? 202 : who === 'anonymous' || who === 'readingRoom' ? 401 : 403;
      const res = await as[who].request('POST', '/api/ingest?collection=han-nom&filename=trang.txt', { body: 'not an image', headers: { 'Content-Type': 'application/octet-stream', Origin: srv.url } });
      assert.strictEqual(res.status, want, `${who}: upload ${res.body.slice(0, 200)}`);
    }
  });
});
