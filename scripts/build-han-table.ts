/**
 * Developer script (not a step of `npm run build`): builds data/han/han-table.tsv, the Han
 * character table that server/han/table.ts reads at run time, from the Unicode Han database (Unihan)
 * as Debian's unicode-data package ships it (/usr/share/unicode/Unihan_*.txt.bz2, decompressed with
 * the `bzip2 -dc` command) and from data/han/curated-readings.tsv.
 *
 *   npx tsx scripts/build-han-table.ts [--unicode-dir DIR] [--check]
 *
 * --check writes nothing: it exits 1, with a summary of the differences, when the committed table is
 * not what this script would write (test/unit/han-table.test.ts runs it when /usr/share/unicode has
 * the Unihan files).
 *
 * What goes in: kVietnamese from Unihan_Readings.txt (mostly the Sino-Vietnamese reading) and the
 * variant fields below from Unihan_Variants.txt, their `<source` annotations stripped. The output is
 * deterministic: one line per character, sorted by code point, `char TAB readings TAB variants`:
 * - readings: Unihan's kVietnamese, space-separated, NFC, in Unihan's order (not by use);
 * - (a fourth field, only when the curated file has the character) its curated readings, in their
 *   order, the usual one in Nôm text first (table.ts merges the two: Unihan's, then curated ones it lacks);
 * - variants: the characters themselves, no separator, by code point. The relations are made
 *   symmetric (A lists B, so B lists A) but not transitive, and a character never lists itself.
 * Every character is NFC: the CJK compatibility ideographs that NFC maps to a unified ideograph
 * (U+F900 豈 → U+8C48 豈) are merged into it, since searched text is NFC too.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TABLE_PATH = path.join(projectRoot, 'data', 'han', 'han-table.tsv');
export const CURATED_PATH = path.join(projectRoot, 'data', 'han', 'curated-readings.tsv');
export const DEFAULT_UNICODE_DIR = '/usr/share/unicode';

/** The Unihan_Variants.txt fields taken (kSpoofingVariant is not: look-alikes, not the same word). */
const VARIANT_FIELDS = new Set(['kTraditionalVariant', 'kSimplifiedVariant', 'kSemanticVariant', 'kSpecializedSemanticVariant', 'kZVariant']);

/** One line of curated-readings.tsv. */
export interface CuratedEntry {
  char: string;
  readings: string[];
  source: string;
  line: number;
}

/**
 * Parses curated-readings.tsv: `char TAB readings TAB source`, readings space-separated; lines
 * starting with # and blank lines are comments. Throws, naming the line, on anything else.
 */
export function parseCurated(text: string): CuratedEntry[] {
  const entries: CuratedEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const where = `curated-readings.tsv line ${i + 1}`;
    const fields = line.split('\t');
    if (fields.length !== 3) throw new Error(`${where}: expected char<TAB>readings<TAB>source, got ${fields.length} field(s)`);
    const [char = '', readingText = '', source = ''] = fields.map((f) => f.trim());
    if ([...char].length !== 1 || !isHan(char)) throw new Error(`${where}: "${char}" is not one Han character`);
    const readings = readingText.normalize('NFC').split(/\s+/).filter(Boolean);
    if (readings.length === 0) throw new Error(`${where}: no reading`);
    for (const r of readings) if (!/^\p{Ll}+$/u.test(r)) throw new Error(`${where}: "${r}" is not a lower-case syllable`);
    if (source === '') throw new Error(`${where}: no source`);
    entries.push({ char: char.normalize('NFC'), readings, source, line: i + 1 });
  });
  return entries;
}

/** Unified or compatibility ideograph, any plane. */
function isHan(ch: string): boolean {
  return /^\p{Script=Han}$/u.test(ch);
}

/** `U+4E00` → 一. */
function fromCodePoint(token: string): string {
  const m = /^U\+([0-9A-F]{4,6})$/.exec(token);
  if (!m?.[1]) throw new Error(`not a code point: ${token}`);
  return String.fromCodePoint(parseInt(m[1], 16));
}

/** Reads a .bz2 Unihan file with `bzip2 -dc`, line by line: its data lines and its Unicode version. */
async function readUnihan(file: string, onLine: (cp: string, field: string, value: string) => void): Promise<string> {
  if (!existsSync(file)) throw new Error(`${file} not found (Debian/Ubuntu: apt-get install unicode-data bzip2)`);
  const child = spawn('bzip2', ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  let version = '';
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (line.startsWith('#')) {
      const m = /^# Unicode version: (\S+)/.exec(line);
      if (m?.[1]) version = m[1];
      continue;
    }
    if (line === '') continue;
    const [cp = '', field = '', value = ''] = line.split('\t');
    onLine(cp, field, value);
  }
  const code = await exited;
  if (code !== 0) throw new Error(`bzip2 -dc ${file} failed (${code}): ${stderr.trim()}`);
  if (!version) throw new Error(`${file}: no "# Unicode version:" line`);
  return version;
}

interface Row {
  readings: string[];
  variants: Set<string>;
  /** The curated readings alone, in their order (most usual in Nôm text first). */
  nom: string[];
}

