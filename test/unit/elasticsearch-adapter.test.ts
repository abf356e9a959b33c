/**
 * The Elasticsearch backend without a cluster: the real client (@elastic/elasticsearch 8.19) serialises
 * every request, and @elastic/elasticsearch-mock stands in for the connection. The tests assert the
 * exact requests the adapter sends (index creation with the mapping and analysers, bulk lines of a
 * rebuild, the alias swap, search bodies with the access filters, the suggest aggregation) and how it
 * reads answers shaped as the Elasticsearch 8 reference documents them (test/fixtures/elasticsearch,
 * each naming its reference page).
 *
 * Against a live cluster the shared behaviour suite runs the same queries on both backends:
 *   VANKHO_TEST_ELASTICSEARCH_URL=http://127.0.0.1:9200 npx mocha test/unit/search-behaviour.test.ts
 */
import { Client, errors } from '@elastic/elasticsearch';
import MockModule from '@elastic/elasticsearch-mock';
import { assert } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'mocha';
import { ServiceUnavailableError } from '../../server/errors.js';
import { BulkWriteError, ElasticsearchIndex } from '../../server/search/elasticsearch/index.js';
import type { AccessScope, PageDoc, RecordDoc, SearchRequest } from '../../server/search/index.js';
import { parseQuery } from '../../server/search/query.js';
import { readingAlternatives } from '../../server/search/reading.js';
import { tokenize } from '../../server/search/fold.js';
import { rejects } from '../helpers/assert.js';
import { tempDir } from '../helpers/server.js';

// ---------------------------------------------------------------------------------------------------
// A cluster made of fixtures

interface Req {
  method: string;
  path: string;
  querystring: Record<string, string>;
  body: any;
}

type Reply = (r: Req) => unknown;

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'elasticsearch');
/** The package is CommonJS (`module.exports = ClientMock`); its types declare a default export. */
const Mock = MockModule as unknown as typeof MockModule.default;

/** A fixture as the cluster answers it (without its `_source_note`). */
function fixture(name: string): any {
  const json = JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
  delete json._source_note;
  return json;
}

/** An HTTP error answer (the mock sends the status and body of a ResponseError). */
const status = (statusCode: number, body: unknown) => new errors.ResponseError({ body, statusCode, headers: {}, warnings: null, meta: {} as never });

const INDEX = 'vankho-20250102030405006';
const OLD = 'vankho-20240501000000000';
const NOW = () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6));

class Cluster {
  readonly requests: Req[] = [];
  private readonly routes: { method: string; path: string; reply: Reply; once: boolean }[] = [];
  readonly client: Client;

