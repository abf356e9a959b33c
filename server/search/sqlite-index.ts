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
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Statement } from 'better-sqlite3';
import type { Db, Migration } from '../storage/sqlite.js';
import { searchReadingsOf } from '../han/table.js';
import { fold, indexForm, tokenize, type Token } from './fold.js';
import { multiReadingSets, readingForm, readingPhrases } from './reading.js';
import type { Facet, FacetCount, IndexSink, PageDoc, RecordDoc, SearchIndex, SearchRequest, SearchResponse, TermCount } from './index.js';
import { FACETS } from './index.js';
import { clauseForm, type ParsedQuery } from './query.js';
import { accessSql, filterSql, type Params } from './sqlite-sql.js';

const FTS = "content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'";
const RECORD_FIELDS = ['title', 'subjects', 'description', 'other'] as const;
/** bm25 weights per column (exact, folded) of each record field: title > subjects/description > other; then the title's reading. */
const RECORD_WEIGHTS = [10, 6, 4, 2.5, 3, 2, 1.5, 1, 5];
/**
 * Items found by their pages alone are ranked when at most this many are found (and shown to the reader,
 * sorted by relevance): those with every clause
 * as typed (diacritics and all) first, then by how often the clauses occur in them, both read from the
 * per-item word counts (search_term), one look-up per item and word. FTS5's bm25 would read every
 * occurrence of the words in the whole index once more to weigh them (49 ms for a common word on 300 000
 * pages, against 9 ms to find the items). Beyond this many, by title: a word in that many items is too
 * common for its frequency to say much.
 */
const RANKED_ITEMS = 1000;
/** Tokens of the query looked up for ranking (a phrase's frequency is taken as its rarest word's). */
const RANKED_TOKENS = 12;
/** Private-use character between the values of a list field: FTS5 indexes it, no query contains it. */
const VALUE_GAP = '\uE000';
/** Pages per item a page rowid has room for (no << PAGE_BITS | canvas). */
const PAGE_BITS = 20;
const MAX_CANVAS = (1 << PAGE_BITS) - 1;

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
      -- A number per item, kept for good: records have it as rowid, pages as the high bits of theirs
      -- (no << 20 | canvas), so a page's item needs no join and an item's pages are one rowid range.
      CREATE TABLE search_item (no INTEGER PRIMARY KEY, item_id TEXT NOT NULL UNIQUE);
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
      -- collection (the collection and those above), kind, language, script, hasText.
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
        -- Folded tokens, a newline token between lines: Content Search counts hits from it without tokenising.
        folded TEXT NOT NULL,
        -- Lines with word boxes as deflated JSON arrays (pack()): read for Content Search only.
        lines_z BLOB NOT NULL,
        UNIQUE (item_id, canvas)
      );
      CREATE VIRTUAL TABLE search_page_fts USING fts5(x, f, ${FTS});
      -- Words of an item's pages for autocomplete, recounted when its record is put after page changes.
      CREATE TABLE search_term (item_id TEXT NOT NULL, folded TEXT NOT NULL, term TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (item_id, folded, term)) WITHOUT ROWID;
      CREATE TABLE search_dirty (item_id TEXT PRIMARY KEY);
    `,
  },
  {
    version: 8,
    name: 'search: the text of all pages of an item, one row per item',
    // Filled from the pages when the index is rebuilt (the server does it at start when asked here).
    sql: `
      CREATE VIRTUAL TABLE search_text_fts USING fts5(x, f, ${FTS});
      INSERT OR REPLACE INTO search_meta (key, value) VALUES ('rebuild', 'needed');
    `,
  },
  {
    version: 9,
    name: 'search: Han text by its Vietnamese reading (a reading column)',
    // The tables are made again with the column and filled by the rebuild the server runs at start.
    sql: `
      DROP TABLE search_record_fts; DROP TABLE search_page_fts; DROP TABLE search_text_fts;
      CREATE VIRTUAL TABLE search_record_fts USING fts5(title_x, title_f, subjects_x, subjects_f, description_x, description_f, other_x, other_f, title_r, ${FTS});
      CREATE VIRTUAL TABLE search_page_fts USING fts5(x, f, r, ${FTS});
      CREATE VIRTUAL TABLE search_text_fts USING fts5(x, f, r, ${FTS});
      INSERT OR REPLACE INTO search_meta (key, value) VALUES ('rebuild', 'needed');
    `,
  },
  {
    version: 10,
    name: 'search: Han variants folded together, Sino-Vietnamese readings, the reading sets indexed',
    // A Han character's folded form is now its variant class's and its readings are more: the rebuild
    // writes every column again. search_reading_set lists the reading-set tokens (of several readings)
    // some text has, so that a query tries only those (reading.ts readingPhrases). The item table loses
    // its reading column: a reading is a phrase on one page, found in the page table (a second copy of
    // every Han page's readings made the index of Han pages 1.5 times as large).
    sql: `
      CREATE TABLE search_reading_set (token TEXT PRIMARY KEY) WITHOUT ROWID;
      DROP TABLE search_text_fts;
      CREATE VIRTUAL TABLE search_text_fts USING fts5(x, f, ${FTS});
      INSERT OR REPLACE INTO search_meta (key, value) VALUES ('rebuild', 'needed');
    `,
  },
  {
    version: 11,
    name: 'search: reading-column tokens apart from the words (a leading 0)',
    // `r : nhan` shared the token "nhan" with every Vietnamese page's folded column, and FTS5 walked them
    // all (reading.ts MARK). The rebuild writes the reading columns and the list of reading sets anew.
    sql: `
      DELETE FROM search_reading_set;
      INSERT OR REPLACE INTO search_meta (key, value) VALUES ('rebuild', 'needed');
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
    .map((c) =>
      c.strict
        ? `${cols('x')} : ${phrase(c.tokens.map((t) => t.exact))}`
        : `(${cols('f')} : ${phrase(c.tokens.map((t) => t.folded))} OR ${cols('x')} : ${phrase(c.tokens.map((t) => t.exact))})`,
    )
    .join(' AND ');
}

