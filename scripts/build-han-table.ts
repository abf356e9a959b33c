/**
 * Developer script (not a step of `npm run build`): builds data/han/han-table.tsv, the Han
 * character table that server/han/table.ts reads at run time, from the Unicode Han database (Unihan)
 * as Debian's unicode-data package ships it (/usr/share/unicode/Unihan_*.txt.bz2, decompressed with
 * the `bzip2 -dc` command) and from data/han/curated-readings.tsv.
 *
 *   npx tsx scripts/build-han-table.ts [--unicode-dir DIR] [--m17n-dir DIR] [--check]
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

/**
 * The Unihan_Variants.txt fields taken as the same character in another form (search folds them into
 * one); kSpecializedSemanticVariant is kept apart (the same only in some senses, and often read
 * differently); kSpoofingVariant is not taken (look-alikes, not the same word).
 */
const VARIANT_FIELDS = new Set(['kTraditionalVariant', 'kSimplifiedVariant', 'kSemanticVariant', 'kZVariant']);
const SPECIALISED_FIELD = 'kSpecializedSemanticVariant';

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

/** HueCIT's input-method tables in Debian's m17n-db: Sino-Vietnamese (vi-han) and Nôm (vi-nom) readings. */
export const DEFAULT_M17N_DIR = '/usr/share/m17n';

const TONES: Record<string, number> = { s: 1, f: 2, r: 3, x: 4, j: 5 };
// Each vowel with no tone, sắc, huyền, hỏi, ngã, nặng.
const TONED: Record<string, string> = {
  a: 'aáàảãạ', ă: 'ăắằẳẵặ', â: 'âấầẩẫậ', e: 'eéèẻẽẹ', ê: 'êếềểễệ', i: 'iíìỉĩị',
  o: 'oóòỏõọ', ô: 'ôốồổỗộ', ơ: 'ơớờởỡợ', u: 'uúùủũụ', ư: 'ưứừửữự', y: 'yýỳỷỹỵ',
};
const INITIAL = /^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?/;

/**
 * A syllable typed in Telex, as the m17n tables spell their keys (`hoangf` hoàng, `chwowng` chương,
 * `ddaij` đại), written in Quốc ngữ with the tone mark where Unihan puts it (the "new" style: hoá, thuỷ,
 * but mía, múa; on the vowel with a hat or horn; else before a final consonant on the last vowel).
 * null for a key that is not one Vietnamese syllable.
 */
export function fromTelex(key: string): string | null {
  let tone = 0;
  let s = key;
  const last = s.at(-1) ?? '';
  if (last in TONES && s.length > 1) {
    tone = TONES[last] as number;
    s = s.slice(0, -1);
  }
  s = s.replace(/^dd/, 'đ').replace(/aa/g, 'â').replace(/ee/g, 'ê').replace(/oo/g, 'ô')
    .replace(/aw/g, 'ă').replace(/ow/g, 'ơ').replace(/uw/g, 'ư').replace(/w/g, 'ư');
  // The initial; "gi" before a consonant or nothing is g + the vowel i (gì, gìn).
  let initial = INITIAL.exec(s)?.[0] ?? '';
  if (initial === 'gi' && !/^[aăâeêoôơuưy]/.test(s.slice(2))) initial = 'g';
  const rest = s.slice(initial.length);
  const m = /^([aăâeêioôơuưy]+)(c|ch|m|n|ng|nh|p|t)?$/.exec(rest);
  if (!m?.[1]) return null;
  const nucleus = m[1];
  const final = m[2] ?? '';
  const vowels = [...nucleus];
  let at: number;
  const hat = vowels.findIndex((v) => 'ăâêôơ'.includes(v));
  if (hat >= 0) at = hat;
  else if (vowels.includes('ư')) at = vowels.indexOf('ư');
  else if (final || vowels.length === 1) at = vowels.length - 1;
  else if (vowels.length === 3) at = 1;
  else at = ['oa', 'oe', 'uy'].includes(nucleus) ? 1 : 0;
  const v = vowels[at] as string;
  vowels[at] = (TONED[v] as string)[tone] as string;
  return (initial + vowels.join('') + final).normalize('NFC');
}

/**
 * Reads an m17n input-method table (`("key" ("candidates" …))` or `("key" ?c)`): for each Han character,
 * the syllables that type it — first those it comes earliest among the candidates of (an input method
 * lists a syllable's usual characters first: 子 is the first of tử, not of tí), then by the file's order.
 * Keys that are not one syllable are left out; so are candidates that are not one Han character.
 */
