/**
 * Text as both search backends see it: Vietnamese folded in the application (FTS5's `remove_diacritics`
 * keeps `đ`, and Elasticsearch's analysers differ), and Han/Nôm split into one token per code point
 * (never per UTF-16 unit: Nôm lives in CJK Extension B and later, outside the BMP).
 *
 * A token has two forms: `exact` (NFC, lower case: diacritics kept) and `folded` (no marks, đ → d;
 * a Han character as the first of its variant class, han/table.ts canonicalOf: 學 and 学 both 学).
 * Both backends index both and rank exact matches above folded ones, so the form typed comes first.
 */
import { canonicalOf } from '../han/table.js';

export interface Token {
  /** NFC, lower case. */
  readonly exact: string;
  /** Without diacritics, `đ` → `d`, lower case; a Han character as its variant class (canonicalOf). */
  readonly folded: string;
  /** One Han (Hán or Nôm) code point. */
  readonly han: boolean;
  /** UTF-16 offsets in the NFC text the token was read from. */
  readonly start: number;
  readonly end: number;
}

const HAN = /\p{Script=Han}/u;
const HAN_ALL = /\p{Script=Han}/gu;
/** Letters, digits and marks make words; anything else separates them. */
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

/** NFD, strip combining marks, đ/Đ → d, lower case (the folded form of any text). */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .normalize('NFC');
}

/**
 * A typed prefix as the index keeps its terms' folded forms: fold(), and each Han character as its
 * variant class, as tokenize() folds a Han token (學 → 学).
 */
export function foldPrefix(text: string): string {
  const folded = fold(text);
  return HAN.test(folded) ? folded.replace(HAN_ALL, canonicalOf) : folded;
}

/**
 * fold() of a word, remembered: texts repeat a few thousand words, and two Unicode normalisations per
 * word were most of the time of tokenising a page.
 */
const folds = new Map<string, string>();
/** Longer words are folded every time: a client could otherwise fill the memo with huge ones. */
const MEMO_CHARS = 32;
function foldWord(word: string): string {
  if (word.length > MEMO_CHARS) return fold(word);
  let f = folds.get(word);
  if (f === undefined) {
    if (folds.size >= 100_000) folds.clear();
    folds.set(word, (f = fold(word)));
  }
  return f;
}

/** NFC of a word, remembered the same way (OCR words repeat as much as any). */
const nfcs = new Map<string, string>();
export function nfcWord(word: string): string {
  if (word.length > MEMO_CHARS) return word.normalize('NFC');
  let n = nfcs.get(word);
  if (n === undefined) {
    if (nfcs.size >= 100_000) nfcs.clear();
    nfcs.set(word, (n = word.normalize('NFC')));
  }
  return n;
}

export function isHan(char: string): boolean {
  return HAN.test(char);
}

/** No Han character is below U+2E80 (CJK Radicals Supplement): text in Latin script never asks the regex. */
const FIRST_HAN = 0x2e80;
/** A code point's folded Han form (its variant class's: canonicalOf), or null when it is not Han; remembered per code point. */
const hanForms = new Map<number, string | null>();
function hanForm(cp: number, ch: string): string | null {
  if (cp < FIRST_HAN) return null;
  let f = hanForms.get(cp);
  if (f === undefined) hanForms.set(cp, (f = HAN.test(ch) ? canonicalOf(ch) : null));
  return f;
}

/** Whether a text has a Han character anywhere. */
export const hasHan = (text: string): boolean => HAN.test(text);

/**
 * The tokens of a text (expected NFC: callers normalise once). A run of letters is one token; each Han
 * code point is a token of its own (with any variation selector after it). A word without diacritics
 * broken by a hyphen at the end of a line (`digi-\ntisation`) is read as one word; Vietnamese syllables
 * (`thư-\nviện`) stay two.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let start = -1;
  let word = '';
  const flush = (end: number) => {
    if (start >= 0 && word) {
      const exact = word.toLowerCase();
      const folded = foldWord(exact);
      // A stray combining mark alone folds to nothing: not a word anyone can search for.
      if (folded) tokens.push({ exact, folded, han: false, start, end });
    }
    start = -1;
    word = '';
  };
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const at = i;
    i += cp > 0xffff ? 2 : 1;
    const ch = i - at === 1 ? text[at]! : text.slice(at, i);
    const last = tokens.at(-1);
    const han = hanForm(cp, ch);
    if (han !== null) {
      flush(at);
      tokens.push({ exact: ch, folded: han, han: true, start: at, end: i });
    } else if (MARK.test(ch) && start < 0 && last?.han && last.end === at) {
      // A variation selector (or any mark) after a Han character belongs to it: the exact form keeps
      // it, the folded form is the bare character's, so 𡎝 and 𡎝 + VS17 find each other.
      tokens[tokens.length - 1] = { ...last, exact: last.exact + ch, end: i };
    } else if (WORD_CHAR.test(ch)) {
      if (start < 0) start = at;
      word += ch;
    } else {
      // A hyphen at a line end before a lower-case letter: an English or French word broken by the
      // typesetter goes on after the break. Not a Vietnamese one: syllables with diacritics are whole
      // words, and a hyphen between them (thư-\nviện) is a real one.
      const broken = ch === '-' && word && !NON_ASCII.test(word) ? LINE_BREAK_HYPHEN.exec(text.slice(at, at + 16)) : null;
      if (broken && !NON_ASCII.test(WORD_AFTER.exec(text.slice(at + broken[0].length))?.[0] ?? '')) i = at + broken[0].length;
      else flush(at);
    }
  }
  flush(i);
  return tokens;
}

const MARK = /\p{M}/u;
const NON_ASCII = /[^\x00-\x7f]/;
const WORD_AFTER = /^[\p{L}\p{N}\p{M}]+/u;
const LINE_BREAK_HYPHEN = /^-[ \t]*\r?\n[ \t]*(?=\p{Ll})/u;

/** Tokens as an indexable string of one form: tokens separated by spaces (FTS5 and ES read the same). */
export function indexForm(tokens: readonly Token[], form: 'exact' | 'folded'): string {
  return tokens.map((t) => t[form]).join(' ');
}
