/**
 * Search-by-reading recall on an independent transcription (test/helpers/han-recall.ts says how): the
 * share of verses of the Tam tự kinh found by their Sino-Vietnamese reading, typed with diacritics and
 * without, every miss listed. No timing: a data measurement. Goal (issue 11): at least 95 %.
 *
 *   npx tsx bench/han-recall.ts
 */
import { measureRecall, TRANSCRIPTION } from '../test/helpers/han-recall.js';

const r = await measureRecall();
console.log(`transcription: ${TRANSCRIPTION}`);
console.log(`characters whose reading there the table has: ${r.characters.read} / ${r.characters.total} (${((100 * r.characters.read) / r.characters.total).toFixed(1)} %)`);
console.log(`  with Unihan's kVietnamese alone: ${r.characters.unihan} / ${r.characters.total} (${((100 * r.characters.unihan) / r.characters.total).toFixed(1)} %)`);
console.log(`queries found: ${r.found} / ${r.queries} (${((100 * r.found) / r.queries).toFixed(1)} %)`);
for (const m of r.misses) console.log(`  missed "${m.query}" (${m.han}): ${m.why}`);
