/**
 * The Vietnamese reading of Han and Nôm text, character by character, from the character table
 * (table.ts): what the reading layer (an annotation page per canvas) and the full-text view's ruby show.
 *
 * Which reading depends on the text (table.ts readingsIn): Literary Chinese reads the Sino-Vietnamese
 * readings (HueCIT's; when there are several, all of them, split by "/": thần/thìn for 辰, as no source
 * here orders them by use), else Unihan's kVietnamese; Nôm reads the most usual curated Nôm reading
 * (之 gì, 初 xưa), else Unihan's, else the Sino-Vietnamese ones. A character with no reading stays as it
 * is. The layer is labelled machine-generated.
 * Characters are code points; a variation selector (or any mark) stays with the character before it.
 */
import type { Item } from '../catalogue/catalogue.js';
import { tokenize } from '../search/fold.js';
import { readingsIn } from './table.js';

/** Literary Chinese (Sino-Vietnamese readings) or Nôm (Vietnamese written in Han characters). */
export type HanText = 'han' | 'nom';

/** A piece of text: a Han character with its readings (none: []), or a run of anything else. */
export type Segment = { readonly han: string; readonly readings: readonly string[] } | { readonly text: string };

/**
 * The text cut into Han characters (each with its readings in such text) and runs of other text, in
 * order. Characters are the tokenizer's (fold.ts): a code point, with a variation selector after it.
 */
export function segments(text: string, kind: HanText): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const t of tokenize(text)) {
    if (!t.han) continue;
    if (t.start > at) out.push({ text: text.slice(at, t.start) });
    // The character as written (its folded form is its variant class's: 学 for 學); a variant
    // without a reading of its own reads as the first of its class.
    const ch = String.fromCodePoint(t.exact.codePointAt(0) as number);
    const own = readingsIn(ch, kind);
    out.push({ han: text.slice(t.start, t.end), readings: own.length > 0 ? own : readingsIn(t.folded, kind) });
    at = t.end;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** Whether some Han character of the pieces has a reading. */
export const anyRead = (segs: readonly Segment[]): boolean => segs.some((s) => 'han' in s && s.readings.length > 0);

/** How a character reads on the page: its reading, its readings split by "/", or itself when it has none. */
export const shownReading = (s: { readonly han: string; readonly readings: readonly string[] }): string => (s.readings.length > 0 ? s.readings.join('/') : s.han);

/**
 * The text as it reads: each Han character replaced by its reading (shownReading), syllables apart by one space
 * ("人之初" → "nhân chi sơ"; "人之初 — Nhân" → "nhân chi sơ — Nhân"); other text as it is.
 */
export const readingText = (text: string, kind: HanText): string => spoken(segments(text, kind));

/** The pieces as they read (readingText). */
export function spoken(segs: readonly Segment[]): string {
  const out: string[] = [];
  // Whether what is written so far ends in a non-space, and whether it was a character's reading.
  let open = false;
  let afterHan = false;
  for (const s of segs) {
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
