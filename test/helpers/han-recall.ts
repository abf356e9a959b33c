/**
 * Search-by-reading recall on an independent transcription (test/fixtures/han/tam-tu-kinh.tsv: a Hán
 * text with its traditional Sino-Vietnamese reading, not derived from the character table's sources).
 * The text is indexed as pages of eight verses, one verse a vertical line, in the embedded index; each
 * verse's reading is then searched as typed with diacritics and without. A query is found when the page
 * with the verse is among the results and the verse is where its snippet highlight is.
 * Used by bench/han-recall.ts (prints) and test/unit/han-recall.test.ts (asserts the goal).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { characterInfo, readingsOf } from '../../server/han/table.js';
import { fold } from '../../server/search/fold.js';
import type { AccessScope, RecordDoc } from '../../server/search/index.js';
import { snippet } from '../../server/search/match.js';
import { parseQuery } from '../../server/search/query.js';
import { SEARCH_MIGRATIONS, SqliteSearchIndex } from '../../server/search/sqlite-index.js';
import { openDatabase } from '../../server/storage/sqlite.js';

export const TRANSCRIPTION = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'han', 'tam-tu-kinh.tsv');
const VERSES_A_PAGE = 8;

export interface Verse {
  readonly han: string;
  readonly reading: string;
}

export interface Miss {
  readonly query: string;
  readonly han: string;
  /** The characters of the verse whose reading here the table does not have, with what it has. */
  readonly why: string;
}

export interface Recall {
  readonly queries: number;
  readonly found: number;
  readonly misses: readonly Miss[];
  /** The text's characters, how many the table reads as the transcription does, and how many Unihan's kVietnamese alone would. */
  readonly characters: { readonly total: number; readonly read: number; readonly unihan: number };
}

export function verses(): Verse[] {
  return readFileSync(TRANSCRIPTION, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [han = '', reading = ''] = l.split('\t');
      return { han, reading };
    });
}

/** A public record of a book in Literary Chinese (the index asks nothing else of it here). */
export const hanRecord = (itemId: string, title: string, sortTitle: string): RecordDoc => ({
  itemId,
  title: title ? [title] : [],
  subjects: [],
  description: [],
  other: [],
  library: 'tinh',
  collections: [],
  kind: 'book',
  languages: ['lzh'],
  scripts: ['han'],
  dateFrom: null,
  dateTo: null,
  hasText: true,
  sortTitle,
  updatedAt: '2026-01-01T00:00:00.000Z',
  access: { level: 'public', embargoUntil: null, libraries: ['tinh'] },
});

const SCOPE: AccessScope = { discover: ['public'], read: ['public'], staffOf: [], today: '2026-01-01' };

/** Measured on the transcription's verses, or on those given (a test gives a wrong one, to see it missed). */
export async function measureRecall(all: readonly Verse[] = verses()): Promise<Recall> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vankho-recall-'));
  const db = openDatabase(path.join(dir, 'search.db'), SEARCH_MIGRATIONS);
  try {
    const index = new SqliteSearchIndex(db);
    const record = hanRecord('tam-tu-kinh', '三字經', 'tam tu kinh');
    await index.putRecord(record);
    const pageOf = (i: number) => Math.floor(i / VERSES_A_PAGE) + 1;
    for (let p = 0; p * VERSES_A_PAGE < all.length; p++) {
      const text = all.slice(p * VERSES_A_PAGE, (p + 1) * VERSES_A_PAGE).map((v) => v.han).join('\n');
      await index.putPage({ itemId: 'tam-tu-kinh', canvas: p + 1, imageId: `ttk-${p + 1}`, language: 'lzh', text, lines: [] });
    }
    await index.putRecord(record);

    const misses: Miss[] = [];
    let queries = 0;
    let read = 0;
    let total = 0;
    let unihan = 0;
    for (const [i, v] of all.entries()) {
      const chars = [...v.han];
      const syllables = v.reading.split(' ');
      const lacking = chars.filter((c, k) => !readingsOf(c).some((r) => fold(r) === fold(syllables[k] ?? '')));
      total += chars.length;
      read += chars.length - lacking.length;
      unihan += chars.filter((c, k) => (characterInfo(c)?.unihan ?? []).some((r) => fold(r) === fold(syllables[k] ?? ''))).length;
      for (const typed of [v.reading, fold(v.reading)]) {
        queries++;
        const q = parseQuery(typed);
        const res = await index.search({ query: q, filters: {}, sort: 'relevance', offset: 0, limit: 10, facets: false, pagesPerItem: 20, scope: SCOPE });
        const page = res.items[0]?.pages.find((pg) => pg.canvas === pageOf(i));
        const hit = page && highlights(page.text, q).includes(v.han);
        if (hit) continue;
        const why = lacking.map((c) => `${c} read ${syllables[chars.indexOf(c)]}: the table has ${readingsOf(c).join(', ') || 'none'}`).join('; ');
        misses.push({ query: typed, han: v.han, why: why || (page ? 'the page is found, the verse not highlighted' : 'not found') });
      }
    }
    return { queries, found: queries - misses.length, misses, characters: { total, read, unihan } };
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The highlighted runs of a page's text for a query (as the results page marks them). */
function highlights(text: string, q: ReturnType<typeof parseQuery>): string[] {
  // Each vertical line is a verse: highlight within the whole text, read back per run.
  const s = snippet(text, q, 10_000);
  return s.highlights.map(([a, b]) => s.text.slice(a, b));
}
