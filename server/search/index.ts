/**
 * SearchIndex: the full text of pages, written by ingest and read by search. This is the seam; the
 * search work adds Vietnamese folding, Han n-grams and Elasticsearch behind it.
 * Async, so that a remote backend can stand behind it.
 * Backends: SqliteSearchIndex (embedded, FTS5 in the catalogue database).
 */
export interface PageText {
  readonly itemId: string;
  /** 1-based canvas position. */
  readonly canvas: number;
  readonly imageId: string;
  readonly text: string;
  readonly language: string;
}

export interface SearchHit {
  readonly itemId: string;
  readonly canvas: number;
  readonly snippet: string;
}

export interface SearchIndex {
  /** Adds or replaces a page's text. */
  putPage(page: PageText): Promise<void>;
  /** Removes pages of an item beyond `pages` (after an item shrinks). */
  trimItem(itemId: string, pages: number): Promise<void>;
  getPage(itemId: string, canvas: number): Promise<PageText | null>;
  /** Unfiltered: callers go through the archive service, which filters hits by the reader's access. */
  search(query: string, opts?: { itemId?: string; limit?: number }): Promise<SearchHit[]>;
}
