/**
 * What indexing Han pages by their reading costs on disk (issue 11, goal: under 1.5× on the Han pages).
 * Han pages are made from the Han text we have (the Tam tự kinh transcription of test/fixtures/han and
 * the ground truth of ../shared/data/ocr when present), 2 000 pages of 20 lines of 10 characters, as a
 * woodblock page; they are indexed three ways in one SQLite file, with the embedded index's FTS5 settings:
 * the FTS table without the reading column (x, f), the same with it (x, f, r), and the whole embedded
 * index (SqliteSearchIndex: the pages' stored text, lines and terms as well). Sizes from dbstat.
 *
 *   npx tsx bench/han-index-size.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { indexForm, tokenize } from '../server/search/fold.js';
import { readingForm } from '../server/search/reading.js';
import { SEARCH_MIGRATIONS, SqliteSearchIndex } from '../server/search/sqlite-index.js';
import { openDatabase } from '../server/storage/sqlite.js';
import { hanRecord, verses } from '../test/helpers/han-recall.js';
import { data } from '../test/helpers/shared.js';

const PAGES = 2000;
const FTS = "content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'";

let seed = 20261125;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const gt = data('ocr', 'han_vertical_01.gt.txt');
const source = [...verses().map((v) => v.han).join(''), ...(existsSync(gt) ? readFileSync(gt, 'utf8') : '')].filter((c) => /\p{Script=Han}/u.test(c));
const pageText = () => Array.from({ length: 20 }, () => Array.from({ length: 10 }, () => source[Math.floor(random() * source.length)]).join('')).join('\n');

const dir = await mkdtemp(path.join(os.tmpdir(), 'vankho-han-size-'));
try {
  const db = openDatabase(path.join(dir, 'search.db'), SEARCH_MIGRATIONS);
  db.exec(`CREATE VIRTUAL TABLE bench_without USING fts5(x, f, ${FTS}); CREATE VIRTUAL TABLE bench_with USING fts5(x, f, r, ${FTS});`);
  const index = new SqliteSearchIndex(db);
  const without = db.prepare('INSERT INTO bench_without (rowid, x, f) VALUES (?, ?, ?)');
  const withR = db.prepare('INSERT INTO bench_with (rowid, x, f, r) VALUES (?, ?, ?, ?)');
  let chars = 0;
  for (let p = 1; p <= PAGES; p++) {
    const text = pageText();
    chars += text.length;
    const tokens = tokenize(text);
    without.run(p, indexForm(tokens, 'exact'), indexForm(tokens, 'folded'));
    withR.run(p, indexForm(tokens, 'exact'), indexForm(tokens, 'folded'), readingForm(tokens));
    await index.putPage({ itemId: `han-${Math.ceil(p / 100)}`, canvas: ((p - 1) % 100) + 1, imageId: 'x', language: 'lzh', text, lines: [] });
  }
  // Each item's record: the item table (all its pages' text in a row) and its terms are written then.
  for (let n = 1; n <= PAGES / 100; n++) await index.putRecord(hanRecord(`han-${n}`, '', `han ${n}`));
  db.exec("INSERT INTO bench_without (bench_without) VALUES ('optimize'); INSERT INTO bench_with (bench_with) VALUES ('optimize')");
  const size = (glob: string) => (db.prepare('SELECT sum(pgsize) AS n FROM dbstat WHERE name GLOB ?').get(glob) as { n: number }).n;
  const a = size('bench_without_*');
  const b = size('bench_with_*');
  const total = size('*') - a - b;
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`${PAGES} Han pages of 200 characters (${chars} characters with line breaks), from ${source.length} characters of text`);
  console.log(`FTS5 page table without the reading column: ${kb(a)}; with it: ${kb(b)} (${(b / a).toFixed(2)}×)`);
  console.log(`whole embedded index of those pages (text, lines, terms, page and item tables): ${kb(total)}; without the reading column it would be ${kb(total - (b - a))} → ${(total / (total - (b - a))).toFixed(2)}× (the reading column is in the page table only)`);
  db.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
