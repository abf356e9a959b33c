/**
 * SearchIndex: the seam between the archive and a search backend. It holds two kinds of document:
 *
 * - a **record** per item: its description in every script (title, subjects, description, call
 *   number, holding library and collection), the facet values, and the access fields (effective level,
 *   embargo, the owning library and those above it) that the query filters on;
 * - a **page** per canvas with recognised text: the text and its lines with word boxes (for IIIF
 *   Content Search boxes and the page text view).
 *
 * Writers: ingest (pages, then the record), the archive service after catalogue edits (records; a level
 * changed on a library or collection re-puts the records under it), `vankho reindex` (`rebuild`).
 * Readers: the archive service only, which builds the `AccessScope` from the access policy — a backend
 * never decides access, it applies the scope in its query, before ranking, counting and facets.
 *
 * Queries arrive parsed (`query.ts`): clauses of tokens with exact and folded forms; backends match the
 * folded forms and rank exact ones higher. Records that match rank above pages that match (field weights:
 * title > subjects/description > other fields > page text).
 *
 * Backends: SqliteSearchIndex (embedded, FTS5 in the catalogue database: sqlite-index.ts) and
 * ElasticsearchIndex (elasticsearch/). Errors: a backend that cannot be reached throws
 * `ServiceUnavailableError` (503); nothing a reader types can make a backend throw.
 */
import type { AccessLevel } from '../auth/policy.js';
import type { OcrLine } from '../storage/layout.js';
import type { ParsedQuery } from './query.js';

export interface RecordAccess {
  readonly level: AccessLevel;
  /** YYYY-MM-DD: content closed to all but staff before that day. */
  readonly embargoUntil: string | null;
  /** The owning library, then the libraries above it. */
  readonly libraries: readonly string[];
}

/** What is searched and filtered about an item. Text fields may hold any script. */
export interface RecordDoc {
  readonly itemId: string;
  readonly library: string;
  /** The item's collection, then the collections above it. */
  readonly collections: readonly string[];
  readonly kind: string;
  readonly languages: readonly string[];
  readonly scripts: readonly string[];
  readonly dateFrom: number | null;
  readonly dateTo: number | null;
  readonly access: RecordAccess;
  /** Whether any page has recognised text. */
  readonly hasText: boolean;
  /** Title in every form: Vietnamese, original script, English, alternative titles. */
  readonly title: readonly string[];
  readonly subjects: readonly string[];
  /** Summary (vi, en), creators, places, extent. */
  readonly description: readonly string[];
  /** Call number, holding library and collection names. */
  readonly other: readonly string[];
  /** Folded Vietnamese title: the title sort key. */
  readonly sortTitle: string;
  readonly updatedAt: string;
}

export interface PageDoc {
  readonly itemId: string;
  /** 1-based canvas position. */
  readonly canvas: number;
  readonly imageId: string;
  readonly language: string;
  /** Lines joined with "\n". */
  readonly text: string;
  /** Lines with word boxes, in canvas pixels (stored, not indexed). */
  readonly lines: readonly OcrLine[];
  /**
   * Read back only, when the backend keeps it: the text's folded tokens separated by spaces, with a
   * "\n" token where a line ends. Counting hits from it spares Content Search a tokenisation per page.
   */
  readonly folded?: string;
}

/** What the reader may see, from the access policy (`Archive.searchScope`). */
export interface AccessScope {
  /** Levels whose records (titles, descriptions) the reader may discover. */
  readonly discover: readonly AccessLevel[];
  /** Levels whose content (page text, snippets) the reader may read, if not under embargo. */
  readonly read: readonly AccessLevel[];
  /** Libraries whose staff the reader is (everything under them is visible and readable); 'all' for admin. */
  readonly staffOf: 'all' | readonly string[];
  /** YYYY-MM-DD: embargoes ending on or before it are over. */
  readonly today: string;
}

export const FACETS = ['library', 'collection', 'kind', 'language', 'script', 'hasText'] as const;
export type Facet = (typeof FACETS)[number];