interface HitRow {
  item_id: string;
  record_matched: number;
  /** Whether its pages matched (every clause somewhere in them) and the reader may read them. */
  pages_matched: number;
  readable: number;
  no: number;
}

export class SqliteSearchIndex implements SearchIndex {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    // Per query (reads run synchronously, one at a time): matching items, and their page-hit counts.
    db.exec('DROP TABLE IF EXISTS temp.search_hit');
    db.exec('DROP TABLE IF EXISTS temp.search_hit_pages');
    db.exec('CREATE TEMP TABLE search_hit (no INTEGER PRIMARY KEY, record_matched INTEGER, pages_matched INTEGER, readable INTEGER, exact INTEGER, score REAL)');
    db.exec('CREATE TEMP TABLE IF NOT EXISTS search_hit_record (no INTEGER PRIMARY KEY, s REAL)');
    db.exec('CREATE TEMP TABLE search_hit_pages (no INTEGER PRIMARY KEY)');
    // Items whose pages changed with no record put after (an ingest stopped halfway): their text as a
    // whole is brought up to date before anything is searched.
    const dirty = db.prepare('SELECT item_id FROM search_dirty').pluck().all() as string[];
    if (dirty.length > 0) {
      db.transaction(() => {
        for (const id of dirty) {
          this.refreshItemText(id);
          this.stmt('DELETE FROM search_dirty WHERE item_id = ?').run(id);
        }
      })();
    }
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

  private itemNo(itemId: string): number {
    const found = this.stmt('SELECT no FROM search_item WHERE item_id = ?').pluck().get(itemId) as number | undefined;
    return found ?? Number(this.stmt('INSERT INTO search_item (item_id) VALUES (?)').run(itemId).lastInsertRowid);
  }

  private knownNo(itemId: string): number | null {
    return (this.stmt('SELECT no FROM search_item WHERE item_id = ?').pluck().get(itemId) as number | undefined) ?? null;
  }

  // ---- writes ------------------------------------------------------------------------------------------

  async putRecord(doc: RecordDoc): Promise<void> {
    this.writeRecord(doc);
  }

