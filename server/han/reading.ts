/**
 * The Vietnamese reading of Han and Nôm text, character by character, from the character table
 * (table.ts): what the reading layer (an annotation page per canvas) and the full-text view's ruby show.
 *
 * Which reading depends on the text (table.ts readingsIn): Literary Chinese reads Unihan's kVietnamese
 * (when it gives several — about 200 characters — all of them, split by "/": hốc/đông for 東, as Unihan
 * does not order them by use); Nôm reads the most usual curated Nôm reading (之 gì, 初 xưa), else
 * Unihan's. kVietnamese mixes Sino-Vietnamese and Nôm readings (子 has only tí) and lacks common
 * characters (辰, 雨): a Hán text needs a Hán-Việt source, not in the table yet. A character with no
 * reading stays as it is. The layer is labelled machine-generated.
 * Characters are code points; a variation selector (or any mark) stays with the character before it.
 */
import type { Item } from '../catalogue/catalogue.js';
import { readingsIn } from './table.js';

/** Literary Chinese (Sino-Vietnamese readings) or Nôm (Vietnamese written in Han characters). */
export type HanText = 'han' | 'nom';

const HAN = /^\p{Script=Han}/u;
const MARK = /^[\p{M}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]$/u;

/** A piece of text: a Han character with its readings (none: []), or a run of anything else. */
export type Segment = { readonly han: string; readonly readings: readonly string[] } | { readonly text: string };

/** The text cut into Han characters (each with its readings in such text) and runs of other text, in order. */
export function segments(text: string, kind: HanText): Segment[] {
  const out: Segment[] = [];
  let run = '';
  for (const ch of text) {
    const last = out.at(-1);
    if (MARK.test(ch) && !run && last && 'han' in last) {
      out[out.length - 1] = { han: last.han + ch, readings: last.readings };
    } else if (HAN.test(ch)) {
      if (run) out.push({ text: run });
      run = '';
      out.push({ han: ch, readings: readingsIn(ch, kind) });
    } else {
      run += ch;
    }
  }
  if (run) out.push({ text: run });
  return out;
}

/** Whether a Han character of the text has a reading in such text. */
export const hasReading = (text: string, kind: HanText): boolean => segments(text, kind).some((s) => 'han' in s && s.readings.length > 0);

/** Whether the text has a Han character. */
export const hasHan = (text: string): boolean => /\p{Script=Han}/u.test(text);

/** How a character reads on the page: its reading, its readings split by "/", or itself when it has none. */
export const shownReading = (s: { readonly han: string; readonly readings: readonly string[] }): string => (s.readings.length > 0 ? s.readings.join('/') : s.han);

/**
 * The text as it reads: each Han character replaced by its reading (shownReading), syllables apart by one space
 * ("人之初" → "nhân chi sơ"; "人之初 — Nhân" → "nhân chi sơ — Nhân"); other text as it is.
 */
export function readingText(text: string, kind: HanText): string {
  const out: string[] = [];
  // Whether what is written so far ends in a non-space, and whether it was a character's reading.
  let open = false;
  let afterHan = false;
  for (const s of segments(text, kind)) {
    const han = 'han' in s;
    const piece = han ? shownReading(s) : s.text;
    // A space between two syllables, and between a syllable and a word that touches it.
    if ((han || afterHan) && open && /^\S/u.test(piece)) out.push(' ');
    out.push(piece);
    open = /\S$/u.test(piece);
    afterHan = han;
  }
  return out.join('');
}

/**
 * Whether an item is written in Han or Nôm (Vietnamese readings apply): catalogued with the script `han`
 * or `nom`, or, with no script, the language `lzh` — as OCR decides (ingest/ocr.ts). Tày Nôm (`tay-nom`)
 * is not: its characters read in Tày, which the table does not have.
 */
export function isHanItem(item: Pick<Item, 'description'>): boolean {
  const d = item.description;
  return d.scripts.some((s) => s === 'han' || s === 'nom') || (d.scripts.length === 0 && d.languages.includes('lzh'));
}

/** How an item's characters read: Nôm when it is catalogued with the script `nom`, else Literary Chinese. */
export function hanTextOf(item: Pick<Item, 'description'>): HanText {
  return item.description.scripts.includes('nom') ? 'nom' : 'han';
}