export function readM17n(text: string): Map<string, string[]> {
  const found = new Map<string, { syllable: string; rank: number }[]>();
  const entry = /\("([a-z]+)"\s+(?:\?(\S)|\(((?:\s*"[^"]*")+)\s*\))\s*\)/gu;
  for (const m of text.matchAll(entry)) {
    const syllable = fromTelex(m[1] as string);
    if (!syllable) continue;
    const candidates = m[2] ?? [...(m[3] ?? '').matchAll(/"([^"]*)"/g)].map((c) => c[1]).join('');
    Array.from(candidates).forEach((raw, rank) => {
      if (!isHan(raw)) return;
      const ch = raw.normalize('NFC');
      const list = found.get(ch) ?? [];
      if (!list.some((r) => r.syllable === syllable)) list.push({ syllable, rank });
      found.set(ch, list);
    });
  }
  // Array.prototype.sort is stable: equal ranks keep the file's order.
  return new Map([...found].map(([ch, list]) => [ch, list.sort((a, b) => a.rank - b.rank).map((r) => r.syllable)]));
}

/**
 * Traditional/simplified pairs go with the variants (folded together by search) when the simplification
 * is one to one (学 學), or when the several characters one form stands for are already one character in
 * other forms (为 for 為 and 爲, semantic variants of each other). Where one simplified form merged
 * different words (干 for 乾 and 幹, 云 for 雲, 丑 for 醜, 后 for 後), the pairs are kept apart: in a Hán
 * text 丑 (the year Sửu) must not find 醜.
 */
function foldSimplified(pairs: readonly [string, string][], row: (ch: string) => Row): void {
  const key = ([s, t]: readonly [string, string]) => `${s} ${t}`;
  // A pair [c, c]: c is also a form of its own (云 is simplified 雲 and the traditional word 云).
  const own = new Set(pairs.filter(([s, t]) => s === t).map(([s]) => s));
  const unique = [...new Map(pairs.filter(([s, t]) => s !== t).map((p) => [key(p), p])).values()];
  const trads = new Map<string, Set<string>>();
  const simps = new Map<string, Set<string>>();
  for (const [s, t] of unique) {
    trads.set(s, (trads.get(s) ?? new Set()).add(t));
    simps.set(t, (simps.get(t) ?? new Set()).add(s));
  }
  const oneToOne = ([s, t]: readonly [string, string]) => trads.get(s)?.size === 1 && simps.get(t)?.size === 1 && !own.has(s) && !own.has(t);
  for (const [s, t] of unique.filter(oneToOne)) {
    row(s).variants.add(t);
    row(t).variants.add(s);
  }
  // Classes so far (semantic, Z and one-to-one pairs), to see whether several characters are one.
  const parent = new Map<string, string>();
  const root = (ch: string): string => {
    let r = ch;
    while (parent.has(r)) r = parent.get(r) as string;
    return r;
  };
  const seen = new Set<string>();
  for (const [s, t] of unique) for (const ch of [s, t]) seen.add(ch);
  const walk = (start: string) => {
    // Every character linked to start by the variants found so far joins its class.
    const stack = [start];
    const r = root(start);
    while (stack.length > 0) {
      const ch = stack.pop() as string;
      for (const v of row(ch).variants) if (root(v) !== r) {
        parent.set(root(v), r);
        stack.push(v);
      }
    }
  };
  for (const ch of seen) walk(ch);
  for (const [s, t] of unique.filter((p) => !oneToOne(p))) {
    // One form for several that are one character in other forms (为: 為 爲) is folded; else kept apart.
    const kind = !own.has(s) && !own.has(t) && new Set([...(trads.get(s) ?? [])].map(root)).size === 1 && (simps.get(t)?.size ?? 0) <= 1 ? 'variants' : 'specialised';
    row(s)[kind].add(t);
    row(t)[kind].add(s);
  }
}

interface Row {
  readings: string[];
  variants: Set<string>;
  specialised: Set<string>;
  /** HueCIT's Sino-Vietnamese (vi-han) and Nôm (vi-nom) readings (readM17n's order). */
  hanviet: string[];
  hueNom: string[];
  /** The curated readings alone, in their order (most usual in Nôm text first). */
  nom: string[];
}

/** The table's text, as it is committed, built from the Unihan files in unicodeDir and the curated file. */
export async function buildTable(unicodeDir: string, curatedText: string, m17nDir = DEFAULT_M17N_DIR): Promise<string> {
  const rows = new Map<string, Row>();
  const row = (ch: string): Row => {
    let r = rows.get(ch);
    if (!r) rows.set(ch, (r = { readings: [], variants: new Set(), specialised: new Set(), hanviet: [], hueNom: [], nom: [] }));
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
  // Traditional/simplified pairs (simplified, traditional), decided after all are read.
  const simplified: [string, string][] = [];
  const variantsVersion = await readUnihan(path.join(unicodeDir, 'Unihan_Variants.txt.bz2'), (cp, field, value) => {
    if (!VARIANT_FIELDS.has(field) && field !== SPECIALISED_FIELD) return;
    const a = fromCodePoint(cp).normalize('NFC');
    if (field === 'kTraditionalVariant' || field === 'kSimplifiedVariant') {
      for (const token of value.split(/\s+/).filter(Boolean)) {
        const b = fromCodePoint(token.replace(/<.*$/, '')).normalize('NFC');
        // A character listed as its own traditional (or simplified) form is a word of its own too (云
        // "say" beside 雲 "cloud"): its pairs are an ambiguity, kept as the pair [a, a].
        simplified.push(field === 'kTraditionalVariant' ? [a, b] : [b, a]);
      }
      return;
    }
    for (const token of value.split(/\s+/).filter(Boolean)) {
      // A semantic variant that only Lau's Cantonese dictionary gives (子 and 只) is kept apart too.
      const sources = /<(.*)$/.exec(token)?.[1]?.split(',').map((s) => s.replace(/:.*$/, '')) ?? [];
      const kind = field === SPECIALISED_FIELD || (field === 'kSemanticVariant' && sources.length > 0 && sources.every((s) => s === 'kLau')) ? 'specialised' : 'variants';
      const b = fromCodePoint(token.replace(/<.*$/, '')).normalize('NFC');
      if (a === b) continue;
      row(a)[kind].add(b);
      row(b)[kind].add(a);
    }
  });
  if (readingsVersion !== variantsVersion) throw new Error(`Unihan files of different versions: ${readingsVersion}, ${variantsVersion}`);
  foldSimplified(simplified, row);

  const m17n = (name: string) => {
    const file = path.join(m17nDir, name);
    if (!existsSync(file)) throw new Error(`${file} not found (Debian/Ubuntu: apt-get install m17n-db)`);
    return readM17n(readFileSync(file, 'utf8'));
  };
  for (const [ch, readings] of m17n('vi-han.mim')) row(ch).hanviet.push(...readings);
  for (const [ch, readings] of m17n('vi-nom.mim')) row(ch).hueNom.push(...readings);

  const curated = parseCurated(curatedText);
  for (const entry of curated) {
    const nom = row(entry.char).nom;
    for (const reading of entry.readings) if (!nom.includes(reading)) nom.push(reading);
  }

  const chars = [...rows.keys()].sort((x, y) => (x.codePointAt(0) ?? 0) - (y.codePointAt(0) ?? 0));
  const byCodePoint = (x: string, y: string) => (x.codePointAt(0) ?? 0) - (y.codePointAt(0) ?? 0);
  const lines = chars.map((ch) => {
    const r = rows.get(ch) as Row;
    const fields = [ch, r.readings.join(' '), [...r.variants].sort(byCodePoint).join(''), r.nom.join(' '), r.hanviet.join(' '), r.hueNom.join(' '), [...r.specialised].filter((v) => !r.variants.has(v)).sort(byCodePoint).join('')];
    return fields.join('\t').replace(/\t+$/, '');
  });
  const withReading = chars.filter((ch) => {
    const r = rows.get(ch) as Row;
    return r.readings.length + r.nom.length + r.hanviet.length + r.hueNom.length > 0;
  }).length;
  const header = [
    '# Văn Khố Han character table: Vietnamese readings and variants of Han characters.',
    '# Generated by scripts/build-han-table.ts: do not edit by hand (add readings to curated-readings.tsv).',
    `# Unicode version: ${readingsVersion}`,
    '# Sources: Unihan_Readings.txt (kVietnamese) and Unihan_Variants.txt (kTraditionalVariant,',
    '# kSimplifiedVariant, kSemanticVariant, kZVariant; kSpecializedSemanticVariant) of the Unicode',
    '# Character Database, © Unicode, Inc., under the Unicode licence (LICENSE-Unicode.txt, this folder),',
    `# modified: fields selected and merged with ${curated.length} curated entries (curated-readings.tsv);`,
    '# and the readings of the vi-han (Sino-Vietnamese) and vi-nom (Nôm) input methods of m17n-db',
    '# 1.8.0, © 2007, 2008 Thua Thien Hue Center of Information Technology (HueCIT), under the GNU LGPL',
    '# 2.1 or later (LICENSE-LGPL-2.1.txt, this folder), modified: Telex keys written in Quốc ngữ.',
    '# Format, one line a character, trailing empty fields left out; readings space-separated:',
    '#   char TAB Unihan readings (Unihan order, not by use) TAB variants (traditional, simplified,',
    '#   semantic, Z: characters, no separator; made symmetric, not transitive; folded together by',
    '#   search) TAB curated (Nôm)',
    '#   readings (most usual first) TAB HueCIT Sino-Vietnamese readings TAB HueCIT Nôm readings',
    '#   (both first where the character comes earliest among a syllable\'s candidates, then by syllable)',
    '#   TAB variants kept apart (not folded by search): specialised semantic ones, semantic ones only kLau',
    '#   gives, and simplified forms that stand for several words (干 for 乾 and 幹, 云 for 雲).',
    '# Sorted by code point; NFC.',
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
  let m17nDir = DEFAULT_M17N_DIR;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') check = true;
    else if (arg === '--unicode-dir' && argv[i + 1]) unicodeDir = argv[++i] as string;
    else if (arg === '--m17n-dir' && argv[i + 1]) m17nDir = argv[++i] as string;
    else {
      process.stderr.write('usage: npx tsx scripts/build-han-table.ts [--unicode-dir DIR] [--m17n-dir DIR] [--check]\n');
      return 2;
    }
  }
  const generated = await buildTable(unicodeDir, readFileSync(CURATED_PATH, 'utf8'), m17nDir);
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
