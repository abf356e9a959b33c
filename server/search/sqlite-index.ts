/**
 * The embedded SearchIndex: SQLite FTS5 in the catalogue database.
 *
 * FTS5's own folding falls short for Vietnamese and Han (`remove_diacritics` keeps `đ`; a run of Han is
 * one token), so text is tokenised in the application (fold.ts) and written as two columns per field:
 * `*_x` (exact: diacritics kept) and `*_f` (folded), tokens separated by spaces, each Han code point a
 * token. A query clause matches the folded column; the same clause on the exact column adds to the
 * score, so exact-diacritic matches rank first. The FTS tables are contentless (the text is kept once,
 * in search_page / search_record).
 *
 * Reads run as one synchronous block per call (better-sqlite3), so the per-query temporary table of
 * matching items is never seen by another query.
 */
import type { Statement } from 'better-sqlite3';
import type { Db, Migration } from '../storage/sqlite.js';
import { indexForm, tokenize } from './fold.js';
import type { Facet, FacetCount, IndexSink, PageDoc, RecordDoc, SearchIndex, SearchRequest, SearchResponse, TermCount } from './index.js';
import { FACETS } from './index.js';
import type { ParsedQuery } from './query.js';
import { accessSql, filterSql, type Params } from './sqlite-sql.js';

const FTS = "content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'";
const RECORD_FIELDS = ['title', 'subjects', 'description', 'other'] as const;
/** bm25 weights per column (exact, folded) of each record field: title > subjects/description > other. */
const RECORD_WEIGHTS = [10, 6, 4, 2.5, 3, 2, 1.5, 1];
/** A page-text match counts for less than any record field. */
const PAGE_WEIGHT = 0.3;

export const SEARCH_MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    name: 'page text index',
    sql: `
      CREATE TABLE page_text (item_id TEXT NOT NULL, canvas INTEGER NOT NULL, image_id TEXT NOT NULL, language TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (item_id, canvas));
      CREATE VIRTUAL TABLE page_text_fts USING fts5(text, content='page_text', content_rowid='rowid', tokenize='unicode61');
    `,
  },
  {
    version: 7,
    name: 'search: records and pages, folded and exact, Han per code point',
    // The old page index cannot be converted in SQL (folding is the application's): it is dropped and
    // `search_meta.rebuild` asks the server to rebuild the index from the catalogue and stored OCR.
    sql: `
      DROP TRIGGER IF EXISTS page_text_ai; DROP TRIGGER IF EXISTS page_text_ad; DROP TRIGGER IF EXISTS page_text_au;
      DROP TABLE IF EXISTS page_text_fts; DROP TABLE IF EXISTS page_text;
      CREATE TABLE search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO search_meta (key, value) VALUES ('rebuild', 'needed');
      CREATE TABLE search_record (
        rid INTEGER PRIMARY KEY,
        item_id TEXT NOT NULL UNIQUE,
        library TEXT NOT NULL,
        level TEXT NOT NULL,
        embargo_until TEXT,
        date_from INTEGER,
        date_to INTEGER,
        sort_title TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      -- Facet and filter values, several per record: library, in-library (the owner and those above),
      -- collection, in-collection (the collection and those above), kind, language, script, hasText.
      CREATE TABLE search_value (facet TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (facet, value, rid)) WITHOUT ROWID;
      CREATE INDEX search_value_rid ON search_value (rid);
      CREATE VIRTUAL TABLE search_record_fts USING fts5(title_x, title_f, subjects_x, subjects_f, description_x, description_f, other_x, other_f, ${FTS});
      CREATE TABLE search_page (
        pid INTEGER PRIMARY KEY,
        item_id TEXT NOT NULL,
        canvas INTEGER NOT NULL,
        image_id TEXT NOT NULL,
        language TEXT NOT NULL,
        text TEXT NOT NULL,
        lines TEXT NOT NULL,
        UNIQUE (item_id, canvas)
      );
      CREATE VIRTUAL TABLE search_page_fts USING fts5(x, f, ${FTS});
      -- Words of an item's pages for autocomplete, recounted when its record is put after page changes.
      CREATE TABLE search_term (item_id TEXT NOT NULL, folded TEXT NOT NULL, term TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (item_id, folded, term)) WITHOUT ROWID;
      CREATE TABLE search_dirty (item_id TEXT PRIMARY KEY);
    `,
  },
];

