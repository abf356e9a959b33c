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
import { CURATED_PATH, DEFAULT_M17N_DIR, DEFAULT_UNICODE_DIR, fromTelex, parseCurated, readM17n } from '../../scripts/build-han-table.js';
import { projectRoot } from '../../server/config.js';
import { HAN_TABLE_PATH, canonicalOf, hanTableInfo, readingsOf, searchReadingsOf, specialisedVariantsOf, variantsOf } from '../../server/han/table.js';
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

  it('adds HueCIT’s Sino-Vietnamese readings (m17n-db vi-han) to Unihan’s, which lacks many common characters', () => {
    // Unihan 15 has no kVietnamese for 黃 辰 雨 學's simplified form 学; kVietnamese of 子 is tí only.
    assert.deepEqual(readingsOf('黃'), ['hoàng', 'huỳnh']);
    assert.includeMembers([...readingsOf('辰')], ['thần', 'thìn']);
    assert.deepEqual(readingsOf('雨'), ['vũ']);
    assert.deepEqual(readingsOf('学'), ['học']);
    assert.includeMembers([...readingsOf('子')], ['tí', 'tử']);
    // HueCIT's Nôm readings only where no other source reads the character (𡎝 has Unihan's cõi).
    assert.notInclude(readingsOf('對'), 'tối', 'one of the Nôm input method’s twelve readings of 對');
  });

  it('writes the Telex keys of the m17n tables in Quốc ngữ, tone marks where Unihan puts them', () => {
    const cases: [string, string][] = [['hoangf', 'hoàng'], ['chwowng', 'chương'], ['ddaij', 'đại'], ['hoas', 'hoá'], ['thuyr', 'thuỷ'], ['giaf', 'già'], ['gif', 'gì'], ['quoocs', 'quốc'], ['khuyeenr', 'khuyển'], ['huynhf', 'huỳnh'], ['mias', 'mía'], ['mwa', 'mưa'], ['nguwowif', 'người'], ['khuyur', 'khuỷu'], ['hoaif', 'hoài'], ['cooix', 'cỗi']];
    for (const [key, syllable] of cases) assert.strictEqual(fromTelex(key), syllable, key);
    assert.isNull(fromTelex('zzz'), 'not a syllable');
    const read = readM17n('(map ("nhaan" ("人仁" "因")) ("chi" ?之) ("x1" ("乙")))');
    assert.deepEqual([...read.entries()], [['人', ['nhân']], ['仁', ['nhân']], ['因', ['nhân']], ['之', ['chi']]]);
  });

  it('gives [] without throwing for what has no reading', () => {
    assert.deepEqual(readingsOf('㐀'), [], 'U+3400 has no reading in any source');
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

  it('folds a variant class into one form for search, transitively (爲 為 为), reading as the whole class', () => {
    assert.strictEqual(canonicalOf('學'), canonicalOf('学'));
    assert.strictEqual(canonicalOf('爲'), canonicalOf('為'));
    assert.strictEqual(canonicalOf('为'), canonicalOf('爲'), '为 is 為’s simplified form, a semantic variant of 爲');
    assert.strictEqual(canonicalOf('人'), '人', 'no variant: itself');
    assert.includeMembers([...searchReadingsOf(canonicalOf('學'))], ['học']);
  });

  it('keeps specialised semantic variants, and semantic ones only Lau’s Cantonese dictionary gives, apart', () => {
    // Unihan: 子 kSemanticVariant 只<kLau; 雨 kSpecializedSemanticVariant 馭.
    assert.notStrictEqual(canonicalOf('子'), canonicalOf('只'));
    assert.include(specialisedVariantsOf('子'), '只');
    assert.notStrictEqual(canonicalOf('雨'), canonicalOf('馭'));
    assert.include(specialisedVariantsOf('雨'), '馭');
    assert.notInclude(variantsOf('雨'), '馭');
  });

  it('keeps apart a simplified form that stands for several words: 丑 (the year Sửu) does not find 醜', () => {
    for (const [a, b] of [['干', '乾'], ['干', '幹'], ['云', '雲'], ['丑', '醜'], ['后', '後'], ['发', '髮'], ['余', '餘']]) {
      assert.notStrictEqual(canonicalOf(a as string), canonicalOf(b as string), `${a} ${b}`);
      assert.include(specialisedVariantsOf(a as string), b, `${a} lists ${b} apart`);
    }
    // One to one, or one form for several that are one character anyway: folded.
    for (const [a, b] of [['学', '學'], ['国', '國'], ['说', '說'], ['为', '為'], ['为', '爲']]) assert.strictEqual(canonicalOf(a as string), canonicalOf(b as string), `${a} ${b}`);
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
    if (!existsSync(path.join(DEFAULT_UNICODE_DIR, 'Unihan_Readings.txt.bz2')) || !existsSync(path.join(DEFAULT_M17N_DIR, 'vi-han.mim'))) this.skip();
    // And only with the m17n-db the table names (Debian 12's 1.8.0).
    const m17n = /^Version: (\S+?)(-|$)/m.exec(await run('dpkg-query', ['-s', 'm17n-db']).catch(() => ''))?.[1];
    if (m17n !== '1.8.0') {
      console.log(`      skipped: m17n-db ${m17n ?? '(not from dpkg)'} installed, the table is of m17n-db 1.8.0`);
      this.skip();
    }
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
