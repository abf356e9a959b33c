/**
 * Vietnamese readings and variants of Han characters, from data/han/han-table.tsv (Unihan's
 * kVietnamese and variant fields, curated Nôm readings, and HueCIT's Sino-Vietnamese and Nôm readings
 * from m17n-db; built by scripts/build-han-table.ts, which says the format). Read once, on first use, never written.
 *
 * The file is found under the project root (config.ts's projectRoot), not next to this module: tsc
 * copies no data files into dist/, so compiled code (dist/server/han/table.js) reads the same
 * data/han/han-table.tsv as the sources do.
 *
 * A character is a code point: Nôm characters outside the BMP are two UTF-16 units in a JS string.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config.js';

export const HAN_TABLE_PATH = path.join(projectRoot, 'data', 'han', 'han-table.tsv');

interface Entry {
  /** What search reads it as: Unihan's, the curated ones and HueCIT's Sino-Vietnamese (else HueCIT's Nôm ones). */
  readonly readings: readonly string[];
  /** Unihan's kVietnamese readings, in its order (not by use). */
  readonly unihan: readonly string[];
  /** The curated (Nôm) readings, most usual first; [] when the curated file does not have the character. */
  readonly nom: readonly string[];
  /** HueCIT's Sino-Vietnamese readings (m17n vi-han), the most usual first (build-han-table.ts readM17n). */
  readonly hanviet: readonly string[];
  /** HueCIT's Nôm input method's readings (m17n vi-nom): many per character, by syllable. */
  readonly hueNom: readonly string[];
  /** Traditional, simplified, semantic and Z variants: the same character in another form. */
  readonly variants: readonly string[];
  /** Variants kept apart (search does not fold them): specialised semantic ones, and simplified forms of several words (干: 乾 幹). */
  readonly specialised: readonly string[];
}

interface Table {
  readonly entries: ReadonlyMap<string, Entry>;
  /** Each character of a variant class of several → the class's first character by code point. */
  readonly canonical: ReadonlyMap<string, string>;
  /** Each class's first character → the search readings of the whole class. */
  readonly classReadings: ReadonlyMap<string, readonly string[]>;
  readonly withReading: number;
  readonly unicodeVersion: string;
}

const NONE: readonly string[] = Object.freeze([]);

let table: Table | undefined;

const words = (text: string) => (text ? Object.freeze(text.split(' ')) : NONE);
/** a, then what b has that a lacks. */
const merged = (a: readonly string[], b: readonly string[]) => (b.some((r) => !a.includes(r)) ? Object.freeze([...a, ...b.filter((r) => !a.includes(r))]) : a);

function load(): Table {
  if (table) return table;
  const entries = new Map<string, Entry>();
  let withReading = 0;
  let unicodeVersion = '';
  for (const line of readFileSync(HAN_TABLE_PATH, 'utf8').split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# Unicode version: (\S+)/.exec(line);
      if (m?.[1]) unicodeVersion = m[1];
      continue;
    }
    const [ch = '', unihanText = '', variantText = '', nomText = '', hanvietText = '', hueNomText = '', specialisedText = ''] = line.split('\t');
    const unihan = words(unihanText);
    const nom = words(nomText);
    const hanviet = words(hanvietText);
    const hueNom = words(hueNomText);
    const main = merged(merged(unihan, nom), hanviet);
    const readings = main.length > 0 ? main : hueNom;
    if (readings.length > 0) withReading++;
    const variants = variantText ? Object.freeze(Array.from(variantText)) : NONE;
    const specialised = specialisedText ? Object.freeze(Array.from(specialisedText)) : NONE;
    entries.set(ch, { readings, unihan, nom, hanviet, hueNom, variants, specialised });
  }
  if (!unicodeVersion) throw new Error(`${HAN_TABLE_PATH}: no "# Unicode version:" line`);
  // Variant classes: the variant relation made transitive (at most 10 characters a class in Unicode 15).
  const parent = new Map<string, string>();
  const root = (ch: string): string => {
    let r = ch;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as string;
    return r;
  };
  const cp = (ch: string) => ch.codePointAt(0) ?? 0;
  for (const [ch, e] of entries) {
    for (const v of e.variants) {
      const a = root(ch);
      const b = root(v);
      if (a === b) continue;
      if (cp(a) < cp(b)) parent.set(b, a);
      else parent.set(a, b);
    }
  }
  const canonical = new Map<string, string>();
  const classReadings = new Map<string, readonly string[]>();
  for (const ch of parent.keys()) {
    const r = root(ch);
    canonical.set(ch, r);
    canonical.set(r, r);
  }
  for (const [ch, r] of canonical) classReadings.set(r, merged(classReadings.get(r) ?? NONE, entries.get(ch)?.readings ?? NONE));
  table = { entries, canonical, classReadings, withReading, unicodeVersion };
  return table;
}

