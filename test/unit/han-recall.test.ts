/**
 * Issue 11's recall goal, kept: the Tam tự kinh's verses (an independent transcription, not from the
 * table's sources) found by their Sino-Vietnamese reading, with diacritics and without, on the embedded
 * index — at least 95 %, every miss named. `npx tsx bench/han-recall.ts` prints the same figures.
 */
import { assert } from 'chai';
import { describe, it } from 'mocha';
import { measureRecall, verses } from '../helpers/han-recall.js';

describe('Search by reading: recall on an independent transcription', () => {
  it('finds at least 95 % of the Tam tự kinh’s verses by their reading, typed with diacritics or without', async () => {
    const all = verses();
    assert.isAtLeast(all.length, 60, 'the transcription');
    const r = await measureRecall(all);
    assert.strictEqual(r.queries, 2 * all.length);
    const misses = r.misses.map((m) => `"${m.query}" (${m.han}): ${m.why}`).join('\n');
    assert.isAtLeast(r.found / r.queries, 0.95, `found ${r.found} of ${r.queries}; missed:\n${misses}`);
  });

  it('names a miss and why: a verse read wrongly is not found', async () => {
    // 初 is not read "xuân": the measurement must see it, and name the character.
    const r = await measureRecall([{ han: '人之初', reading: 'nhân chi xuân' }, { han: '性本善', reading: 'tính bản thiện' }]);
    assert.strictEqual(r.queries, 4);
    assert.strictEqual(r.found, 2);
    assert.deepEqual(r.misses.map((m) => m.query), ['nhân chi xuân', 'nhan chi xuan']);
    assert.match(r.misses[0]!.why, /^初 read xuân: the table has sơ/);
  });
});
