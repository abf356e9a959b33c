/** The embedded SearchIndex: SQLite FTS5 (unicode61 tokenizer, diacritics kept for now). */
import type { Db, Migration } from '../storage/sqlite.js';
import type { PageText, SearchHit, SearchIndex } from './index.js';

export const SEARCH_MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    name: 'page text index',
    sql: `
      CREATE TABLE page_text (
        item_id TEXT NOT NULL,
        canvas INTEGER NOT NULL,
        image_id TEXT NOT NULL,
        language TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (item_id, canvas)
      );
      CREATE VIRTUAL TABLE page_text_fts USING fts5(text, content='page_text', content_rowid='rowid', tokenize='unicode61');
      CREATE TRIGGER page_text_ai AFTER INSERT ON page_text BEGIN
        INSERT INTO page_text_fts(rowid, text) VALUES (new.rowid, new.text);
      END;
      CREATE TRIGGER page_text_ad AFTER DELETE ON page_text BEGIN
        INSERT INTO page_text_fts(page_text_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
      END;
      CREATE TRIGGER page_text_au AFTER UPDATE ON page_text BEGIN
        INSERT INTO page_text_fts(page_text_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO page_text_fts(rowid, text) VALUES (new.rowid, new.text);
      END;
    `,
  },
];

/** A user's words as an FTS5 query of quoted terms (no FTS syntax can be injected). */
function ftsQuery(q: string): string {
  return q
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => `"${t.replace(/"/g, '""')}"`)
    .join(' ');
}

export class SqliteSearchIndex implements SearchIndex {
  constructor(private readonly db: Db) {}

  async putPage(p: PageText): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO page_text (item_id, canvas, image_id, language, text) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(item_id, canvas) DO UPDATE SET image_id = excluded.image_id, language = excluded.language, text = excluded.text`,
      )
      .run(p.itemId, p.canvas, p.imageId, p.language, p.text);
  }

  async trimItem(itemId: string, pages: number): Promise<void> {
    this.db.prepare('DELETE FROM page_text WHERE item_id = ? AND canvas > ?').run(itemId, pages);
  }

  async getPage(itemId: string, canvas: number): Promise<PageText | null> {
    const row = this.db
      .prepare('SELECT item_id AS itemId, canvas, image_id AS imageId, language, text FROM page_text WHERE item_id = ? AND canvas = ?')
      .get(itemId, canvas) as PageText | undefined;
    return row ?? null;
  }

  async search(query: string, opts: { itemId?: string; limit?: number } = {}): Promise<SearchHit[]> {
    const match = ftsQuery(query);
    if (!match) return [];
    return this.db
      .prepare(
        `SELECT p.item_id AS itemId, p.canvas, snippet(page_text_fts, 0, '[', ']', '…', 12) AS snippet
         FROM page_text_fts f JOIN page_text p ON p.rowid = f.rowid
         WHERE page_text_fts MATCH @match ${opts.itemId ? 'AND p.item_id = @item' : ''}
         ORDER BY rank LIMIT @limit`,
      )
      .all({ match, item: opts.itemId ?? null, limit: opts.limit ?? 50 }) as SearchHit[];
  }
}
