/**
 * ElasticsearchIndex: the SearchIndex on an Elasticsearch 8.x or 9.x cluster (docs/elasticsearch.md).
 *
 * Searches read an alias (`search.elasticsearch.index`); the index behind it is `<alias>-<timestamp>`.
 * `ensureIndex` creates the first one at start; `rebuild` fills a new one and moves the alias to it in
 * one `_aliases` call, so searches never see a partial index.
 *
 * Single writes wait for the next refresh (`refresh: 'wait_for'`) by default, so that a search after a
 * write sees it, as with the embedded index; `{ refresh: false }` leaves it to the refresh interval
 * (about a second). Rebuilds write with the bulk API and refresh once at the end.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, type ClientOptions, type estypes } from '@elastic/elasticsearch';
import type { Config } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { Facet, FacetCount, IndexSink, PageDoc, RecordDoc, SearchIndex, SearchRequest, SearchResponse, TermCount } from '../index.js';
import type { ParsedQuery } from '../query.js';
import { BULK_DEFAULTS, BulkWriter, type BulkOptions } from './bulk.js';
import { call, isNotFound } from './errors.js';
import { JOIN, MAPPINGS, MAPPING_VERSION, PAGE, PAGE_SOURCE, RECORD, SETTINGS, isVersionOf, pageFromSource, pageId, pageSource, recordId, recordSource, versionedName } from './mapping.js';
import { FACET_FIELDS, PAGES_ANY, PAGES_MATCH, RECORD_MATCH, mayRead, searchBody, searchItemBody, suggestBody } from './queries.js';

export { BulkWriteError } from './bulk.js';

export interface ElasticsearchIndexOptions {
  client: Client;
  /** The alias searches read and single writes go to. */
  alias: string;
  /** Refresh policy of single writes (default 'wait_for': visible to the next search). */
  refresh?: 'wait_for' | false;
  /** Clock for index names (tests). */
  now?: () => Date;
  bulk?: Partial<BulkOptions>;
}

interface HitSource {
  itemId?: string;
  level?: string;
  embargoUntil?: string | null;
  libraries?: string[];
}

const totalOf = (t: estypes.SearchTotalHits | number | undefined) => (typeof t === 'number' ? t : (t?.value ?? 0));

/** Pages of one item listed at most (the default result window; ingest allows 2 000 pages a PDF). */
const MAX_PAGES_LISTED = 10_000;

export class ElasticsearchIndex implements SearchIndex {
  readonly client: Client;
  readonly alias: string;
  private readonly refreshPolicy: 'wait_for' | false;
  private readonly now: () => Date;
  private readonly bulkOptions: BulkOptions;
  /** Time of the last index name made here: two in the same millisecond must still differ. */
  private lastStamp = 0;

  constructor(opts: ElasticsearchIndexOptions) {
    this.client = opts.client;
    this.alias = opts.alias;
    this.refreshPolicy = opts.refresh ?? 'wait_for';
    this.now = opts.now ?? (() => new Date());
    this.bulkOptions = { ...BULK_DEFAULTS, ...opts.bulk };
  }

  /** A client from `search.elasticsearch`: basic auth or an API key, a CA file, the request timeout. */
  static clientOptions(cfg: Config['search']['elasticsearch']): ClientOptions {
    if (!cfg.url) throw new Error('search.elasticsearch.url is empty: the embedded index is in use');
    const opts: ClientOptions = { node: cfg.url, requestTimeout: cfg.requestTimeoutMs };
    if (cfg.apiKey) opts.auth = { apiKey: cfg.apiKey };
    else if (cfg.username) opts.auth = { username: cfg.username, password: cfg.password };
    if (cfg.caFile) {
      try {
        opts.tls = { ca: readFileSync(path.resolve(cfg.caFile)) };
      } catch (err) {
        throw new ConfigError([`search.elasticsearch.caFile: cannot read ${cfg.caFile} (${(err as Error).message})`]);
      }
    }
    return opts;
  }

  static fromConfig(cfg: Config['search']['elasticsearch']): ElasticsearchIndex {
    return new ElasticsearchIndex({ client: new Client(ElasticsearchIndex.clientOptions(cfg)), alias: cfg.index });
  }

  private newIndexName(): string {
    this.lastStamp = Math.max(this.now().getTime(), this.lastStamp + 1);
    return versionedName(this.alias, new Date(this.lastStamp));
  }

  /** Closes the client's connections (at shutdown). */
  async close(): Promise<void> {
    await this.client.close();
  }

