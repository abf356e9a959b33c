/**
 * The Han character table (server/han/table.ts): Vietnamese readings from Unihan and the curated
 * Nôm readings, variants, and that the committed table is what scripts/build-han-table.ts generates
 * (only where Debian's unicode-data is installed: /usr/share/unicode).
 */
import { assert } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'mocha';
import { CURATED_PATH, DEFAULT_UNICODE_DIR, parseCurated } from '../../scripts/build-han-table.js';
import { projectRoot } from '../../server/config.js';
import { HAN_TABLE_PATH, hanTableInfo, readingsOf, variantsOf } from '../../server/han/table.js';
import { trackChild } from '../helpers/fixtures.js';

const run = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) => execFile(cmd, args, (err, stdout) => (err ? reject(err) : resolve(stdout))));

describe('Han table: readings', () => {
  it('gives the Sino-Vietnamese reading', () => {
    assert.deepEqual(readingsOf('人'), ['nhân']);
    assert.deepEqual(readingsOf('學'), ['học']);
  });

  it('adds curated Nôm readings after Unihan’s', () => {
    assert.deepEqual(readingsOf('固'), ['cố', 'có']);
  });

  it('knows Nôm characters outside the BMP (two UTF-16 units)', () => {
    const coi = '𡎝';
    assert.strictEqual(coi.length, 2);
    assert.strictEqual(coi.codePointAt(0), 0x2139d);
    assert.deepEqual(readingsOf(coi), ['cõi']);
    for (const [ch, reading] of [['𤾓', 'trăm'], ['𢆥', 'năm'], ['𥪞', 'trong'], ['𠊛', 'người'], ['𠀧', 'ba']]) {
      assert.include(readingsOf(ch as string), reading, ch);
    }
    // Neither half of a surrogate pair is a character of the table.
    assert.deepEqual(readingsOf(coi[0] as string), []);
  });

  it('keeps several readings in Unihan’s order', () => {
    assert.deepEqual(readingsOf('托'), ['thác', 'thách', 'thốc', 'thước', 'thướt']);
  });

  it('gives [] without throwing for what has no reading', () => {
    assert.deepEqual(readingsOf('学'), []);
    assert.deepEqual(readingsOf('a'), []);
    assert.deepEqual(readingsOf(''), []);
    assert.deepEqual(readingsOf('人人'), []);
    assert.deepEqual(variantsOf('字'), []);
  });

  it('finds a compatibility ideograph as its unified form', () => {
    assert.deepEqual(readingsOf('\uFA18'), readingsOf('礼'));
    assert.include(readingsOf('\uFA18'), 'lễ');
  });
});

describe('Han table: variants', () => {
  it('links traditional and simplified both ways', () => {
    assert.include(variantsOf('學'), '学');
    assert.include(variantsOf('学'), '學');
  });

  it('links semantic variants both ways', () => {
    assert.include(variantsOf('爲'), '為');
    assert.include(variantsOf('為'), '爲');
    assert.notInclude(variantsOf('爲'), '爲');
  });
});

describe('Han table: size and sources', () => {
  it('has Unihan’s readings, half of them outside the BMP', () => {
    const info = hanTableInfo();
    assert.match(info.unicodeVersion, /^\d+\.\d+\.\d+$/);
    assert.isAtLeast(info.withReading, 8000);
    assert.isAtLeast(info.characters, info.withReading);
    let outsideBmp = 0;
    for (const line of readFileSync(HAN_TABLE_PATH, 'utf8').split('\n')) {
      const [ch = '', readings = ''] = line.split('\t');
      if (!line.startsWith('#') && readings && (ch.codePointAt(0) ?? 0) > 0xffff) outsideBmp++;
    }
    assert.isAtLeast(outsideBmp, 3000);
    assert.isBelow(readFileSync(HAN_TABLE_PATH).length, 1 << 20);
  });

  it('names a source for every curated reading, and merges them all', () => {
    const curated = parseCurated(readFileSync(CURATED_PATH, 'utf8'));
    assert.isAtLeast(curated.length, 60);
    const seen = new Set<string>();
    for (const entry of curated) {
      assert.isAbove(entry.source.length, 10, `line ${entry.line}`);
      assert.isFalse(seen.has(entry.char), `line ${entry.line}: ${entry.char} twice`);
      seen.add(entry.char);
      for (const r of entry.readings) assert.include(readingsOf(entry.char), r, `line ${entry.line}: ${entry.char}`);
    }
  });

  it('rejects a curated line without a source', () => {
    assert.throws(() => parseCurated('字\tchữ\t\n'), /line 1: no source/);
    assert.throws(() => parseCurated('字\tchữ\n'), /line 1/);
  });
});

describe('Han table: generation', () => {
  it('is what scripts/build-han-table.ts generates (--check)', async function () {
    if (!existsSync(path.join(DEFAULT_UNICODE_DIR, 'Unihan_Readings.txt.bz2'))) this.skip();
    // Only against the Unicode version the table was built from (Debian 12's unicode-data: 15.0.0).
    const installed = /^Version: (\S+?)(-|$)/m.exec(await run('dpkg-query', ['-s', 'unicode-data']).catch(() => ''))?.[1];
    if (installed !== hanTableInfo().unicodeVersion) {
      console.log(`      skipped: unicode-data ${installed ?? '(not from dpkg)'} installed, the table is of Unicode ${hanTableInfo().unicodeVersion}`);
      this.skip();
    }
    const script = path.join(projectRoot, 'scripts', 'build-han-table.ts');
    const result = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', script, '--check'], { cwd: projectRoot }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
      });
      trackChild(child, 'build-han-table --check');
    });
    assert.strictEqual(result.code, 0, result.out);
  });
});