/** The table's text, as it is committed, built from the Unihan files in unicodeDir and the curated file. */
export async function buildTable(unicodeDir: string, curatedText: string): Promise<string> {
  const rows = new Map<string, Row>();
  const row = (ch: string): Row => {
    let r = rows.get(ch);
    if (!r) rows.set(ch, (r = { readings: [], variants: new Set(), nom: [] }));
    return r;
  };
  const addReadings = (ch: string, readings: readonly string[]) => {
    const r = row(ch);
    for (const reading of readings) if (!r.readings.includes(reading)) r.readings.push(reading);
  };

  const readingsVersion = await readUnihan(path.join(unicodeDir, 'Unihan_Readings.txt.bz2'), (cp, field, value) => {
    if (field !== 'kVietnamese') return;
    addReadings(fromCodePoint(cp).normalize('NFC'), value.normalize('NFC').split(/\s+/).filter(Boolean));
  });
  const variantsVersion = await readUnihan(path.join(unicodeDir, 'Unihan_Variants.txt.bz2'), (cp, field, value) => {
    if (!VARIANT_FIELDS.has(field)) return;
    const a = fromCodePoint(cp).normalize('NFC');
    for (const token of value.split(/\s+/).filter(Boolean)) {
      const b = fromCodePoint(token.replace(/<.*$/, '')).normalize('NFC');
      if (a === b) continue;
      row(a).variants.add(b);
      row(b).variants.add(a);
    }
  });
  if (readingsVersion !== variantsVersion) throw new Error(`Unihan files of different versions: ${readingsVersion}, ${variantsVersion}`);

  const curated = parseCurated(curatedText);
  for (const entry of curated) {
    const nom = row(entry.char).nom;
    for (const reading of entry.readings) if (!nom.includes(reading)) nom.push(reading);
  }

  const chars = [...rows.keys()].sort((x, y) => (x.codePointAt(0) ?? 0) - (y.codePointAt(0) ?? 0));
  const byCodePoint = (x: string, y: string) => (x.codePointAt(0) ?? 0) - (y.codePointAt(0) ?? 0);
  const lines = chars.map((ch) => {
    const r = rows.get(ch) as Row;
    return `${ch}\t${r.readings.join(' ')}\t${[...r.variants].sort(byCodePoint).join('')}${r.nom.length > 0 ? `\t${r.nom.join(' ')}` : ''}`;
  });
  const withReading = chars.filter((ch) => (rows.get(ch) as Row).readings.length + (rows.get(ch) as Row).nom.length > 0).length;
  const header = [
    '# Văn Khố Han character table: Vietnamese readings and variants of Han characters.',
    '# Generated by scripts/build-han-table.ts: do not edit by hand (add readings to curated-readings.tsv).',
    `# Unicode version: ${readingsVersion}`,
    '# Sources: Unihan_Readings.txt (kVietnamese) and Unihan_Variants.txt (kTraditionalVariant,',
    '# kSimplifiedVariant, kSemanticVariant, kSpecializedSemanticVariant, kZVariant) of the Unicode',
    '# Character Database, © Unicode, Inc., under the Unicode licence (LICENSE-Unicode.txt, this folder),',
    `# modified: fields selected and merged with ${curated.length} curated entries (curated-readings.tsv).`,
    '# Format: char TAB Unihan readings (space-separated, Unihan order) TAB variants (characters,',
    '# no separator; relations made symmetric, not transitive) [TAB the curated (Nôm) readings alone, most',
    '# usual first]. Sorted by code point; NFC. Unihan does not order a character\'s readings by use.',
    `# Characters: ${chars.length}; with a reading: ${withReading}.`,
  ];
  return [...header, ...lines].join('\n') + '\n';
}

/** What differs between two versions of the table, for --check (data lines, keyed by character). */
function diffSummary(committed: string, generated: string): string {
  const data = (text: string) => new Map(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('\t')), l] as const));
  const before = data(committed);
  const after = data(generated);
  const added = [...after.keys()].filter((ch) => !before.has(ch));
  const removed = [...before.keys()].filter((ch) => !after.has(ch));
  const changed = [...after.keys()].filter((ch) => before.has(ch) && before.get(ch) !== after.get(ch));
  const headerDiffers = committed.split('\n').filter((l) => l.startsWith('#')).join('\n') !== generated.split('\n').filter((l) => l.startsWith('#')).join('\n');
  const show = (chars: string[]) => chars.slice(0, 10).join(' ') + (chars.length > 10 ? ' …' : '');
  const out = [`han-table.tsv is not what scripts/build-han-table.ts generates:`];
  if (added.length) out.push(`  ${added.length} character(s) missing from it: ${show(added)}`);
  if (removed.length) out.push(`  ${removed.length} character(s) that would no longer be in it: ${show(removed)}`);
  if (changed.length) out.push(`  ${changed.length} line(s) that would change: ${show(changed)}`);
  if (headerDiffers) out.push('  its header comments differ');
  out.push('Regenerate it: npx tsx scripts/build-han-table.ts');
  return out.join('\n');
}

async function main(argv: string[]): Promise<number> {
  let unicodeDir = DEFAULT_UNICODE_DIR;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') check = true;
    else if (arg === '--unicode-dir' && argv[i + 1]) unicodeDir = argv[++i] as string;
    else {
      process.stderr.write('usage: npx tsx scripts/build-han-table.ts [--unicode-dir DIR] [--check]\n');
      return 2;
    }
  }
  const generated = await buildTable(unicodeDir, readFileSync(CURATED_PATH, 'utf8'));
  const committed = existsSync(TABLE_PATH) ? readFileSync(TABLE_PATH, 'utf8') : '';
  if (check) {
    if (committed === generated) {
      process.stdout.write(`${path.relative(process.cwd(), TABLE_PATH)} is up to date\n`);
      return 0;
    }
    process.stdout.write(diffSummary(committed, generated) + '\n');
    return 1;
  }
  writeFileSync(TABLE_PATH, generated);
  process.stdout.write(`wrote ${path.relative(process.cwd(), TABLE_PATH)} (${Buffer.byteLength(generated)} bytes)\n`);
  return 0;
}

// Run as a script, not when a test imports parseCurated.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
