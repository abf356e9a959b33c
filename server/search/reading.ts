/**
 * Search by Vietnamese reading: `nhan chi so` (or `nhân chi sơ`) finds 人之初, as a phrase, in order.
 *
 * FTS5 cannot put two tokens at one position (no custom tokenizer from JavaScript) and a character may
 * have several readings, so each Han character is indexed, in a reading column `r` beside the exact and
 * folded ones, as ONE token naming its whole folded reading set: 人 `nhan`, 之 (chi, gì) `chi0gi` (digits
 * never occur in a syllable, and a token keeps them). Other tokens of a page with Han are written there as
 * they are folded, so a mixed line keeps its positions. A phrase of readings is then an exact FTS5
 * phrase: each typed syllable stands for the reading sets that contain it (itself, and the sets of
 * several readings that hold it and that some indexed text has: the index keeps a list of those), and
 * the query is the OR of those phrases (at most MAX_PHRASES). A Han character typed in such a query
 * stands for its own set. A character is read as its variant class (fold.ts): the readings of 學 and 学 together.
 *
 * The whole query is read as one run (`人 chi sơ` is 人之初): a reader typing readings types the text as
 * it reads. Pages without Han have no reading column.
 */
import { canonicalOf, charactersWithReadings, searchReadingsOf } from '../han/table.js';
import { fold, isHan as isHanChar, tokenize, type Token } from './fold.js';
import type { ParsedQuery } from './query.js';

/** Tokens of a query read as a run of readings at most; longer queries are not read so. */
const MAX_TOKENS = 12;
/** Phrases OR-ed at most: alternatives past this are dropped, later positions first. */
const MAX_PHRASES = 256;

/** A Han token (its folded form is the bare character). */
const isHan = (t: Pick<Token, 'folded'>) => isHanChar(t.folded);

const sets = new Map<string, string | null>();
/**
 * The folded reading set of a folded Han character (its variant class: fold.ts) as one token (`chi0gi`),
 * or null when it has no reading: the readings of every character of the class.
 */
export function readingSet(ch: string): string | null {
  let s = sets.get(ch);
  if (s === undefined) {
    const readings = [...new Set(searchReadingsOf(ch).map((r) => fold(r)))].sort();
    sets.set(ch, (s = readings.length > 0 ? readings.join('0') : null));
  }
  return s;
}

let bySyllable: Map<string, string[]> | undefined;
/** The reading-set tokens of several readings that contain a folded syllable. */
function setsWith(syllable: string): readonly string[] {
  if (!bySyllable) {
    bySyllable = new Map();
    for (const [ch] of charactersWithReadings()) {
      const set = readingSet(canonicalOf(ch));
      if (!set || !set.includes('0')) continue;
      for (const r of set.split('0')) {
        const list = bySyllable.get(r) ?? [];
        if (!list.includes(set)) list.push(set);
        bySyllable.set(r, list);
      }
    }
  }
  return bySyllable.get(syllable) ?? [];
}

/** The reading column of a text's tokens: '' when it has no Han character. */
export function readingForm(tokens: readonly Pick<Token, 'folded'>[]): string {
  if (!tokens.some(isHan)) return '';
  return tokens.map((t) => (isHan(t) ? (readingSet(t.folded) ?? t.folded) : t.folded)).join(' ');
}

/** Whether a page token reads as a query token: the same character, or a character with that reading. */
export function readsAs(page: Pick<Token, 'folded'>, typed: Pick<Token, 'folded'>): boolean {
  if (page.folded === typed.folded) return true;
  if (!isHan(page)) return false;
  const set = readingSet(page.folded);
  if (!set) return false;
  return isHan(typed) ? set === readingSet(typed.folded) : set.split('0').includes(typed.folded);
}

/**
 * Each position of the query read as a run of readings: the tokens that stand for it (a syllable
 * itself, then the reading sets of several readings that contain it; a Han character its own set), or
 * null when reading it so adds nothing: no syllable that is a reading, only Han (found as it is), or too long.
 */
const alternativesOf = new WeakMap<ParsedQuery, string[][] | null>();
export function readingAlternatives(q: ParsedQuery): string[][] | null {
  // Asked for each index statement, each item shown and each page's snippet: worked out once a query.
  let found = alternativesOf.get(q);
  if (found === undefined) alternativesOf.set(q, (found = alternativesFor(q)));
  return found;
}

function alternativesFor(q: ParsedQuery): string[][] | null {
  const tokens = readingRun(q);
  if (tokens.length === 0 || tokens.every(isHan)) return null;
  // Only worth it when some syllable can be a character's reading (it then matches the set tokens).
  if (!tokens.some((t) => !isHan(t) && (readingSetIsSyllable(t.folded) || setsWith(t.folded).length > 0))) return null;
  return tokens.map((t) => (isHan(t) ? [readingSet(t.folded) ?? t.folded] : [t.folded, ...setsWith(t.folded)]));
}

/**
 * The phrases (token lists) that find the query read as a run of readings — every combination of the
 * positions' alternatives, keeping only the set tokens some indexed text has (`known`: a syllable is in
 * as many as 43 sets, few of them in any collection) — or null (readingAlternatives). Past MAX_PHRASES
 * combinations the later positions' last alternatives are dropped.
 */
export function readingPhrases(q: ParsedQuery, known: (token: string) => boolean): string[][] | null {
  const alternatives = readingAlternatives(q);
  if (!alternatives) return null;
  let phrases: string[][] = [[]];
  for (const alts of alternatives) {
    const kept = alts.filter((a, i) => i === 0 || known(a));
    const room = Math.max(1, Math.floor(MAX_PHRASES / phrases.length));
    phrases = phrases.flatMap((p) => kept.slice(0, room).map((a) => [...p, a]));
  }
  return phrases;
}

/** The reading-set tokens of several readings in a reading form (what `known` is asked of), once each. */
export function multiReadingSets(form: string): string[] {
  return [...new Set(form.split(' ').filter((t) => t.includes('0') && !/^\d+$/.test(t)))];
}

const runs = new WeakMap<ParsedQuery, readonly Token[]>();
/**
 * The query's tokens in the order typed, repeats kept (the parsed clauses drop a repeated word: `chữ tài
 * chữ mệnh` reads 𡦂才𡦂命); [] past MAX_TOKENS.
 */
export function readingRun(q: ParsedQuery): readonly Token[] {
  let run = runs.get(q);
  if (!run) {
    const tokens = q.clauses.length === 0 ? [] : tokenize(q.text.normalize('NFC'));
    runs.set(q, (run = tokens.length <= MAX_TOKENS ? tokens : []));
  }
  return run;
}

let singles: Set<string> | undefined;
/** Whether some character has exactly this one reading (its set token is the syllable itself). */
function readingSetIsSyllable(syllable: string): boolean {
  if (!singles) {
    singles = new Set();
    for (const [ch] of charactersWithReadings()) {
      const set = readingSet(canonicalOf(ch));
      if (set && !set.includes('0')) singles.add(set);
    }
  }
  return singles.has(syllable);
}

/** An FTS5 expression of the phrases on a column: `r : ("nhan chi0gi so0xua" OR …)`. */
export function readingExpression(phrases: readonly (readonly string[])[], column: string): string {
  return `${column} : (${phrases.map((p) => `"${p.join(' ').replace(/"/g, '""')}"`).join(' OR ')})`;
}
