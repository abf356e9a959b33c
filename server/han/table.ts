/**
 * Vietnamese readings and variants of Han characters, from data/han/han-table.tsv (Unihan's
 * kVietnamese and variant fields merged with curated Nôm readings; built by
 * scripts/build-han-table.ts, which says the format). Read once, on first use, never written.
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
  /** Unihan's readings, then the curated ones Unihan lacks. */
  readonly readings: readonly string[];
  /** Unihan's kVietnamese readings, in its order (not by use). */
  readonly unihan: readonly string[];
  /** The curated (Nôm) readings, most usual first; [] when the curated file does not have the character. */
  readonly nom: readonly string[];
  readonly variants: readonly string[];
}

interface Table {
  readonly entries: ReadonlyMap<string, Entry>;
  readonly withReading: number;
  readonly unicodeVersion: string;
}

const NONE: readonly string[] = Object.freeze([]);

let table: Table | undefined;

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
    const [ch = '', readingText = '', variantText = '', nomText = ''] = line.split('\t');
    const unihan = readingText ? Object.freeze(readingText.split(' ')) : NONE;
    const nom = nomText ? Object.freeze(nomText.split(' ')) : NONE;
    const readings = nom.some((r) => !unihan.includes(r)) ? Object.freeze([...unihan, ...nom.filter((r) => !unihan.includes(r))]) : unihan;
    const variants = variantText ? Object.freeze(Array.from(variantText)) : NONE;
    if (readings.length > 0) withReading++;
    entries.set(ch, { readings, unihan, nom, variants });
  }
  if (!unicodeVersion) throw new Error(`${HAN_TABLE_PATH}: no "# Unicode version:" line`);
  table = { entries, withReading, unicodeVersion };
  return table;
}

/** The table's entry for one character, NFC (a compatibility ideograph is found as its unified form). */
function entryOf(ch: string): Entry | undefined {
  const { entries } = load();
  return entries.get(ch) ?? entries.get(ch.normalize('NFC'));
}

/** The Vietnamese readings of one character (Unihan's in its order, then curated ones); [] when none. */
export function readingsOf(ch: string): readonly string[] {
  return entryOf(ch)?.readings ?? NONE;
}

/**
 * How a character reads in a text: in Literary Chinese (`han`), its Sino-Vietnamese readings (Unihan's,
 * in its order, not by use: all of them when there are several), else the curated ones; in Nôm text (`nom`), its
 * most usual curated (Nôm) reading, else Unihan's. [] when it has none.
 */
export function readingsIn(ch: string, text: 'han' | 'nom'): readonly string[] {
  const e = entryOf(ch);
  if (!e) return NONE;
  if (text === 'nom') return e.nom.length > 0 ? e.nom.slice(0, 1) : e.unihan;
  return e.unihan.length > 0 ? e.unihan : e.nom.slice(0, 1);
}

/** Its traditional, simplified, semantic and Z variants (either direction), by code point; [] when none. */
export function variantsOf(ch: string): readonly string[] {
  return entryOf(ch)?.variants ?? NONE;
}

/** Characters in the table, how many have a reading, and the Unicode version of its Unihan data. */
export function hanTableInfo(): { characters: number; withReading: number; unicodeVersion: string } {
  const { entries, withReading, unicodeVersion } = load();
  return { characters: entries.size, withReading, unicodeVersion };
}

/** Every character in the table with its readings (Unihan's, then curated ones), for indexes built over it. */
export function* charactersWithReadings(): Iterable<[string, readonly string[]]> {
  for (const [ch, e] of load().entries) if (e.readings.length > 0) yield [ch, e.readings];
}