/** An FTS5 string literal: tokens only (letters, digits, marks, Han), quotes doubled all the same. */
const phrase = (tokens: readonly string[]) => `"${tokens.join(' ').replace(/"/g, '""')}"`;

/**
 * The FTS5 expression of a query over the given fields: every clause must match a folded column; the
 * exact column is OR-ed in so that bm25 scores exact matches higher (an exact match implies a folded one).
 */
function ftsExpression(q: ParsedQuery, fields: readonly string[]): string {
  const cols = (suffix: string) => `{${fields.map((f) => (f ? `${f}_${suffix}` : suffix)).join(' ')}}`;
  return q.clauses
    .map((c) => `(${cols('f')} : ${phrase(c.tokens.map((t) => t.folded))} OR ${cols('x')} : ${phrase(c.tokens.map((t) => t.exact))})`)
    .join(' AND ');
}

interface HitRow {
  rid: number;
  item_id: string;
  record_matched: number;
  page_hits: number;
}

export class SqliteSearchIndex implements SearchIndex {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    db.exec('CREATE TEMP TABLE IF NOT EXISTS search_hit (rid INTEGER PRIMARY KEY, item_id TEXT, record_matched INTEGER, page_hits INTEGER, score REAL)');
    db.exec('CREATE TEMP TABLE IF NOT EXISTS search_hit_page (item_id TEXT, pid INTEGER, s REAL)');
    db.exec('CREATE INDEX IF NOT EXISTS temp.search_hit_page_item ON search_hit_page (item_id, s)');
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Whether the index format changed since it was filled (migration 7): the server rebuilds it. */
  needsRebuild(): boolean {
    return !!this.stmt("SELECT 1 FROM search_meta WHERE key = 'rebuild'").get();
  }

  // ---- writes ------------------------------------------------------------------------------------------

  async putRecord(doc: RecordDoc): Promise<void> {
    this.writeRecord(doc);
  }