  /** Creates the first index behind the alias when there is no alias yet; returns its name, or null. */
  async ensureIndex(): Promise<string | null> {
    if (await call(() => this.client.indices.existsAlias({ name: this.alias }))) return null;
    const index = this.newIndexName();
    await call(() => this.client.indices.create({ index, aliases: { [this.alias]: {} }, settings: SETTINGS, mappings: MAPPINGS }));
    return index;
  }

  /**
   * Whether the index behind the alias was made with another mapping version (`_meta.vankho.mapping`):
   * then `vankho reindex` builds one with this version. (An index `ensureIndex` just created is empty
   * and needs filling too: it returns its name.)
   */
  async needsRebuild(): Promise<boolean> {
    const found = await call(() => this.client.indices.getMapping({ index: this.alias }));
    const versions = Object.values(found).map((m) => (m.mappings._meta as { vankho?: { mapping?: number } } | undefined)?.vankho?.mapping);
    return versions.length === 0 || versions.some((v) => v !== MAPPING_VERSION);
  }

  /** The indices the alias points to (none when it does not exist). */
  async aliasIndices(): Promise<string[]> {
    try {
      return Object.keys(await call(() => this.client.indices.getAlias({ name: this.alias })));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  /** Deletes the indices behind the alias and any left by an interrupted rebuild (tests' clean-up). */
  async dropAll(): Promise<void> {
    const found = await call(() => this.client.indices.get({ index: `${this.alias}-*`, allow_no_indices: true, expand_wildcards: ['open', 'closed'] }));
    const names = [...new Set([...(await this.aliasIndices()), ...Object.keys(found).filter((i) => isVersionOf(this.alias, i))])];
    if (names.length > 0) await call(() => this.client.indices.delete({ index: names, ignore_unavailable: true }));
  }

  async putRecord(doc: RecordDoc): Promise<void> {
    await call(() =>
      this.client.index({ index: this.alias, id: recordId(doc.itemId), routing: doc.itemId, document: recordSource(doc), refresh: this.refreshPolicy }),
    );
  }

  async putPage(doc: PageDoc): Promise<void> {
    await call(() =>
      this.client.index({ index: this.alias, id: pageId(doc.itemId, doc.canvas), routing: doc.itemId, document: pageSource(doc), refresh: this.refreshPolicy }),
    );
  }

  async trimItem(itemId: string, pages: number): Promise<void> {
    await this.deleteWhere(itemId, [{ term: { [JOIN]: PAGE } }, { term: { itemId } }, { range: { canvas: { gt: pages } } }]);
  }

  async removeItem(itemId: string): Promise<void> {
    await this.deleteWhere(itemId, [{ term: { itemId } }]);
  }

  private async deleteWhere(routing: string, filter: estypes.QueryDslQueryContainer[]): Promise<void> {
    await call(() =>
      this.client.deleteByQuery({ index: this.alias, routing, conflicts: 'proceed', refresh: this.refreshPolicy !== false, query: { bool: { filter } } }),
    );
  }

  async getPage(itemId: string, canvas: number): Promise<PageDoc | null> {
    try {
      const res = await call(() =>
        this.client.get<Record<string, unknown>>({ index: this.alias, id: pageId(itemId, canvas), routing: itemId, _source_includes: PAGE_SOURCE }),
      );
      return res.found && res._source ? pageFromSource(res._source) : null;
    } catch (err) {
      // A missing document answers 404 with `found: false`; a missing index is an error.
      if (isNotFound(err) && (err as { body?: { found?: boolean } }).body?.found === false) return null;
      throw err;
    }
  }

  async search(req: SearchRequest): Promise<SearchResponse> {
    const res = await call(() => this.client.search<HitSource>({ index: this.alias, ...searchBody(req) }));
    const items = res.hits.hits.map((hit) => {
      const src = hit._source ?? {};
      const named = Array.isArray(hit.matched_queries) ? hit.matched_queries : Object.keys(hit.matched_queries ?? {});
      // Pages only when the page part matched (the read condition holds) and, again here, the record says so.
      const readable = named.includes(PAGES_MATCH) && mayRead(req.scope, src);
      // Pages with every clause; when the clauses were found on different pages, pages with any.
      const all = hit.inner_hits?.[PAGE]?.hits;
      const inner = !readable ? undefined : all && totalOf(all.total) > 0 ? all : (hit.inner_hits?.[PAGES_ANY]?.hits ?? all);
      return {
        itemId: src.itemId ?? String(hit._id).replace(/^r:/, ''),
        // An empty query lists records without matching them (as the embedded index says).
        recordMatched: named.includes(RECORD_MATCH),
        pageHits: inner ? totalOf(inner.total) : 0,
        pages: (inner?.hits ?? []).map((p) => ({ canvas: Number(p._source?.canvas), text: String(p._source?.text ?? '') })),
      };
    });
    const aggs = (res.aggregations ?? {}) as Record<string, { buckets?: { key: string | number; key_as_string?: string; doc_count: number }[]; value?: number | null }>;
    const facets: Partial<Record<Facet, FacetCount[]>> = {};
    if (req.facets) {
      for (const name of Object.keys(FACET_FIELDS) as Facet[]) {
        facets[name] = (aggs[name]?.buckets ?? []).map((b) => ({ value: b.key_as_string ?? String(b.key), count: b.doc_count }));
      }
    }
    const min = aggs.years_min?.value;
    const max = aggs.years_max?.value;
    const years = req.facets && typeof min === 'number' && typeof max === 'number' ? { min, max } : null;
    return { total: totalOf(res.hits.total), items, facets, years };
  }

  async pagesWithText(itemId: string): Promise<number[]> {
    const res = await call(() =>
      this.client.search<{ canvas: number }>({
        index: this.alias,
        routing: itemId,
        size: MAX_PAGES_LISTED,
        _source: ['canvas'],
        sort: [{ canvas: 'asc' }],
        query: { bool: { filter: [{ term: { [JOIN]: PAGE } }, { term: { itemId } }] } },
      }),
    );
    return res.hits.hits.flatMap((h) => (h._source ? [h._source.canvas] : []));
  }

  async searchItem(itemId: string, query: ParsedQuery, limit: number): Promise<PageDoc[]> {
    if (query.clauses.length === 0 || limit <= 0) return [];
    const res = await call(() => this.client.search<Record<string, unknown>>({ index: this.alias, ...searchItemBody(itemId, query, limit) }));
    return res.hits.hits.flatMap((h) => (h._source ? [pageFromSource(h._source)] : []));
  }

  /** Occurrences on the item's pages, summed per exact form: each bucket is `folded|exact|n` on `doc_count` pages. */
  async suggest(itemId: string, prefix: string, limit: number): Promise<TermCount[]> {
    if (limit <= 0 || prefix.trim() === '') return [];
    const res = await call(() => this.client.search({ index: this.alias, ...suggestBody(itemId, prefix) }));
    const buckets = (res.aggregations?.words as { buckets?: { key: string; doc_count: number }[] } | undefined)?.buckets ?? [];
    const counts = new Map<string, number>();
    for (const b of buckets) {
      const m = /^[^|]*\|(.+)\|(\d+)$/.exec(b.key);
      if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + b.doc_count * Number(m[2]));
    }
    return [...counts]
      .map(([term, count]) => ({ term, count }))
      .sort((a, b) => b.count - a.count || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0))
      .slice(0, limit);
  }