export interface SearchFilters {
  readonly library?: readonly string[];
  /** Items in these collections or any collection under them. */
  readonly collection?: readonly string[];
  readonly kind?: readonly string[];
  readonly language?: readonly string[];
  readonly script?: readonly string[];
  /** Items whose date range overlaps [from, to] (years). */
  readonly yearFrom?: number;
  readonly yearTo?: number;
  readonly hasText?: boolean;
}

export type SearchSort = 'relevance' | 'date' | 'date-desc' | 'title';

export interface SearchRequest {
  readonly query: ParsedQuery;
  readonly filters: SearchFilters;
  readonly sort: SearchSort;
  readonly offset: number;
  readonly limit: number;
  /** Count facet values over all matching items (after access, before paging), and the years; else both empty. */
  readonly facets: boolean;
  /** Matched pages to return per item (for snippets), in canvas order. */
  readonly pagesPerItem: number;
  readonly scope: AccessScope;
}

export interface PageMatch {
  readonly canvas: number;
  readonly text: string;
}

export interface ItemMatch {
  readonly itemId: string;
  /** Whether the record (not only pages) matched. */
  readonly recordMatched: boolean;
  /** Pages of the item whose text matches (readable ones only). */
  readonly pageHits: number;
  /** Up to `pagesPerItem` matching pages, first pages first (canvas order). */
  readonly pages: readonly PageMatch[];
}

export interface FacetCount {
  readonly value: string;
  readonly count: number;
}

export interface SearchResponse {
  /** Matching items the reader may discover. */
  readonly total: number;
  readonly items: readonly ItemMatch[];
  /** Empty when not asked for. */
  readonly facets: Partial<Record<Facet, readonly FacetCount[]>>;
  /** Earliest and latest year among matching items (for the date range filter); null when none is dated. */
  readonly years: { readonly min: number; readonly max: number } | null;
}

export interface TermCount {
  /** As written in the text (exact form). */
  readonly term: string;
  readonly count: number;
}

/** Writes of a rebuild: the new index replaces the old one only when `rebuild`'s fill resolves. */
export interface IndexSink {
  putRecord(doc: RecordDoc): Promise<void>;
  putPage(doc: PageDoc): Promise<void>;
}

export interface SearchIndex extends IndexSink {
  /** Adds or replaces an item's record (also after its access changed). */
  putRecord(doc: RecordDoc): Promise<void>;
  /** Adds or replaces a page's text. */
  putPage(doc: PageDoc): Promise<void>;
  /** Removes pages of an item beyond `pages` (after an item shrinks). */
  trimItem(itemId: string, pages: number): Promise<void>;
  /** Removes an item's record and pages. */
  removeItem(itemId: string): Promise<void>;
  getPage(itemId: string, canvas: number): Promise<PageDoc | null>;
  /** Canvases of the item that have text, ascending (cheap: no text read). */
  pagesWithText(itemId: string): Promise<number[]>;
  /** Items matching the query (records or readable pages), filtered by scope, then by filters. */
  search(req: SearchRequest): Promise<SearchResponse>;
  /**
   * Pages of one item whose text matches, in canvas order (IIIF Content Search). The caller has checked
   * that the reader may read the item.
   */
  searchItem(itemId: string, query: ParsedQuery, limit: number): Promise<PageDoc[]>;
  /** Words of an item's pages whose folded form starts with `prefix` (folded: the caller folds), most frequent first (autocomplete); [] for an empty prefix. */
  suggest(itemId: string, prefix: string, limit: number): Promise<TermCount[]>;
  /**
   * Builds a new index from what `fill` writes and swaps it in when fill resolves; on a throw the old
   * index stays. Searches by other processes (and, on Elasticsearch, by this one) see the old index
   * until then. The embedded backend fills in one transaction on its own connection: nothing else may
   * search through this instance meanwhile (the server rebuilds before it listens; `vankho reindex`
   * runs in its own process), and writers elsewhere wait (then fail with SQLITE_BUSY, answered 503).
   */
  rebuild(fill: (sink: IndexSink) => Promise<void>): Promise<void>;
  /** Counts, for `vankho reindex` and health. */
  stats(): Promise<{ records: number; pages: number }>;
}