  private writeRecord(doc: RecordDoc): void {
    this.db.transaction(() => {
      const old = this.stmt('SELECT rid FROM search_record WHERE item_id = ?').get(doc.itemId) as { rid: number } | undefined;
      if (old) this.deleteRecord(old.rid);
      const rid = Number(
        this.stmt('INSERT INTO search_record (item_id, library, level, embargo_until, date_from, date_to, sort_title, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          doc.itemId,
          doc.library,
          doc.access.level,
          doc.access.embargoUntil,
          doc.dateFrom,
          doc.dateTo ?? doc.dateFrom,
          doc.sortTitle,
          JSON.stringify(doc),
        ).lastInsertRowid,
      );
      const values: [string, string][] = [
        ['library', doc.library],
        ...doc.access.libraries.map((l): [string, string] => ['in-library', l]),
        ['collection', doc.collections[0] ?? ''],
        ...doc.collections.map((c): [string, string] => ['in-collection', c]),
        ['kind', doc.kind],
        ...doc.languages.map((l): [string, string] => ['language', l]),
        ...doc.scripts.map((s): [string, string] => ['script', s]),
        ['hasText', doc.hasText ? 'true' : 'false'],
      ];
      const put = this.stmt('INSERT OR IGNORE INTO search_value (facet, value, rid) VALUES (?, ?, ?)');
      for (const [f, v] of values) if (v) put.run(f, v, rid);
      const cols = RECORD_FIELDS.flatMap((f) => {
        const tokens = tokenize(doc[f].join('\n').normalize('NFC'));
        return [indexForm(tokens, 'exact'), indexForm(tokens, 'folded')];
      });
      this.stmt('INSERT INTO search_record_fts (rowid, title_x, title_f, subjects_x, subjects_f, description_x, description_f, other_x, other_f) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(rid, ...cols);
      if (this.stmt('DELETE FROM search_dirty WHERE item_id = ?').run(doc.itemId).changes > 0) this.recountTerms(doc.itemId);
    })();
  }

  private deleteRecord(rid: number): void {
    this.stmt('DELETE FROM search_record_fts WHERE rowid = ?').run(rid);
    this.stmt('DELETE FROM search_value WHERE rid = ?').run(rid);
    this.stmt('DELETE FROM search_record WHERE rid = ?').run(rid);
  }

  /** The words of an item's pages, counted (autocomplete). */
  private recountTerms(itemId: string): void {
    this.stmt('DELETE FROM search_term WHERE item_id = ?').run(itemId);
    const counts = new Map<string, { folded: string; n: number }>();
    for (const { text } of this.stmt('SELECT text FROM search_page WHERE item_id = ?').all(itemId) as { text: string }[]) {
      for (const t of tokenize(text.normalize('NFC'))) {
        const c = counts.get(t.exact);
        if (c) c.n++;
        else counts.set(t.exact, { folded: t.folded, n: 1 });
      }
    }
    const put = this.stmt('INSERT INTO search_term (item_id, folded, term, n) VALUES (?, ?, ?, ?)');
    for (const [term, c] of counts) put.run(itemId, c.folded, term, c.n);
  }

  async putPage(p: PageDoc): Promise<void> {
    const text = p.text.normalize('NFC');
    const tokens = tokenize(text);
    this.db.transaction(() => {
      const old = this.stmt('SELECT pid FROM search_page WHERE item_id = ? AND canvas = ?').get(p.itemId, p.canvas) as { pid: number } | undefined;
      let pid: number;
      if (old) {
        pid = old.pid;
        this.stmt('UPDATE search_page SET image_id = ?, language = ?, text = ?, lines = ? WHERE pid = ?').run(p.imageId, p.language, text, JSON.stringify(p.lines), pid);
        this.stmt('DELETE FROM search_page_fts WHERE rowid = ?').run(pid);
      } else {
        pid = Number(
          this.stmt('INSERT INTO search_page (item_id, canvas, image_id, language, text, lines) VALUES (?, ?, ?, ?, ?, ?)').run(p.itemId, p.canvas, p.imageId, p.language, text, JSON.stringify(p.lines))
            .lastInsertRowid,
        );
      }
      this.stmt('INSERT INTO search_page_fts (rowid, x, f) VALUES (?, ?, ?)').run(pid, indexForm(tokens, 'exact'), indexForm(tokens, 'folded'));
      this.markDirty(p.itemId);
    })();
  }

  private markDirty(itemId: string): void {
    this.stmt('INSERT OR IGNORE INTO search_dirty (item_id) VALUES (?)').run(itemId);
  }

  async trimItem(itemId: string, pages: number): Promise<void> {
    this.db.transaction(() => {
      const gone = this.stmt('SELECT pid FROM search_page WHERE item_id = ? AND canvas > ?').pluck().all(itemId, pages) as number[];
      for (const pid of gone) this.stmt('DELETE FROM search_page_fts WHERE rowid = ?').run(pid);
      this.stmt('DELETE FROM search_page WHERE item_id = ? AND canvas > ?').run(itemId, pages);
      if (gone.length > 0) this.markDirty(itemId);
    })();
  }

  async removeItem(itemId: string): Promise<void> {
    this.db.transaction(() => {
      this.trimSync(itemId);
      const old = this.stmt('SELECT rid FROM search_record WHERE item_id = ?').get(itemId) as { rid: number } | undefined;
      if (old) this.deleteRecord(old.rid);
      this.stmt('DELETE FROM search_term WHERE item_id = ?').run(itemId);
      this.stmt('DELETE FROM search_dirty WHERE item_id = ?').run(itemId);
    })();
  }

  private trimSync(itemId: string): void {
    const gone = this.stmt('SELECT pid FROM search_page WHERE item_id = ?').pluck().all(itemId) as number[];
    for (const pid of gone) this.stmt('DELETE FROM search_page_fts WHERE rowid = ?').run(pid);
    this.stmt('DELETE FROM search_page WHERE item_id = ?').run(itemId);
  }

  async rebuild(fill: (sink: IndexSink) => Promise<void>): Promise<void> {
    // Writes go to the live tables inside one transaction: readers (other connections, WAL) see the old
    // index until the commit, and a throw rolls everything back. Async fill inside a transaction is safe
    // here because this connection serves nothing else while it runs (the CLI's reindex) — the server
    // rebuilds only before it listens.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const t of ['search_record_fts', 'search_page_fts']) this.db.exec(`DELETE FROM ${t}`);
      for (const t of ['search_record', 'search_value', 'search_page', 'search_term', 'search_dirty']) this.db.exec(`DELETE FROM ${t}`);
      const sink: IndexSink = {
        putRecord: async (doc) => this.writeRecord(doc),
        putPage: async (doc) => this.putPage(doc),
      };
      await fill(sink);
      this.stmt("DELETE FROM search_meta WHERE key = 'rebuild'").run();
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async stats(): Promise<{ records: number; pages: number }> {
    return {
      records: (this.stmt('SELECT count(*) FROM search_record').pluck().get() as number) ?? 0,
      pages: (this.stmt('SELECT count(*) FROM search_page').pluck().get() as number) ?? 0,
    };
  }

  // ---- reads -------------------------------------------------------------------------------------------

  async getPage(itemId: string, canvas: number): Promise<PageDoc | null> {
    const row = this.stmt('SELECT item_id, canvas, image_id, language, text, lines FROM search_page WHERE item_id = ? AND canvas = ?').get(itemId, canvas) as
      | PageRow
      | undefined;
    return row ? pageDoc(row) : null;
  }

  async searchItem(itemId: string, query: ParsedQuery, limit: number): Promise<PageDoc[]> {
    if (query.clauses.length === 0) return [];
    // The item's pages are a rowid range of the page index (mostly one run): FTS5 seeks to it instead of
    // walking every page of the collection that matches.
    const range = this.stmt('SELECT min(pid) AS lo, max(pid) AS hi FROM search_page WHERE item_id = ?').get(itemId) as { lo: number | null; hi: number | null };
    if (range.lo === null) return [];
    const rows = this.stmt(
      `SELECT p.item_id, p.canvas, p.image_id, p.language, p.text, p.lines FROM search_page_fts f JOIN search_page p ON p.pid = f.rowid
       WHERE search_page_fts MATCH ? AND f.rowid BETWEEN ? AND ? AND p.item_id = ? ORDER BY p.canvas LIMIT ?`,
    ).all(ftsExpression(query, ['']), range.lo, range.hi, itemId, limit) as PageRow[];
    return rows.map(pageDoc);
  }

  async suggest(itemId: string, prefix: string, limit: number): Promise<TermCount[]> {
    if (!prefix) return [];
    return this.stmt(
      `SELECT term, sum(n) AS count FROM search_term WHERE item_id = ? AND folded >= ? AND folded < ? GROUP BY term ORDER BY count DESC, term LIMIT ?`,
    ).all(itemId, prefix, `${prefix}\uffff`, limit) as TermCount[];
  }

  async search(req: SearchRequest): Promise<SearchResponse> {
    const p: Params = { today: req.scope.today };
    const discover = accessSql('discover', req.scope, p, 'r');
    const readable = accessSql('read', req.scope, p, 'r');
    const filters = filterSql(req.filters, p, 'r');
    const empty = req.query.clauses.length === 0;
    this.stmt('DELETE FROM search_hit').run();
    this.stmt('DELETE FROM search_hit_page').run();
    if (empty) {
      this.db.prepare(`INSERT INTO search_hit SELECT r.rid, r.item_id, 0, 0, 0 FROM search_record r WHERE ${discover} AND ${filters}`).run(p);
    } else {
      p.rq = ftsExpression(req.query, RECORD_FIELDS);
      p.pq = ftsExpression(req.query, ['']);
      // Matching pages of readable items, then items: those whose record matched or with matching pages.
      this.db
        .prepare(
          `INSERT INTO search_hit_page SELECT p.item_id, f.rowid, f.s FROM
             (SELECT rowid, bm25(search_page_fts, 1, 0.5) AS s FROM search_page_fts WHERE search_page_fts MATCH @pq) f
             JOIN search_page p ON p.pid = f.rowid JOIN search_record r ON r.item_id = p.item_id
           WHERE ${readable} AND ${discover} AND ${filters}`,
        )
        .run(p);
      this.db
        .prepare(
          `INSERT INTO search_hit
           SELECT r.rid, r.item_id, rec.s IS NOT NULL, coalesce(pg.n, 0), coalesce(rec.s, 0) + ${PAGE_WEIGHT} * coalesce(pg.s, 0)
           FROM (SELECT rowid AS rid, bm25(search_record_fts, ${RECORD_WEIGHTS.join(', ')}) AS s FROM search_record_fts WHERE search_record_fts MATCH @rq) rec
             JOIN search_record r ON r.rid = rec.rid
             LEFT JOIN (SELECT item_id, count(*) AS n, min(s) AS s FROM search_hit_page GROUP BY item_id) pg ON pg.item_id = r.item_id
           WHERE ${discover} AND ${filters}
           UNION ALL
           SELECT r.rid, r.item_id, 0, pg.n, ${PAGE_WEIGHT} * pg.s
           FROM (SELECT item_id, count(*) AS n, min(s) AS s FROM search_hit_page GROUP BY item_id) pg JOIN search_record r ON r.item_id = pg.item_id
           WHERE r.rid NOT IN (SELECT rowid FROM search_record_fts WHERE search_record_fts MATCH @rq)`,
        )
        .run(p);
    }
    const total = this.stmt('SELECT count(*) FROM search_hit').pluck().get() as number;
    const order = {
      relevance: empty ? 'r.sort_title, r.item_id' : 'h.score, r.sort_title, r.item_id',
      date: 'r.date_from IS NULL, r.date_from, r.sort_title, r.item_id',
      'date-desc': 'r.date_to IS NULL, r.date_to DESC, r.sort_title, r.item_id',
      title: 'r.sort_title, r.item_id',
    }[req.sort];
    const rows = this.db
      .prepare(`SELECT h.rid, h.item_id, h.record_matched, h.page_hits FROM search_hit h JOIN search_record r ON r.rid = h.rid ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(req.limit, req.offset) as HitRow[];
    const pagesOf = this.stmt(
      `SELECT p.canvas, p.text FROM search_hit_page h JOIN search_page p ON p.pid = h.pid WHERE h.item_id = ? ORDER BY h.s, p.canvas LIMIT ?`,
    );
    const items = rows.map((r) => ({
      itemId: r.item_id,
      recordMatched: r.record_matched === 1,
      pageHits: r.page_hits,
      pages: req.pagesPerItem > 0 && r.page_hits > 0 ? (pagesOf.all(r.item_id, req.pagesPerItem) as { canvas: number; text: string }[]) : [],
    }));
    const facets: Partial<Record<Facet, FacetCount[]>> = {};
    let years: SearchResponse['years'] = null;
    if (req.facets) {
      for (const f of FACETS) facets[f] = [];
      const counts = this.stmt(
        `SELECT v.facet, v.value, count(*) AS count FROM search_hit h JOIN search_value v ON v.rid = h.rid
         WHERE v.facet IN ('library', 'collection', 'kind', 'language', 'script', 'hasText') GROUP BY v.facet, v.value ORDER BY count DESC, v.value`,
      ).all() as { facet: Facet; value: string; count: number }[];
      for (const c of counts) (facets[c.facet] as FacetCount[]).push({ value: c.value, count: c.count });
      const y = this.stmt('SELECT min(r.date_from) AS min, max(r.date_to) AS max FROM search_hit h JOIN search_record r ON r.rid = h.rid').get() as {
        min: number | null;
        max: number | null;
      };
      years = y.min === null || y.max === null ? null : { min: y.min, max: y.max };
    }
    return { total, items, facets, years };
  }
}

interface PageRow {
  item_id: string;
  canvas: number;
  image_id: string;
  language: string;
  text: string;
  lines: string;
}

function pageDoc(r: PageRow): PageDoc {
  return { itemId: r.item_id, canvas: r.canvas, imageId: r.image_id, language: r.language, text: r.text, lines: JSON.parse(r.lines) as PageDoc['lines'] };
}