/** The table's entry for one character, NFC (a compatibility ideograph is found as its unified form). */
function entryOf(ch: string): Entry | undefined {
  const { entries } = load();
  return entries.get(ch) ?? entries.get(ch.normalize('NFC'));
}

/** The Vietnamese readings search reads a character as (see Entry.readings); [] when none. */
export function readingsOf(ch: string): readonly string[] {
  return entryOf(ch)?.readings ?? NONE;
}

/**
 * How a character reads in a text. In Literary Chinese (`han`): its first Sino-Vietnamese reading and any
 * other that Unihan gives too (several split by "/" on the page), else Unihan's, else the curated ones,
 * else HueCIT's Nôm ones. In Nôm text (`nom`): its most usual curated (Nôm) reading, else Unihan's, else
 * the Sino-Vietnamese ones, else HueCIT's Nôm ones. [] when it has none.
 */
export function readingsIn(ch: string, text: 'han' | 'nom'): readonly string[] {
  const e = entryOf(ch);
  if (!e) return NONE;
  // HueCIT lists every Sino-Vietnamese reading (本 bản bổn, 遠 viễn viên): its first (the syllable the
  // character is the most usual one of), then those Unihan gives too; the rest are found by search.
  const shown = e.hanviet.filter((r, i) => i === 0 || e.unihan.includes(r));
  const order = text === 'nom' ? [e.nom.slice(0, 1), e.unihan, e.hanviet, e.hueNom] : [shown, e.unihan, e.nom.slice(0, 1), e.hueNom];
  return order.find((r) => r.length > 0) ?? NONE;
}

/** Its traditional, simplified, semantic and Z variants (either direction), by code point; [] when none. */
export function variantsOf(ch: string): readonly string[] {
  return entryOf(ch)?.variants ?? NONE;
}

/** Its variants kept apart (specialised semantic ones; 干 for 乾 and 幹), by code point; [] when none. */
export function specialisedVariantsOf(ch: string): readonly string[] {
  return entryOf(ch)?.specialised ?? NONE;
}

/** Everything the table says of a character, by source (the character panel shows it). */
export function characterInfo(ch: string): Entry | undefined {
  return entryOf(ch);
}

/**
 * The form search folds a character to: the first character (by code point) of its variant class — 學
 * and 学 are both 学 — or the character itself when it has no variant. Expects NFC.
 */
export function canonicalOf(ch: string): string {
  return load().canonical.get(ch) ?? ch;
}

/** The readings search gives a folded character (canonicalOf): those of every character of its class. */
export function searchReadingsOf(canonical: string): readonly string[] {
  return load().classReadings.get(canonical) ?? readingsOf(canonical);
}

/** Characters in the table, how many have a reading, and the Unicode version of its Unihan data. */
export function hanTableInfo(): { characters: number; withReading: number; unicodeVersion: string } {
  const { entries, withReading, unicodeVersion } = load();
  return { characters: entries.size, withReading, unicodeVersion };
}

/** Every character in the table with its search readings (readingsOf), for indexes built over it. */
export function* charactersWithReadings(): Iterable<[string, readonly string[]]> {
  for (const [ch, e] of load().entries) if (e.readings.length > 0) yield [ch, e.readings];
}
