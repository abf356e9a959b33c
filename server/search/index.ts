/**
 * SearchIndex: the full text of pages, written by ingest and read by search. This is the seam; the
 * search work adds Vietnamese folding, Han n-grams and Elasticsearch behind it.
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
  putPage(page: PageText): void;
  /** Removes pages of an item beyond `pages` (after an item shrinks). */
  trimItem(itemId: string, pages: number): void;
  getPage(itemId: string, canvas: number): PageText | null;
  search(query: string, opts?: { itemId?: string; limit?: number }): SearchHit[];
}