  async rebuild(fill: (sink: IndexSink) => Promise<void>): Promise<void> {
    const index = this.newIndexName();
    // No refreshes while filling: nothing searches the new index before the swap.
    await call(() => this.client.indices.create({ index, settings: { ...SETTINGS, refresh_interval: '-1' }, mappings: MAPPINGS }));
    let old: string[];
    try {
      const writer = new BulkWriter(this.client, index, this.bulkOptions);
      await fill(writer);
      await writer.flush();
      // Back to the default interval (null resets the setting), then everything written becomes visible.
      await call(() => this.client.indices.putSettings({ index, settings: { index: { refresh_interval: null as unknown as string } } }));
      await call(() => this.client.indices.refresh({ index }));
      old = (await this.aliasIndices()).filter((i) => i !== index);
      // One call: searches see the old index, then the new one, never neither.
      await call(() =>
        this.client.indices.updateAliases({ actions: [...old.map((i) => ({ remove: { index: i, alias: this.alias } })), { add: { index, alias: this.alias } }] }),
      );
    } catch (err) {
      await this.client.indices.delete({ index }).catch(() => undefined);
      throw err;
    }
    // The swap is done; an old index that cannot be deleted now is only disk (docs/elasticsearch.md).
    if (old.length > 0) await this.client.indices.delete({ index: old }).catch(() => undefined);
  }

  async stats(): Promise<{ records: number; pages: number }> {
    const count = (relation: string) => call(() => this.client.count({ index: this.alias, query: { term: { [JOIN]: relation } } }));
    const [records, pages] = await Promise.all([count(RECORD), count(PAGE)]);
    return { records: records.count, pages: pages.count };
  }
}
