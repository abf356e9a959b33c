/**
 * Content Search counts a book's hits from the folded tokens the embedded index keeps, and finds the
 * boxes of the hits it shows from the OCR words: both ways must agree, or totals and pages would not
 * match the hits listed. Checked on pages of words that fold alike, Han runs, Extension B, phrases and
 * line breaks, stored and read back through the real index.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'mocha';
import { assert } from 'chai';
import { findHits } from '../../server/search/content-search.js';
import { parseQuery } from '../../server/search/query.js';
import { SEARCH_MIGRATIONS, SqliteSearchIndex } from '../../server/search/sqlite-index.js';
import { openDatabase } from '../../server/storage/sqlite.js';

const WORDS = ['và', 'va', 'của', 'người', 'thư', 'viện', 'Thư', 'má', 'mà', 'ma', '人', '之', '初', '人之', '𡎝', 'digi-'];

describe('Content Search: hits counted from the stored folded tokens equal hits found from the words', function () {
  it('on 200 random pages and 8 queries, totals, line counts and every page of hits agree', async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vankho-cs-'));
    const db = openDatabase(path.join(dir, 'c.db'), SEARCH_MIGRATIONS);
    try {
      const index = new SqliteSearchIndex(db);
      let seed = 11;
      const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      for (let canvas = 1; canvas <= 200; canvas++) {
        const lines = Array.from({ length: 4 }, (_, i) => {
          const words = Array.from({ length: 7 }, (_, j) => ({ x: j * 50, y: i * 40, w: 45, h: 30, text: WORDS[Math.floor(random() * WORDS.length)]!, confidence: 0.9 }));
          return { x: 0, y: i * 40, w: 350, h: 30, text: words.map((w) => w.text).join(' '), words };
        });
        await index.putPage({ itemId: 'sach', canvas, imageId: `p${canvas}`, language: 'vi', text: lines.map((l) => l.text).join('\n'), lines });
      }
      let checked = 0;
      for (const q of ['va', 'và', '"thu vien"', '人之', '人 之 初', '𡎝 ma', '"ma ma"', 'digi']) {
        const query = parseQuery(q);
        const pages = await index.searchItem('sach', query, 10_000);
        assert.isAbove(pages.length, 0, q);
        const fromWords = pages.map(({ folded: _folded, ...p }) => ({ ...p, text: p.text, lines: p.lines }));
        const counted = findHits(pages, query, 1, 10_000);
        const found = findHits(fromWords, query, 1, 10_000);
        assert.deepEqual([counted.total, counted.annotations], [found.total, found.annotations], q);
        assert.strictEqual(counted.hits.length, counted.total, `${q}: every hit counted is listed`);
        for (let page = 1; page <= Math.ceil(counted.total / 7); page++) {
          const a = findHits(pages, query, page, 7);
          const b = findHits(fromWords, query, page, 7);
          assert.deepEqual(a, b, `${q}: page ${page} of 7 hits`);
          checked++;
        }
      }
      assert.isAbove(checked, 20);
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