  constructor() {
    const mock = new Mock();
    mock.add({ method: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'], path: '/*' }, (p) => {
      const r: Req = { method: String(p.method), path: String(p.path), querystring: (p.querystring ?? {}) as Record<string, string>, body: p.body ?? null };
      this.requests.push(r);
      const i = this.routes.findIndex((x) => x.method === r.method && x.path === r.path);
      if (i < 0) return status(400, { error: { type: 'test_unexpected_request', reason: `${r.method} ${r.path}` }, status: 400 });
      const route = this.routes[i]!;
      if (route.once) this.routes.splice(i, 1);
      return route.reply(r) as Record<string, unknown>;
    });
    this.client = new Client({ node: 'http://127.0.0.1:9200', Connection: mock.getConnection(), maxRetries: 0 });
  }

  on(method: string, p: string, reply: unknown, once = false): this {
    this.routes.push({ method, path: p, reply: typeof reply === 'function' ? (reply as Reply) : () => reply, once });
    return this;
  }

  index(opts: { bulk?: Record<string, number> } = {}): ElasticsearchIndex {
    return new ElasticsearchIndex({ client: this.client, alias: 'vankho', now: NOW, bulk: opts.bulk });
  }

  /** `METHOD /path` of every request so far. */
  get lines(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }
}

/** A bulk answer with every item created (docs-bulk.html's response format). */
function bulkOk(r: Req): unknown {
  const actions = (r.body as Record<string, { _id: string }>[]).filter((_, i) => i % 2 === 0);
  return {
    took: 3,
    errors: false,
    items: actions.map((a, i) => ({
      index: { _index: INDEX, _id: a.index!._id, _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: i, _primary_term: 1, status: 201 },
    })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Documents and scopes

const RECORD: RecordDoc = {
  itemId: 'dai-nam',
  library: 'tinh',
  collections: ['han-nom', 'co-ban'],
  kind: 'manuscript',
  languages: ['vi', 'lzh'],
  scripts: ['nom', 'hani'],
  dateFrom: 1852,
  dateTo: null,
  access: { level: 'public', embargoUntil: null, libraries: ['tinh', 'quoc-gia'] },
  hasText: true,
  title: ['Đại Nam quốc sử diễn ca', '大南國史演歌'],
  subjects: ['Lịch sử'],
  description: ['Diễn ca lịch sử, Lê Ngô Cát'],
  other: ['HN-12'],
  sortTitle: 'dai nam quoc su dien ca',
  updatedAt: '2025-01-02T03:04:05.006Z',
};

const LINES = [{ x: 120, y: 80, w: 900, h: 60, text: '大南國史演歌', words: [{ x: 120, y: 80, w: 150, h: 60, text: '大南', confidence: 0.91 }] }];
const PAGE: PageDoc = { itemId: 'dai-nam', canvas: 2, imageId: 'dai-nam-002', language: 'vi-Hani', text: '大南國史\nĐại Nam, đại nam', lines: LINES };

const ANONYMOUS: AccessScope = { discover: ['public', 'public-reduced'], read: ['public', 'public-reduced'], staffOf: [], today: '2025-06-01' };
const READER: AccessScope = { discover: ['public', 'public-reduced', 'registered'], read: ['public', 'public-reduced', 'registered'], staffOf: [], today: '2025-06-01' };
const LIBRARIAN: AccessScope = { ...READER, staffOf: ['huyen'] };
const ADMIN: AccessScope = { ...READER, staffOf: 'all' };

const request = (over: Partial<SearchRequest> = {}): SearchRequest => ({
  query: parseQuery('Đại 大南'),
  filters: {},
  sort: 'relevance',
  offset: 0,
  limit: 10,
  facets: false,
  pagesPerItem: 3,
  scope: ANONYMOUS,
  ...over,
});

const phrase = (field: string, query: string, boost?: number) => ({ match_phrase: { [field]: { query, slop: 0, ...(boost === undefined ? {} : { boost }) } } });

/** The record part of a match: the clause in some field, folded (matching) or exact (ranking higher). */
const recordClause = (folded: string, exact: string) => ({
  bool: {
    should: [
      phrase('title_f', folded, 4),
      phrase('subjects_f', folded, 2),
      phrase('description_f', folded, 2),
      phrase('other_f', folded, 1),
      phrase('title_x', exact, 4),
      phrase('subjects_x', exact, 2),
      phrase('description_x', exact, 2),
      phrase('other_x', exact, 1),
    ],
    minimum_should_match: 1,
  },
});

const innerHits = (name: string, size: number) => ({ name, size, _source: ['canvas', 'text'], sort: ['_score', { canvas: 'asc' }] });
const child = (query: unknown, inner?: unknown) => ({ has_child: { type: 'page', score_mode: 'max', boost: 0.5, query, ...(inner ? { inner_hits: inner } : {}) } });

/**
 * A query read as a run of readings on a reading field: the tokens each position may be (reading.ts
 * says which: the syllable, or a reading set that holds it; 大 its own set), next to each other, in
 * order — span_or at a position, span_near over them.
 */
const readingRun = (field: string, q: string) => {
  const alternatives = readingAlternatives(parseQuery(q));
  assert.isNotNull(alternatives, `${q} reads as a run`);
  const at = (alts: string[]) => (alts.length === 1 ? { span_term: { [field]: alts[0] } } : { span_or: { clauses: alts.map((t) => ({ span_term: { [field]: t } })) } });
  return alternatives!.length === 1 ? at(alternatives![0]!) : { span_near: { clauses: alternatives!.map(at), slop: 0, in_order: true } };
};
/** 'Đại 大南' reads đại đại nam: 大 is đại, and the syllable đại is in several characters' reading sets. */
const DAI_NAM = (field: string) => readingRun(field, 'Đại 大南');
const orReading = (query: unknown, reading: unknown) => ({ bool: { should: [query, reading], minimum_should_match: 1 } });

/**
 * The page part of a match of 'Đại 大南' (two clauses): each clause on some page of the item (together or
 * not), or the query read as a run of readings on a page; the pages shown are those with both clauses or
 * the run (inner hits `page`) or, when none has, with either clause.
 */
const pagesPart = (pagesPerItem: number, filter?: unknown) => ({
  bool: {
    _name: 'pages',
    must: [
      orReading(
        {
          bool: {
            must: [
              child({ bool: { must: [phrase('text_f', 'dai')], should: [phrase('text_x', 'đại')] } }),
              child({ bool: { must: [phrase('text_f', '大 南')], should: [phrase('text_x', '大 南')] } }),
            ],
          },
        },
        child(DAI_NAM('text_r')),
      ),
    ],
    should: [
      child(
        orReading({ bool: { must: [phrase('text_f', 'dai'), phrase('text_f', '大 南')], should: [phrase('text_x', 'đại'), phrase('text_x', '大 南')] } }, DAI_NAM('text_r')),
        innerHits('page', pagesPerItem),
      ),
      child({ bool: { should: [phrase('text_f', 'dai'), phrase('text_f', '大 南')], minimum_should_match: 1 } }, innerHits('page-any', pagesPerItem)),
    ],
    ...(filter ? { filter: [filter] } : {}),
  },
});

/** The parent-side condition for showing pages: own libraries, or a readable level with no embargo left. */
const readable = (staffOf: string[], read: string[]) => ({
  bool: {
    should: [
      { terms: { libraries: staffOf } },
      {
        bool: {
          filter: [
            { terms: { level: read } },
            { bool: { should: [{ bool: { must_not: [{ exists: { field: 'embargoUntil' } }] } }, { range: { embargoUntil: { lte: '2025-06-01' } } }], minimum_should_match: 1 } },
          ],
        },
      },
    ],
    minimum_should_match: 1,
  },
});

const discoverable = (staffOf: string[], discover: string[]) => ({ bool: { should: [{ terms: { libraries: staffOf } }, { terms: { level: discover } }], minimum_should_match: 1 } });

const FACET_AGGS = {
  library: { terms: { field: 'library', size: 200, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
  collection: { terms: { field: 'collections', size: 200, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
  kind: { terms: { field: 'kind', size: 200, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
  language: { terms: { field: 'languages', size: 200, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
  script: { terms: { field: 'scripts', size: 200, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
  hasText: { terms: { field: 'hasText', size: 200, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
  years_min: { min: { field: 'dateFrom' } },
  years_max: { max: { field: 'dateTo' } },
};

// ---------------------------------------------------------------------------------------------------
// The index: settings and mapping as sent

const FORMS = { type: 'text', analyzer: 'vankho_forms' };
const RAW = { type: 'text', fields: { folded: { type: 'text', analyzer: 'vankho_folded' }, cjk: { type: 'text', analyzer: 'vankho_cjk' } } };
const textField = (name: string) => ({ [name]: RAW, [`${name}_x`]: FORMS, [`${name}_f`]: FORMS });

const EXPECTED_SETTINGS = {
  number_of_shards: 1,
  auto_expand_replicas: '0-1',
  analysis: {
    filter: {
      vankho_asciifolding: { type: 'asciifolding', preserve_original: true },
      vankho_cjk_bigram: { type: 'cjk_bigram', output_unigrams: true },
    },
    analyzer: {
      vankho_forms: { type: 'custom', tokenizer: 'whitespace', filter: ['lowercase'] },
      vankho_folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'vankho_asciifolding'] },
      vankho_cjk: { type: 'custom', tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'vankho_cjk_bigram'] },
    },
  },
};

const EXPECTED_MAPPINGS = {
  dynamic: 'strict',
  _meta: { vankho: { mapping: 3 } },
  _routing: { required: true },
  _source: { excludes: ['*_x', '*_f', '*_r', 'words'] },
  properties: {
    doc: { type: 'join', relations: { record: 'page' } },
    itemId: { type: 'keyword' },
    library: { type: 'keyword' },
    collection: { type: 'keyword' },
    collections: { type: 'keyword' },
    kind: { type: 'keyword' },
    languages: { type: 'keyword' },
    scripts: { type: 'keyword' },
    hasText: { type: 'boolean' },
    dateFrom: { type: 'integer' },
    dateTo: { type: 'integer' },
    sortTitle: { type: 'keyword' },
    updatedAt: { type: 'date', ignore_malformed: true },
    level: { type: 'keyword' },
    embargoUntil: { type: 'date', format: 'strict_date' },
    libraries: { type: 'keyword' },
    ...textField('title'),
    title_r: FORMS,
    text_r: FORMS,
    ...textField('subjects'),
    ...textField('description'),
    ...textField('other'),
    canvas: { type: 'integer' },
    imageId: { type: 'keyword' },
    language: { type: 'keyword' },
    ...textField('text'),
    lines: { type: 'object', enabled: false },
    words: { type: 'keyword', ignore_above: 256 },
  },
};

/** The sources the application writes for RECORD and PAGE. */
const RECORD_SOURCE = {
  doc: 'record',
  itemId: 'dai-nam',
  library: 'tinh',
  collection: 'han-nom',
  collections: ['han-nom', 'co-ban'],
  kind: 'manuscript',
  languages: ['vi', 'lzh'],
  scripts: ['nom', 'hani'],
  hasText: true,
  dateFrom: 1852,
  dateTo: 1852,
  sortTitle: 'dai nam quoc su dien ca',
  updatedAt: '2025-01-02T03:04:05.006Z',
  level: 'public',
  embargoUntil: null,
  libraries: ['tinh', 'quoc-gia'],
  title: ['Đại Nam quốc sử diễn ca', '大南國史演歌'],
  title_x: ['đại nam quốc sử diễn ca', '大 南 國 史 演 歌'],
  // 國 folds to the first of its variant class (國 囯 国 …): 囯 U+56EF.
  title_f: ['dai nam quoc su dien ca', '大 南 囯 史 演 歌'],
  subjects: ['Lịch sử'],
  subjects_x: ['lịch sử'],
  subjects_f: ['lich su'],
  description: ['Diễn ca lịch sử, Lê Ngô Cát'],
  description_x: ['diễn ca lịch sử lê ngô cát'],
  description_f: ['dien ca lich su le ngo cat'],
  other: ['HN-12'],
  other_x: ['hn 12'],
  other_f: ['hn 12'],
  // The Han title by its readings: a token per character, 國 (quốc, and quắc in HueCIT's list) as its set.
  title_r: ['0dai 0nam 0quac0quoc 0su 0dien 0ca'],
};

const PAGE_SOURCE = {
  doc: { name: 'page', parent: 'r:dai-nam' },
  itemId: 'dai-nam',
  canvas: 2,
  imageId: 'dai-nam-002',
  language: 'vi-Hani',
  text: '大南國史\nĐại Nam, đại nam',
  text_x: '大 南 國 史 đại nam đại nam',
  text_f: '大 南 囯 史 dai nam dai nam',
  text_r: '0dai 0nam 0quac0quoc 0su 0dai 0nam 0dai 0nam',
  lines: LINES,
  // A Han character counts under each of its readings too: đại is the word twice and 大 once.
  words: ['大|大|1', 'dai|đại|3', '南|南|1', 'nam|nam|3', '囯|國|1', 'quoc|quốc|1', 'quac|quắc|1', '史|史|1', 'su|sử|1'],
};

// ---------------------------------------------------------------------------------------------------

describe('Elasticsearch adapter: requests sent through the real client', () => {
  it('ensureIndex creates the first versioned index with the alias, the mapping and the built-in analysers; then leaves it', async () => {
    const es = new Cluster().on('HEAD', '/_alias/vankho', status(404, ''), true).on('PUT', `/${INDEX}`, fixture('create-index.json'));
    const index = es.index();
    assert.strictEqual(await index.ensureIndex(), INDEX);
    assert.deepEqual(es.lines, ['HEAD /_alias/vankho', `PUT /${INDEX}`]);
    assert.deepEqual(es.requests[1]!.body, { aliases: { vankho: {} }, settings: EXPECTED_SETTINGS, mappings: EXPECTED_MAPPINGS });

    es.on('HEAD', '/_alias/vankho', {});
    assert.isNull(await index.ensureIndex(), 'the alias exists: nothing created');
    assert.deepEqual(es.lines.slice(2), ['HEAD /_alias/vankho']);

    // A rebuild in the same millisecond (the clock is fixed here) still makes a new name.
    es.on('PUT', '/vankho-20250102030405007', fixture('create-index.json')).on('DELETE', '/vankho-20250102030405007', fixture('acknowledged.json'));
    await rejects(index.rebuild(async () => Promise.reject(new Error('stop'))), /stop/);
    assert.deepEqual(es.lines.slice(3), ['PUT /vankho-20250102030405007', 'DELETE /vankho-20250102030405007']);
  });

  it('needsRebuild compares the mapping version kept in _meta', async () => {
    const current = fixture('get-mapping.json');
    const es = new Cluster().on('GET', '/vankho/_mapping', current, true);
    assert.isFalse(await es.index().needsRebuild());
    es.on('GET', '/vankho/_mapping', { [OLD]: { mappings: { _meta: { vankho: { mapping: 0 } }, properties: {} } } }, true);
    assert.isTrue(await es.index().needsRebuild(), 'an older mapping');
    es.on('GET', '/vankho/_mapping', { [OLD]: { mappings: { properties: {} } } });
    assert.isTrue(await es.index().needsRebuild(), 'an index not made by Văn Khố');
    assert.deepEqual(es.lines, ['GET /vankho/_mapping', 'GET /vankho/_mapping', 'GET /vankho/_mapping']);
  });

  it('writes a record and a page to the alias, routed by the item, in both application forms, and waits for the refresh', async () => {
    const es = new Cluster()
      .on('PUT', '/vankho/_doc/r:dai-nam', fixture('index-doc.json'))
      .on('PUT', '/vankho/_doc/p:dai-nam:2', { ...fixture('index-doc.json'), _id: 'p:dai-nam:2' });
    const index = es.index();
    await index.putRecord(RECORD);
    await index.putPage(PAGE);
    assert.deepEqual(es.lines, ['PUT /vankho/_doc/r:dai-nam', 'PUT /vankho/_doc/p:dai-nam:2']);
    for (const r of es.requests) assert.deepEqual(r.querystring, { routing: 'dai-nam', refresh: 'wait_for' });
    assert.deepEqual(es.requests[0]!.body, RECORD_SOURCE);
    assert.deepEqual(es.requests[1]!.body, PAGE_SOURCE);
  });

  it('trims and removes an item with delete-by-query on its shard', async () => {
    const es = new Cluster().on('POST', '/vankho/_delete_by_query', fixture('delete-by-query.json'));
    const index = es.index();
    await index.trimItem('dai-nam', 4);
    await index.removeItem('dai-nam');
    assert.deepEqual(es.lines, ['POST /vankho/_delete_by_query', 'POST /vankho/_delete_by_query']);
    for (const r of es.requests) assert.deepEqual(r.querystring, { routing: 'dai-nam', conflicts: 'proceed', refresh: 'true' });
    assert.deepEqual(es.requests[0]!.body, { query: { bool: { filter: [{ term: { doc: 'page' } }, { term: { itemId: 'dai-nam' } }, { range: { canvas: { gt: 4 } } }] } } });
    assert.deepEqual(es.requests[1]!.body, { query: { bool: { filter: [{ term: { itemId: 'dai-nam' } }] } } });
  });

  it('rebuild: bulk lines into a new index (ids, routing, sources), refresh, one alias swap, then the old index goes', async () => {
    const es = new Cluster()
      .on('PUT', `/${INDEX}`, fixture('create-index.json'))
      .on('POST', `/${INDEX}/_bulk`, bulkOk)
      .on('PUT', `/${INDEX}/_settings`, fixture('acknowledged.json'))
      .on('GET', `/${INDEX}/_refresh`, fixture('refresh.json'))
      .on('GET', '/_alias/vankho', fixture('alias-get.json'))
      .on('POST', '/_aliases', fixture('acknowledged.json'))
      .on('DELETE', `/${OLD}`, fixture('acknowledged.json'));
    const page3 = { ...PAGE, canvas: 3, imageId: 'dai-nam-003', text: 'Thư', lines: [] };
    const { text_r: _reading, ...withoutReading } = PAGE_SOURCE;
    await es.index({ bulk: { maxDocs: 2 } }).rebuild(async (sink) => {
      await sink.putPage(PAGE);
      await sink.putPage(page3);
      await sink.putRecord(RECORD);
    });
    assert.deepEqual(es.lines, [
      `PUT /${INDEX}`,
      `POST /${INDEX}/_bulk`,
      `POST /${INDEX}/_bulk`,
      `PUT /${INDEX}/_settings`,
      `GET /${INDEX}/_refresh`,
      'GET /_alias/vankho',
      'POST /_aliases',
      `DELETE /${OLD}`,
    ]);
    // Created without an alias and without refreshes while filling.
    assert.deepEqual(es.requests[0]!.body, { settings: { ...EXPECTED_SETTINGS, refresh_interval: '-1' }, mappings: EXPECTED_MAPPINGS });
    // Batches of two documents: an action line with the id and the item as routing, then the source.
    assert.deepEqual(es.requests[1]!.body, [
      { index: { _id: 'p:dai-nam:2', routing: 'dai-nam' } },
      PAGE_SOURCE,
      { index: { _id: 'p:dai-nam:3', routing: 'dai-nam' } },
      // No Han: no reading field.
      { ...withoutReading, canvas: 3, imageId: 'dai-nam-003', text: 'Thư', text_x: 'thư', text_f: 'thu', lines: [], words: ['thu|thư|1'] },
    ]);
    assert.deepEqual(es.requests[2]!.body, [{ index: { _id: 'r:dai-nam', routing: 'dai-nam' } }, RECORD_SOURCE]);
    for (const i of [1, 2]) assert.deepEqual(es.requests[i]!.querystring, {}, 'no refresh per bulk');
    assert.deepEqual(es.requests[3]!.body, { index: { refresh_interval: null } });
    // One call moves the alias: searches see the old index, then the new one.
    assert.deepEqual(es.requests[6]!.body, { actions: [{ remove: { index: OLD, alias: 'vankho' } }, { add: { index: INDEX, alias: 'vankho' } }] });
  });

  it('rebuild: a fill that throws deletes the new index and leaves the alias on the old one', async () => {
    const es = new Cluster().on('PUT', `/${INDEX}`, fixture('create-index.json')).on('DELETE', `/${INDEX}`, fixture('acknowledged.json'));
    await rejects(
      es.index().rebuild(async (sink) => {
        await sink.putRecord(RECORD);
        throw new Error('catalogue unreadable');
      }),
      /catalogue unreadable/,
    );
    assert.deepEqual(es.lines, [`PUT /${INDEX}`, `DELETE /${INDEX}`]);
  });

  it('rebuild: a bulk answer with errors: true fails, naming the refused document, and the alias is not moved', async () => {
    const es = new Cluster()
      .on('PUT', `/${INDEX}`, fixture('create-index.json'))
      .on('POST', `/${INDEX}/_bulk`, fixture('bulk-error.json'))
      .on('DELETE', `/${INDEX}`, fixture('acknowledged.json'));
    await rejects(
      es.index().rebuild(async (sink) => {
        await sink.putRecord(RECORD);
        await sink.putPage(PAGE);
      }),
      (e: unknown) =>
        e instanceof BulkWriteError &&
        e.failures.length === 1 &&
        e.failures[0]!.id === 'p:dai-nam:2' &&
        e.failures[0]!.status === 400 &&
        /p:dai-nam:2 \(400 document_parsing_exception: \[1:92\] failed to parse field \[canvas\]/.test(e.message),
    );
    assert.deepEqual(es.lines, [`PUT /${INDEX}`, `POST /${INDEX}/_bulk`, `DELETE /${INDEX}`]);
  });

  it('rebuild: items rejected for load (429) are sent again, alone', async () => {
    const es = new Cluster()
      .on('PUT', `/${INDEX}`, fixture('create-index.json'))
      .on('POST', `/${INDEX}/_bulk`, fixture('bulk-rejected.json'), true)
      .on('POST', `/${INDEX}/_bulk`, bulkOk)
      .on('PUT', `/${INDEX}/_settings`, fixture('acknowledged.json'))
      .on('GET', `/${INDEX}/_refresh`, fixture('refresh.json'))
      .on('GET', '/_alias/vankho', status(404, fixture('alias-missing.json')))
      .on('POST', '/_aliases', fixture('acknowledged.json'));
    await es.index({ bulk: { retryDelayMs: 0 } }).rebuild(async (sink) => {
      await sink.putRecord(RECORD);
      await sink.putPage(PAGE);
    });
    const bulks = es.requests.filter((r) => r.path.endsWith('/_bulk'));
    assert.lengthOf(bulks, 2);
    assert.deepEqual(bulks[1]!.body, [{ index: { _id: 'p:dai-nam:2', routing: 'dai-nam' } }, PAGE_SOURCE]);
    // No alias before: the swap only adds, and nothing is deleted.
    assert.deepEqual(es.requests.at(-1)!.body, { actions: [{ add: { index: INDEX, alias: 'vankho' } }] });
    assert.notInclude(es.lines, `DELETE /${INDEX}`);
  });

  it('search: a Vietnamese word and a Han run, for an anonymous reader', async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-response.json'));
    await es.index().search(request({ filters: { language: ['vi'], yearFrom: 1800, yearTo: 1900, hasText: true }, offset: 20, facets: true }));
    assert.deepEqual(es.lines, ['POST /vankho/_search']);
    assert.deepEqual(es.requests[0]!.querystring, {});
    assert.deepEqual(es.requests[0]!.body, {
      from: 20,
      size: 10,
      track_total_hits: true,
      _source: ['itemId', 'level', 'embargoUntil', 'libraries'],
      query: {
        bool: {
          filter: [
            { term: { doc: 'record' } },
            discoverable([], ['public', 'public-reduced']),
            { terms: { languages: ['vi'] } },
            { term: { hasText: true } },
            { range: { dateTo: { gte: 1800 } } },
            { range: { dateFrom: { lte: 1900 } } },
          ],
          must: [
            {
              bool: {
                should: [
                  { bool: { _name: 'record', should: [{ bool: { must: [recordClause('dai', 'đại'), recordClause('大 南', '大 南')] } }, DAI_NAM('title_r')], minimum_should_match: 1 } },
                  pagesPart(3, readable([], ['public', 'public-reduced'])),
                ],
                minimum_should_match: 1,
              },
            },
          ],
        },
      },
      sort: ['_score', { sortTitle: 'asc' }, { itemId: 'asc' }],
      aggs: FACET_AGGS,
    });
  });

  it("search: a librarian sees and reads everything under their libraries; an administrator is not filtered", async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-response.json'));
    await es.index().search(request({ scope: LIBRARIAN }));
    await es.index().search(request({ scope: ADMIN, pagesPerItem: 0 }));
    const [librarian, admin] = es.requests.map((r) => r.body.query.bool);
    const levels = ['public', 'public-reduced', 'registered'];
    assert.deepEqual(librarian.filter, [{ term: { doc: 'record' } }, discoverable(['huyen'], levels)]);
    assert.deepEqual(librarian.must[0].bool.should[1], pagesPart(3, readable(['huyen'], levels)));
    assert.deepEqual(admin.filter, [{ term: { doc: 'record' } }]);
    assert.deepEqual(admin.must[0].bool.should[1], pagesPart(0));
    assert.notProperty(es.requests[0]!.body, 'aggs', 'no facets asked: no aggregations');
  });

  it('search: one clause asks for the pages that have it, once', async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-item-response.json'));
    await es.index().search(request({ query: parseQuery('Đại'), scope: ADMIN }));
    assert.deepEqual(es.requests[0]!.body.query.bool.must[0].bool.should[1], {
      // đại is also a reading: pages with 大 (or another character read so) match too.
      bool: { _name: 'pages', must: [child(orReading({ bool: { must: [phrase('text_f', 'dai')], should: [phrase('text_x', 'đại')] } }, readingRun('text_r', 'Đại')), innerHits('page', 3))] },
    });
  });

  it('search: clauses found on different pages show the pages with any of them (search-response-any.json)', async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-response-any.json'));
    const found = await es.index().search(request({ query: parseQuery('lời chương') }));
    assert.deepEqual(found.items, [
      {
        itemId: 'so-hoa',
        recordMatched: false,
        pageHits: 2,
        pages: [
          { canvas: 1, text: 'Lời nói đầu\nThư viện tỉnh bắt đầu số hoá' },
          { canvas: 2, text: 'Chương một\nCác thư viện huyện gửi tài liệu' },
        ],
      },
    ]);

    // A page with both clauses: that page only, not the pages with either.
    const both = fixture('search-response-any.json');
    const hit = both.hits.hits[0];
    hit.inner_hits.page.hits = { total: { value: 1, relation: 'eq' }, max_score: null, hits: [hit.inner_hits['page-any'].hits.hits[1]] };
    const es2 = new Cluster().on('POST', '/vankho/_search', both);
    const [item] = (await es2.index().search(request({ query: parseQuery('lời chương') }))).items;
    assert.deepEqual([item!.pageHits, item!.pages.map((p) => p.canvas)], [1, [2]]);
  });

  it('search: an empty query lists under the access filter; sorts; paging stays inside the result window', async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-item-response.json'));
    const index = es.index();
    const empty = parseQuery('  ');
    await index.search(request({ query: empty }));
    await index.search(request({ query: empty, sort: 'date' }));
    await index.search(request({ sort: 'date-desc' }));
    await index.search(request({ sort: 'title', offset: 9995, limit: 10 }));
    await index.search(request({ offset: 10_000, limit: 10, facets: true }));
    const bodies = es.requests.map((r) => r.body);
    assert.deepEqual(bodies[0].query, { bool: { filter: [{ term: { doc: 'record' } }, discoverable([], ['public', 'public-reduced'])], must: [{ match_all: {} }] } });
    assert.deepEqual(bodies[0].sort, [{ sortTitle: 'asc' }, { itemId: 'asc' }]);
    assert.deepEqual(bodies[1].sort, [{ dateFrom: { order: 'asc', missing: '_last' } }, { sortTitle: 'asc' }, { itemId: 'asc' }]);
    assert.deepEqual(bodies[2].sort, [{ dateTo: { order: 'desc', missing: '_last' } }, { sortTitle: 'asc' }, { itemId: 'asc' }]);
    assert.deepEqual(bodies[3].sort, [{ sortTitle: 'asc' }, { itemId: 'asc' }]);
    assert.deepEqual([bodies[3].from, bodies[3].size], [9995, 5]);
    assert.deepEqual([bodies[4].from, bodies[4].size], [0, 0], 'past the window: counts and facets only');
    assert.deepEqual(bodies[4].aggs, FACET_AGGS);
  });

  it('search: nothing typed reaches Elasticsearch as syntax, and very long phrases stay under the clause limit', async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-item-response.json'));
    const index = es.index();
    await index.search(request({ query: parseQuery('title:"x OR y*" AND (z^2) ~ -đ \\ /a/') }));
    const phrases = (body: unknown) => [...JSON.stringify(body).matchAll(/"query":"([^"]*)"/g)].map((m) => m[1]!);
    const typed = phrases(es.requests[0]!.body);
    assert.isNotEmpty(typed);
    for (const p of typed) assert.match(p, /^[\p{L}\p{N}]+( [\p{L}\p{N}]+)*$/u, 'only tokens, separated by spaces');
    assert.includeMembers(typed, ['title', 'x or y', 'and', 'z', '2', 'd', 'đ', 'a']);

    // 1 000 Han characters, one phrase: every term of every phrase counts against max_clause_count (≥ 1024).
    // parseQuery keeps 32 of them; the adapter keeps its own budget for any caller (a query built here).
    const han = '大南國史演歌'.repeat(167).slice(0, 1000);
    await index.search(request({ query: { text: han, clauses: [{ tokens: tokenize(han) }] } }));
    const terms = phrases(es.requests[1]!.body).reduce((n, p) => n + p.split(' ').length, 0);
    assert.isAtMost(terms, 900);
    assert.isAtLeast(terms, 800, 'the budget is used, not thrown away');
    assert.notInclude(JSON.stringify(es.requests[1]!.body), '_x"', 'exact boosts are dropped first');
  });

  it('search: reads total, hits, named queries, inner hits and aggregations (search-response.json)', async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-response.json'));
    const found = await es.index().search(request({ scope: READER, facets: true }));
    assert.deepEqual(found, {
      total: 41,
      items: [
        {
          itemId: 'dai-nam',
          recordMatched: true,
          pageHits: 3,
          pages: [
            { canvas: 2, text: '大南國史演歌\nĐại Nam quốc sử diễn ca' },
            { canvas: 7, text: 'Đại Việt sử ký\n大南' },
          ],
        },
        { itemId: 'truyen-kieu', recordMatched: false, pageHits: 1, pages: [{ canvas: 14, text: 'Đại Nam 大南 trăm năm trong cõi người ta' }] },
        // Matched by its record only: the inner hits Elasticsearch returns anyway are not shown.
        { itemId: 'dia-ba', recordMatched: true, pageHits: 0, pages: [] },
      ],
      facets: {
        library: [
          { value: 'tinh', count: 30 },
          { value: 'huyen', count: 11 },
        ],
        collection: [
          { value: 'han-nom', count: 25 },
          { value: 'dia-ba', count: 16 },
        ],
        kind: [
          { value: 'manuscript', count: 38 },
          { value: 'map', count: 3 },
        ],
        language: [
          { value: 'vi', count: 40 },
          { value: 'lzh', count: 22 },
        ],
        script: [
          { value: 'nom', count: 27 },
          { value: 'latn', count: 14 },
        ],
        hasText: [
          { value: 'true', count: 35 },
          { value: 'false', count: 6 },
        ],
      },
      years: { min: 1802, max: 1945 },
    });
    // The same answer for an anonymous reader: the registered item's pages are not theirs to read.
    const anonymous = await es.index().search(request({ scope: ANONYMOUS }));
    assert.deepEqual(
      anonymous.items.map((i) => [i.itemId, i.pageHits, i.pages.length]),
      [
        ['dai-nam', 3, 2],
        ['truyen-kieu', 0, 0],
        ['dia-ba', 0, 0],
      ],
    );
    assert.deepEqual(anonymous.facets, {}, 'no facets asked');
    assert.isNull(anonymous.years);
    // Pages come from the page query having matched (matched_queries), not from inner hits alone: even
    // for an administrator, who may read everything, the record-only hit shows none.
    const admin = await es.index().search(request({ scope: ADMIN }));
    assert.deepEqual(admin.items.map((i) => [i.itemId, i.pageHits]), [['dai-nam', 3], ['truyen-kieu', 1], ['dia-ba', 0]]);
  });

  it('searchItem: pages of one item matching every clause, in canvas order, read back as PageDocs', async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-item-response.json'));
    const pages = await es.index().searchItem('dai-nam', parseQuery('"Đại Nam" 大南'), 20);
    assert.deepEqual(es.requests[0]!.querystring, { routing: 'dai-nam' });
    assert.deepEqual(es.requests[0]!.body, {
      size: 20,
      _source: ['itemId', 'canvas', 'imageId', 'language', 'text', 'lines'],
      query: {
        bool: {
          filter: [
            { term: { doc: 'page' } },
            { term: { itemId: 'dai-nam' } },
            // Every clause, or the query read as a run of readings (đại nam đại nam).
            orReading({ bool: { filter: [phrase('text_f', 'dai nam'), phrase('text_f', '大 南')] } }, readingRun('text_r', '"Đại Nam" 大南')),
          ],
        },
      },
      sort: [{ canvas: 'asc' }],
    });
    assert.deepEqual(pages, [
      { itemId: 'dai-nam', canvas: 2, imageId: 'dai-nam-002', language: 'vi-Hani', text: '大南國史演歌\nĐại Nam quốc sử diễn ca', lines: LINES },
      { itemId: 'dai-nam', canvas: 7, imageId: 'dai-nam-007', language: 'vi', text: 'Đại Việt sử ký\n大南', lines: [] },
    ]);
    assert.deepEqual(await es.index().searchItem('dai-nam', parseQuery(''), 20), [], 'an empty query asks nothing');
    assert.lengthOf(es.requests, 1);
  });

  it('pagesWithText: the canvases of one item\'s pages, canvas order, nothing but the canvas read back', async () => {
    // The same documented search response shape as searchItem's (its pages' canvases are 2 and 7).
    const es = new Cluster().on('POST', '/vankho/_search', fixture('search-item-response.json'));
    assert.deepEqual(await es.index().pagesWithText('dai-nam'), [2, 7]);
    assert.deepEqual(es.requests[0]!.querystring, { routing: 'dai-nam' });
    assert.deepEqual(es.requests[0]!.body, {
      size: 10_000,
      _source: ['canvas'],
      sort: [{ canvas: 'asc' }],
      query: { bool: { filter: [{ term: { doc: 'page' } }, { term: { itemId: 'dai-nam' } }] } },
    });
  });

  it('suggest: a terms aggregation on the words of one item, by folded prefix, summed per exact form', async () => {
    const es = new Cluster().on('POST', '/vankho/_search', fixture('suggest-response.json'));
    const index = es.index();
    const terms = await index.suggest('dai-nam', 'Thư', 3);
    assert.deepEqual(es.requests[0]!.querystring, { routing: 'dai-nam' });
    assert.deepEqual(es.requests[0]!.body, {
      size: 0,
      query: { bool: { filter: [{ term: { doc: 'page' } }, { term: { itemId: 'dai-nam' } }] } },
      aggs: { words: { terms: { field: 'words', include: 'thu[^|]*\\|.*', size: 10000, order: [{ _count: 'desc' }, { _key: 'asc' }] } } },
    });
    // thư: 2 × 3 pages + 1 × 1 page; thương: 4 pages once; thu and thủy: 2 (ties by term).
    assert.deepEqual(terms, [
      { term: 'thư', count: 7 },
      { term: 'thương', count: 4 },
      { term: 'thu', count: 2 },
    ]);
    await index.suggest('dai-nam', 'a.b*|(c', 3);
    assert.strictEqual(es.requests[1]!.body.aggs.words.terms.include, 'a\\.b\\*\\|\\(c[^|]*\\|.*', 'regular-expression characters are literal');
    assert.deepEqual(await index.suggest('dai-nam', ' ', 3), []);
    assert.lengthOf(es.requests, 2, 'an empty prefix asks nothing');
  });

  it('getPage reads a page by id with its routing; a missing page (404, found: false) is null', async () => {
    const es = new Cluster().on('GET', '/vankho/_doc/p:dai-nam:2', fixture('get-page.json')).on('GET', '/vankho/_doc/p:dai-nam:99', status(404, fixture('get-404.json')));
    const index = es.index();
    assert.deepEqual(await index.getPage('dai-nam', 2), { itemId: 'dai-nam', canvas: 2, imageId: 'dai-nam-002', language: 'vi-Hani', text: '大南國史演歌\nĐại Nam quốc sử diễn ca', lines: LINES });
    assert.isNull(await index.getPage('dai-nam', 99));
    assert.deepEqual(es.requests[0]!.querystring, { routing: 'dai-nam', _source_includes: 'itemId,canvas,imageId,language,text,lines' });
  });

  it('stats counts records and pages on the join field', async () => {
    const es = new Cluster().on('POST', '/vankho/_count', (r: Req) => fixture(r.body.query.term.doc === 'record' ? 'count-records.json' : 'count-pages.json'));
    assert.deepEqual(await es.index().stats(), { records: 120, pages: 4310 });
    assert.sameDeepMembers(
      es.requests.map((r) => r.body),
      [{ query: { term: { doc: 'record' } } }, { query: { term: { doc: 'page' } } }],
    );
  });

  it('a cluster that cannot be reached, times out, fails (5xx) or is overloaded (429) is a 503; our bad requests are not', async () => {
    const cases: [unknown, RegExp][] = [
      [new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200'), /Elasticsearch cannot be reached/],
      [new errors.TimeoutError('Request timed out'), /Elasticsearch did not answer in time/],
      [status(503, fixture('error-503.json')), /Elasticsearch failed \(503\)/],
      [status(429, { error: { root_cause: [], type: 'es_rejected_execution_exception', reason: 'rejected' }, status: 429 }), /Elasticsearch is overloaded \(429\)/],
    ];
    for (const [answer, message] of cases) {
      const es = new Cluster().on('POST', '/vankho/_search', answer);
      await rejects(es.index().search(request()), (e: unknown) => e instanceof ServiceUnavailableError && e.status === 503 && message.test(e.publicMessage));
    }
    const es = new Cluster().on('POST', '/vankho/_search', status(400, { error: { root_cause: [], type: 'parsing_exception', reason: 'unknown query [macth]' }, status: 400 }));
    await rejects(es.index().search(request()), (e: unknown) => e instanceof errors.ResponseError && e.statusCode === 400 && !(e instanceof ServiceUnavailableError));
    const down = new Cluster().on('PUT', '/vankho/_doc/r:dai-nam', new errors.ConnectionError('socket hang up'));
    await rejects(down.index().putRecord(RECORD), ServiceUnavailableError);
  });

  it('dropAll deletes the indices behind the alias and those an interrupted rebuild left, nothing else', async () => {
    const es = new Cluster()
      .on('GET', '/vankho-*', fixture('get-index.json'))
      .on('GET', '/_alias/vankho', fixture('alias-get.json'))
      .on('DELETE', `/${OLD},${INDEX},vankho-20241231000000000`, fixture('acknowledged.json'));
    await es.index().dropAll();
    assert.deepEqual(es.lines, ['GET /vankho-*', 'GET /_alias/vankho', `DELETE /${OLD},${INDEX},vankho-20241231000000000`]);
    assert.deepEqual(es.requests[0]!.querystring, { allow_no_indices: 'true', expand_wildcards: 'open,closed' });
  });

  it('fromConfig: API key or basic authentication, the CA file, the request timeout', async () => {
    const ca = path.join(await tempDir(), 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const base = { url: 'https://es.example.vn:9200', index: 'vankho', username: '', password: '', apiKey: '', caFile: '', requestTimeoutMs: 30_000 };
    const keyed = ElasticsearchIndex.clientOptions({ ...base, apiKey: 'aWQ6a2V5', username: 'elastic', password: 'x', caFile: ca });
    assert.deepEqual(keyed.auth, { apiKey: 'aWQ6a2V5' });
    assert.strictEqual(String(keyed.tls?.ca), readFileSync(ca, 'utf8'));
    assert.strictEqual(keyed.requestTimeout, 30_000);
    assert.strictEqual(keyed.node, 'https://es.example.vn:9200');
    assert.deepEqual(ElasticsearchIndex.clientOptions({ ...base, username: 'elastic', password: 'mật khẩu' }).auth, { username: 'elastic', password: 'mật khẩu' });
    const plain = ElasticsearchIndex.clientOptions({ ...base, requestTimeoutMs: 500 });
    assert.isUndefined(plain.auth);
    assert.isUndefined(plain.tls);
    assert.strictEqual(plain.requestTimeout, 500);
    assert.throws(() => ElasticsearchIndex.clientOptions({ ...base, caFile: path.join(path.dirname(ca), 'missing.pem') }), /search\.elasticsearch\.caFile: cannot read .*missing\.pem/);
    const index = ElasticsearchIndex.fromConfig({ ...base, index: 'thu-vien' });
    assert.strictEqual(index.alias, 'thu-vien');
    await index.close();
    assert.throws(() => ElasticsearchIndex.fromConfig({ ...base, url: '' }), /url is empty/);
  });
});