  private writeRecord(doc: RecordDoc): void {
    this.db.transaction(() => {
      const rid = this.itemNo(doc.itemId);
      this.deleteRecord(rid);
      this.stmt('INSERT INTO search_record (rid, item_id, library, level, embargo_until, date_from, date_to, sort_title, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        rid,
        doc.itemId,
        doc.library,
        doc.access.level,
        doc.access.embargoUntil,
        doc.dateFrom,
        doc.dateTo ?? doc.dateFrom,
        doc.sortTitle,
        JSON.stringify(doc),
      );
      const values: [string, string][] = [
        ['library', doc.library],
        ...doc.access.libraries.map((l): [string, string] => ['in-library', l]),
        // The collection facet counts an item under its collection and every collection above it, as
        // choosing a collection finds what is inside it at any depth.
        ...doc.collections.map((c): [string, string] => ['collection', c]),
        ['kind', doc.kind],
        ...doc.languages.map((l): [string, string] => ['language', l]),
        ...doc.scripts.map((s): [string, string] => ['script', s]),
        ['hasText', doc.hasText ? 'true' : 'false'],
      ];
      const put = this.stmt('INSERT OR IGNORE INTO search_value (facet, value, rid) VALUES (?, ?, ?)');
      for (const [f, v] of values) if (v) put.run(f, v, rid);
      // Values of a list field (two subjects, three titles) are kept apart by a token no query has, so
      // a phrase never runs from one into the next (as Elasticsearch's position gap keeps them apart).
      const cols = RECORD_FIELDS.flatMap((f) => {
        const values = doc[f].map((v) => tokenize(v.normalize('NFC')));
        return (['exact', 'folded'] as const).map((form) => values.map((t) => indexForm(t, form)).join(` ${VALUE_GAP} `));
      });
      // The titles in Han (an original title) also by their reading.
      const titleReading = doc.title
        .map((v) => readingForm(tokenize(v.normalize('NFC'))))
        .filter(Boolean)
        .join(` ${VALUE_GAP} `);
      this.noteReadingSets(titleReading);
      this.stmt(
        'INSERT INTO search_record_fts (rowid, title_x, title_f, subjects_x, subjects_f, description_x, description_f, other_x, other_f, title_r) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(rid, ...cols, titleReading);
      if (this.stmt('DELETE FROM search_dirty WHERE item_id = ?').run(doc.itemId).changes > 0) this.refreshItemText(doc.itemId);
    })();
  }

  private deleteRecord(rid: number): void {
    if (this.stmt('DELETE FROM search_record WHERE rid = ?').run(rid).changes === 0) return;
    this.stmt('DELETE FROM search_record_fts WHERE rowid = ?').run(rid);
    this.stmt('DELETE FROM search_value WHERE rid = ?').run(rid);
  }

  /**
   * What is kept of an item's pages as a whole: its row in search_text_fts (every page's tokens, a gap
   * token between pages so that no phrase runs from one page into the next), which finds items in one
   * walk of items rather than of pages; and its words, counted, for autocomplete.
   */
  private refreshItemText(itemId: string): void {
    const no = this.knownNo(itemId);
    if (no === null) return;
    this.stmt('DELETE FROM search_term WHERE item_id = ?').run(itemId);
    this.stmt('DELETE FROM search_text_fts WHERE rowid = ?').run(no);
    const counts = new Map<string, { folded: string; n: number }>();
    const x: string[] = [];
    const f: string[] = [];
    const count = (exact: string, folded: string) => {
      const c = counts.get(exact);
      if (c) c.n++;
      else counts.set(exact, { folded, n: 1 });
    };
    for (const text of this.stmt('SELECT text FROM search_page WHERE pid BETWEEN ? AND ? ORDER BY pid').pluck().all(...pageRange(no)) as string[]) {
      const tokens = tokenize(text);
      for (const t of tokens) {
        count(t.exact, t.folded);
        // A Han character also counts under each of its readings: autocomplete offers how the text
        // reads to readers who cannot type it, counted as a search by that reading finds it.
        if (t.han) for (const r of new Set(searchReadingsOf(t.folded))) count(r, fold(r));
      }
      x.push(indexForm(tokens, 'exact'));
      f.push(indexForm(tokens, 'folded'));
    }
    const put = this.stmt('INSERT INTO search_term (item_id, folded, term, n) VALUES (?, ?, ?, ?)');
    for (const [term, c] of counts) put.run(itemId, c.folded, term, c.n);
    if (x.length > 0) this.stmt('INSERT INTO search_text_fts (rowid, x, f) VALUES (?, ?, ?)').run(no, x.join(` ${VALUE_GAP} `), f.join(` ${VALUE_GAP} `));
  }

  async putPage(p: PageDoc): Promise<void> {
    if (p.canvas > MAX_CANVAS) throw new Error(`page ${p.canvas}: the embedded index holds at most ${MAX_CANVAS} pages per item`);
    const text = p.text.normalize('NFC');
    const tokens = tokenize(text);
    this.db.transaction(() => {
      const pid = this.itemNo(p.itemId) * 2 ** PAGE_BITS + p.canvas;
      if (this.stmt('DELETE FROM search_page WHERE pid = ?').run(pid).changes > 0) this.stmt('DELETE FROM search_page_fts WHERE rowid = ?').run(pid);
      this.stmt('INSERT INTO search_page (pid, item_id, canvas, image_id, language, text, folded, lines_z) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        pid,
        p.itemId,
        p.canvas,
        p.imageId,
        p.language,
        text,
        foldedWithLines(text, tokens),
        pack(p.lines),
      );
      const reading = readingForm(tokens);
      this.noteReadingSets(reading);
      this.stmt('INSERT INTO search_page_fts (rowid, x, f, r) VALUES (?, ?, ?, ?)').run(pid, indexForm(tokens, 'exact'), indexForm(tokens, 'folded'), reading);
      this.stmt('INSERT OR IGNORE INTO search_dirty (item_id) VALUES (?)').run(p.itemId);
    })();
  }

  /** Pages of an item from canvas `after + 1` on. */
  private dropPages(itemId: string, after: number): number {
    const no = this.knownNo(itemId);
    if (no === null) return 0;
    const [first, hi] = pageRange(no);
    const lo = first + BigInt(after + 1);
    for (const pid of this.stmt('SELECT pid FROM search_page WHERE pid BETWEEN ? AND ?').pluck().all(lo, hi) as number[]) {
      this.stmt('DELETE FROM search_page_fts WHERE rowid = ?').run(pid);
    }
    return this.stmt('DELETE FROM search_page WHERE pid BETWEEN ? AND ?').run(lo, hi).changes;
  }

  async trimItem(itemId: string, pages: number): Promise<void> {
    this.db.transaction(() => {
      if (this.dropPages(itemId, pages) > 0) this.refreshItemText(itemId);
    })();
  }

  async removeItem(itemId: string): Promise<void> {
    this.db.transaction(() => {
      this.dropPages(itemId, 0);
      const no = this.knownNo(itemId);
      if (no !== null) {
        this.deleteRecord(no);
        this.stmt('DELETE FROM search_text_fts WHERE rowid = ?').run(no);
      }
      this.stmt('DELETE FROM search_term WHERE item_id = ?').run(itemId);
      this.stmt('DELETE FROM search_dirty WHERE item_id = ?').run(itemId);
    })();
  }

  async rebuild(fill: (sink: IndexSink) => Promise<void>): Promise<void> {
    // Writes go to the live tables inside one transaction: readers on other connections (WAL) see the
    // old index until the commit, and a throw rolls everything back. Writers wait (ingest, edits in
    // another process) until it is done. The fill is async but this connection serves nothing else
    // meanwhile: the CLI's reindex, or the server before it listens.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const t of ['search_record_fts', 'search_page_fts', 'search_text_fts', 'search_record', 'search_value', 'search_page', 'search_term', 'search_dirty']) this.db.exec(`DELETE FROM ${t}`);
      await fill({ putRecord: async (doc) => this.writeRecord(doc), putPage: (doc) => this.putPage(doc) });
      this.stmt("DELETE FROM search_meta WHERE key = 'rebuild'").run();
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async stats(): Promise<{ records: number; pages: number }> {
    return {
      records: this.stmt('SELECT count(*) FROM search_record').pluck().get() as number,
      pages: this.stmt('SELECT count(*) FROM search_page').pluck().get() as number,
    };
  }

  // ---- reads -------------------------------------------------------------------------------------------

  async getPage(itemId: string, canvas: number): Promise<PageDoc | null> {
    const row = this.stmt('SELECT item_id, canvas, image_id, language, text, folded, lines_z FROM search_page WHERE item_id = ? AND canvas = ?').get(itemId, canvas) as PageRow | undefined;
    return row ? pageDoc(row) : null;
  }

  async pagesWithText(itemId: string): Promise<number[]> {
    return this.stmt('SELECT canvas FROM search_page WHERE item_id = ? ORDER BY canvas').pluck().all(itemId) as number[];
  }

  /**
   * Rowids of an item's first matching pages, in canvas order: a range seek in the page index, never a
   * walk of every match. (Ordered by bm25 instead, FTS5 scores every match of the query first: 25 ms
   * per item on 20 000 pages for a common word.)
   */
  private pagesOf(no: number, match: string, limit: number): number[] {
    return this.stmt(`SELECT rowid FROM search_page_fts WHERE search_page_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid LIMIT ?`)
      .pluck()
      .all(match, ...pageRange(no), limit) as number[];
  }

  /**
   * Ranks the items of search_hit found by their pages alone (see RANKED_ITEMS) from their word counts:
   * one indexed join per token over those items, the first RANKED_TOKENS tokens of the query.
   */
  private rankPageHits(query: ParsedQuery): void {
    const counts = this.stmt(
      `SELECT h.no AS no, coalesce(sum(t.n), 0) AS f, coalesce(sum(CASE WHEN t.term = ? THEN t.n ELSE 0 END), 0) AS x
       FROM search_hit h JOIN search_item i ON i.no = h.no LEFT JOIN search_term t ON t.item_id = i.item_id AND t.folded = ?
       WHERE h.record_matched = 0 GROUP BY h.no`,
    );
    const rank = new Map<number, { exact: boolean; score: number }>();
    let budget = RANKED_TOKENS;
    for (const clause of query.clauses) {
      if (budget <= 0) break;
      // A phrase occurs at most as often as its rarest word, as typed or folded.
      const f = new Map<number, number>();
      const x = new Map<number, number>();
      for (const t of clause.tokens.slice(0, budget)) {
        budget--;
        for (const c of counts.all(t.exact, t.folded) as { no: number; f: number; x: number }[]) {
          f.set(c.no, Math.min(f.get(c.no) ?? Infinity, c.f));
          x.set(c.no, Math.min(x.get(c.no) ?? Infinity, c.x));
        }
      }
      for (const [no, n] of f) {
        const r = rank.get(no) ?? { exact: true, score: 0 };
        const nx = x.get(no) ?? 0;
        rank.set(no, { exact: r.exact && nx > 0, score: r.score - Math.log1p(n + 2 * nx) });
      }
    }
    const set = this.stmt('UPDATE search_hit SET exact = ?, score = ? WHERE no = ?');
    for (const [no, r] of rank) set.run(r.exact ? 1 : 0, r.score, no);
  }

  /**
   * The matching pages of an item, in canvas order: those with every clause, or with the query's run of
   * readings (`byReading`: found by the search's one walk of the reading column, not asked again per
   * item: an OR of phrases in a rowid range cost 0.7 ms an item); if none has them and the item matched
   * by its pages (the clauses on different pages), those with any. One range walk per item on the results
   * page, none for an item found by the run alone (`readingOnly`: its text as a whole lacks the clauses).
   */
  private pageHitsOf(no: number, query: ParsedQuery, pagesMatched: boolean, byReading: readonly number[] | undefined, readingOnly: boolean): number[] {
    const pids = (match: string) => this.pagesOf(no, match, -1); // LIMIT -1: all of them
    const folded = readingOnly ? [] : pids(foldedExpression(query));
    const all = byReading ? [...new Set([...folded, ...byReading])].sort((a, b) => a - b) : folded;
    return all.length > 0 || !pagesMatched || query.clauses.length < 2 ? all : pids(foldedExpression(query, ' OR '));
  }

  /** The reading-set tokens of several readings in a reading form, listed as known (search_reading_set). */
  private noteReadingSets(form: string): void {
    const put = this.stmt('INSERT OR IGNORE INTO search_reading_set (token) VALUES (?)');
    for (const t of multiReadingSets(form)) put.run(t);
  }

  /** Whether some indexed text has this reading-set token (never removed: a stale one only finds nothing). */
  private readonly knownReadingSet = (token: string): boolean => this.stmt('SELECT 1 FROM search_reading_set WHERE token = ?').pluck().get(token) !== undefined;

  /** The query read as a run of readings on a reading column (reading.ts), or null when it does not read as one. */
  private readingExpression(q: ParsedQuery, column: string): string | null {
    let phrases = this.phrases.get(q);
    if (phrases === undefined) this.phrases.set(q, (phrases = readingPhrases(q, this.knownReadingSet)));
    // `r : ("0nhan 0chi0gi 0so0xua" OR …)`
    return phrases ? `${column} : (${phrases.map(phrase).join(' OR ')})` : null;
  }

  /** An expression, or the query read as a run of readings on a reading column. */
  private withReading(expression: string, q: ParsedQuery, column: string): string {
    const reading = this.readingExpression(q, column);
    return reading ? `(${expression}) OR ${reading}` : expression;
  }

  /** Its reading phrases, worked out once a query (asked per statement and per item shown). */
  private readonly phrases = new WeakMap<ParsedQuery, string[][] | null>();

  /** Pages with every clause, or with the query's run of readings. */
  private pageExpression(q: ParsedQuery): string {
    return this.withReading(foldedExpression(q), q, 'r');
  }

  async searchItem(itemId: string, query: ParsedQuery, limit: number): Promise<PageDoc[]> {
    const no = this.knownNo(itemId);
    if (query.clauses.length === 0 || no === null) return [];
    // The text is read when asked for: Content Search counts hits from the folded tokens (ASCII, cheap to
    // read) and needs the text of a few pages only; reading every page's text was most of its time.
    const get = this.stmt('SELECT item_id, canvas, image_id, language, folded, lines_z FROM search_page WHERE pid = ?');
    const text = this.stmt('SELECT text FROM search_page WHERE pid = ?').pluck();
    return this.pagesOf(no, this.pageExpression(query), limit).map((pid) => pageDoc({ ...(get.get(pid) as Omit<PageRow, 'text'>), text: () => text.get(pid) as string }));
  }

  async suggest(itemId: string, prefix: string, limit: number): Promise<TermCount[]> {
    if (!prefix) return [];
    return this.stmt(`SELECT term, sum(n) AS count FROM search_term WHERE item_id = ? AND folded >= ? AND folded < ? GROUP BY term ORDER BY count DESC, term LIMIT ?`).all(
      itemId,
      prefix,
      `${prefix}\uffff`,
      limit,
    ) as TermCount[];
  }

  async search(req: SearchRequest): Promise<SearchResponse> {
    const p: Params = { today: req.scope.today };
    const discover = accessSql('discover', req.scope, p, 'r');
    const readable = accessSql('read', req.scope, p, 'r');
    const filters = filterSql(req.filters, p, 'r');
    const empty = req.query.clauses.length === 0;
    // The pages that have the query as a run of readings, by item.
    const byReading = new Map<number, number[]>();
    const readingOnly = new Set<number>();
    for (const t of ['search_hit', 'search_hit_record', 'search_hit_pages']) this.stmt(`DELETE FROM ${t}`).run();
    if (empty) {
      this.db.prepare(`INSERT INTO search_hit SELECT r.rid, 0, 0, 0, 0, 0 FROM search_record r WHERE ${discover} AND ${filters}`).run(p);
    } else {
      // Records: bm25 with field weights.
      this.stmt(`INSERT INTO search_hit_record SELECT rowid, bm25(search_record_fts, ${RECORD_WEIGHTS.join(', ')}) FROM search_record_fts WHERE search_record_fts MATCH ?`).run(
        this.withReading(ftsExpression(req.query, RECORD_FIELDS), req.query, 'title_r'),
      );
      // Pages: one row per item holding all its pages' text, so that a common word walks the items that
      // have it, not their every page (counting its pages per item did: 300 ms a query on a million
      // pages). An item matches when every clause is in its pages, on one page or on several.
      this.stmt('INSERT INTO search_hit_pages SELECT rowid FROM search_text_fts WHERE search_text_fts MATCH ?').run(foldedExpression(req.query));
      // Or the query read as a run of readings: a phrase on one page, so from the page table (the item
      // table has no reading column); only Han pages have one.
      const reading = this.readingExpression(req.query, 'r');
      if (reading) {
        for (const pid of this.stmt('SELECT rowid FROM search_page_fts WHERE search_page_fts MATCH ?').pluck().iterate(reading) as IterableIterator<number>) {
          const no = Math.floor(pid / 2 ** PAGE_BITS);
          const pages = byReading.get(no);
          if (pages) pages.push(pid);
          else byReading.set(no, [pid]);
        }
        // An item whose text as a whole lacks the clauses has no page with them all: only its pages
        // with the run are asked for (the folded expression per item cost 0.3 ms each, for nothing).
        const put = this.stmt('INSERT OR IGNORE INTO search_hit_pages (no) VALUES (?)');
        for (const no of byReading.keys()) if (put.run(no).changes > 0) readingOnly.add(no);
      }
      // Items whose record matched rank first (title > subjects/description > other fields, by bm25);
      // then items found by their pages alone (rankPageHits).
      this.db
        .prepare(
          `INSERT INTO search_hit
           SELECT r.rid, h.s IS NOT NULL, pg.no IS NOT NULL, ${readable}, 0, coalesce(h.s, 0)
           FROM (SELECT no FROM search_hit_record UNION SELECT no FROM search_hit_pages) m
             JOIN search_record r ON r.rid = m.no
             LEFT JOIN search_hit_record h ON h.no = m.no
             LEFT JOIN search_hit_pages pg ON pg.no = m.no
           WHERE ${discover} AND ${filters} AND (h.s IS NOT NULL OR ${readable})`,
        )
        .run(p);
    }
    const total = this.stmt('SELECT count(*) FROM search_hit').pluck().get() as number;
    if (!empty && req.sort === 'relevance') {
      const pageOnly = this.stmt('SELECT count(*) FROM search_hit WHERE record_matched = 0').pluck().get() as number;
      if (pageOnly > 0 && pageOnly <= RANKED_ITEMS) this.rankPageHits(req.query);
    }
    const order = {
      relevance: empty ? 'r.sort_title, r.item_id' : 'h.record_matched DESC, h.exact DESC, h.score, r.sort_title, r.item_id',
      date: 'r.date_from IS NULL, r.date_from, r.sort_title, r.item_id',
      'date-desc': 'r.date_to IS NULL, r.date_to DESC, r.sort_title, r.item_id',
      title: 'r.sort_title, r.item_id',
    }[req.sort];
    const rows = this.stmt(
      `SELECT h.no, r.item_id, h.record_matched, h.pages_matched, h.readable FROM search_hit h JOIN search_record r ON r.rid = h.no ORDER BY ${order} LIMIT ? OFFSET ?`,
    ).all(req.limit, req.offset) as HitRow[];
    const pageText = this.stmt('SELECT canvas, text FROM search_page WHERE pid = ?');
    const items = rows.map((r) => {
      // The pages shown, counted for the items shown only: those with every clause; when the clauses are
      // on different pages, those with any of them.
      const pids = empty || !r.readable ? [] : this.pageHitsOf(r.no, req.query, r.pages_matched === 1, byReading.get(r.no), readingOnly.has(r.no));
      return {
        itemId: r.item_id,
        recordMatched: r.record_matched === 1,
        pageHits: pids.length,
        pages: pids.slice(0, Math.max(0, req.pagesPerItem)).map((pid) => pageText.get(pid) as { canvas: number; text: string }),
      };
    });
    const facets: Partial<Record<Facet, FacetCount[]>> = {};
    let years: SearchResponse['years'] = null;
    if (req.facets) {
      for (const f of FACETS) facets[f] = [];
      const counts = this.stmt(
        `SELECT v.facet, v.value, count(*) AS count FROM search_hit h JOIN search_value v ON v.rid = h.no
         WHERE v.facet IN (${FACETS.map((f) => `'${f}'`).join(', ')}) GROUP BY v.facet, v.value ORDER BY count DESC, v.value`,
      ).all() as { facet: Facet; value: string; count: number }[];
      for (const c of counts) (facets[c.facet] as FacetCount[]).push({ value: c.value, count: c.count });
      const y = this.stmt('SELECT min(r.date_from) AS min, max(r.date_to) AS max FROM search_hit h JOIN search_record r ON r.rid = h.no').get() as { min: number | null; max: number | null };
      years = y.min === null || y.max === null ? null : { min: y.min, max: y.max };
    }
    return { total, items, facets, years };
  }
}

/**
 * The rowids of an item's pages, as BigInts: bound as JS numbers they reach SQLite as REAL, and FTS5
 * then scans every match instead of seeking to the range (0.36 against 0.03 ms a call, measured).
 */
function pageRange(no: number): [bigint, bigint] {
  const first = BigInt(no) << BigInt(PAGE_BITS);
  return [first, first + BigInt(MAX_CANVAS)];
}

/** The clauses on the folded column alone, all of them (or any): which pages match, when no score is needed. */
function foldedExpression(q: ParsedQuery, join = ' AND '): string {
  return q.clauses
    .map((c) => {
      const form = clauseForm(c);
      return `${form === 'exact' ? 'x' : 'f'} : ${phrase(c.tokens.map((t) => t[form]))}`;
    })
    .join(join);
}

interface PageRow {
  item_id: string;
  canvas: number;
  image_id: string;
  language: string;
  /** The text, or how to read it when asked for. */
  text: string | (() => string);
  folded: string;
  lines_z: Buffer;
}

/** The folded tokens of a page, "\n" where a line break separates two of them. */
function foldedWithLines(text: string, tokens: readonly Token[]): string {
  const out: string[] = [];
  tokens.forEach((t, k) => {
    if (k > 0 && text.slice(tokens[k - 1]!.end, t.start).includes('\n')) out.push('\n');
    out.push(t.folded);
  });
  return out.join(' ');
}

/**
 * Lines with their words as deflated JSON arrays, not objects: [x, y, w, h, text, [[text, x, y, w, h,
 * confidence], …]]. Half the bytes of the objects and parsed in half the time (Content Search reads
 * the boxes of every page a response shows).
 */
type PackedWord = [string, number, number, number, number, number | null];
type PackedLine = [number, number, number, number, string, PackedWord[]];
const pack = (lines: PageDoc['lines']) =>
  deflateRawSync(JSON.stringify(lines.map((l): PackedLine => [l.x, l.y, l.w, l.h, l.text, l.words.map((w): PackedWord => [w.text, w.x, w.y, w.w, w.h, w.confidence])])));
const unpack = (z: Buffer): PageDoc['lines'] =>
  (JSON.parse(inflateRawSync(z).toString('utf8')) as PackedLine[]).map(([x, y, w, h, text, words]) => ({
    x,
    y,
    w,
    h,
    text,
    words: words.map(([t, wx, wy, ww, wh, confidence]) => ({ text: t, x: wx, y: wy, w: ww, h: wh, confidence })),
  }));

/** A page; its word boxes (and, from searchItem, its text) are read when first asked for. */
function pageDoc(r: PageRow): PageDoc {
  let lines: PageDoc['lines'] | undefined;
  let text: string | undefined;
  return {
    itemId: r.item_id,
    canvas: r.canvas,
    imageId: r.image_id,
    language: r.language,
    get text() {
      return (text ??= typeof r.text === 'string' ? r.text : r.text());
    },
    folded: r.folded,
    get lines() {
      return (lines ??= unpack(r.lines_z));
    },
  };
}
