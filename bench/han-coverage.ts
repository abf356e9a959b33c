/**
 * Coverage of the Han character table on the Han pages we have: the share of Han characters in the
 * ground-truth transcriptions of ../shared/data/ocr (*.gt.txt) that have a Vietnamese reading, as
 * Literary Chinese and as Nôm, and every character without one. No timing: a data measurement.
 *
 *   npx tsx bench/han-coverage.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hanTableInfo, readingsIn } from '../server/han/table.js';
import { data } from '../test/helpers/shared.js';

const dir = path.dirname(data('ocr', 'han_vertical_01.gt.txt'));
const info = hanTableInfo();
console.log(`table: ${info.characters} characters, ${info.withReading} with a reading (Unicode ${info.unicodeVersion})`);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.gt.txt'))) {
  const chars = [...readFileSync(path.join(dir, file), 'utf8')].filter((c) => /\p{Script=Han}/u.test(c));
  if (chars.length === 0) continue;
  for (const kind of ['han', 'nom'] as const) {
    const missing = chars.filter((c) => readingsIn(c, kind).length === 0);
    const several = chars.filter((c) => readingsIn(c, kind).length > 1);
    const share = (100 * (chars.length - missing.length)) / chars.length;
    console.log(
      `${file} as ${kind === 'han' ? 'Literary Chinese' : 'Nôm'}: ${chars.length} Han characters, ${share.toFixed(1)} % with a reading; ` +
        `${several.length} with several shown; without: ${[...new Set(missing)].join(' ') || 'none'}`,
    );
  }
}
