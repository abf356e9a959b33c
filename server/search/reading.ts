/**
 * Search by Vietnamese reading: `nhan chi so` (or `nhân chi sơ`) finds 人之初, as a phrase, in order.
 *
 * FTS5 cannot put two tokens at one position (no custom tokenizer from JavaScript) and a character may
 * have several readings, so each Han character is indexed, in a reading column `r` beside the exact and
 * folded ones, as ONE token naming its whole folded reading set: 人 `0nhan`, 之 (chi, gì) `0chi0gi` (digits
 * never occur in a syllable, and a token keeps them). Other tokens of a page with Han are written there
 * folded, after the same `0` (`0trang`), so a mixed line keeps its positions.
 *
 * The leading `0` keeps every token of the reading column apart from the words of the folded column: in
 * one FTS5 table a token has one list of places across its columns, and `r : nhan` walked every
 * Vietnamese page with the word "nhan" to find the few Han pages (a search for a common syllable took
 * 1.7 times as long; bench/search.ts). A phrase of readings is then an exact FTS5
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
/** Before every token of the reading column: none is then a word of the folded column. */
const MARK = '0';
/** A reading-column token's syllables (`0chi0gi`: chi, gi). */
const syllablesOf = (token: string) => token.slice(MARK.length).split('0');

/**
 * The folded reading set of a folded Han character (its variant class: fold.ts) as one token (`0chi0gi`),
 * or null when it has no reading: the readings of every character of the class.
 */
export function readingSet(ch: string): string | null {
  let s = sets.get(ch);
  if (s === undefined) {
    const readings = [...new Set(searchReadingsOf(ch).map((r) => fold(r)))].sort();
    sets.set(ch, (s = readings.length > 0 ? MARK + readings.join('0') : null));
  }
  return s;
}

/**
 * Syllables as reading sets have them, from the whole table (built on first use): the sets of several
 * readings that hold each syllable, and the syllables some character has as its only reading.
 */
let syllables: { readonly inSets: ReadonlyMap<string, readonly string[]>; readonly alone: ReadonlySet<string> } | undefined;
function syllableIndex(): NonNullable<typeof syllables> {
  if (!syllables) {
    const inSets = new Map<string, string[]>();
    const alone = new Set<string>();
    for (const [ch] of charactersWithReadings()) {
      const set = readingSet(canonicalOf(ch));
      if (!set) continue;
      const of = syllablesOf(set);
      if (of.length === 1) alone.add(of[0]!);
      else
        for (const r of of) {
          const list = inSets.get(r) ?? [];
          if (!list.includes(set)) list.push(set);
          inSets.set(r, list);
        }
    }
    syllables = { inSets, alone };
  }
  return syllables;
}

/** The reading-set tokens of several readings that contain a folded syllable. */
const setsWith = (syllable: string): readonly string[] => syllableIndex().inSets.get(syllable) ?? [];

/** Whether some character has exactly this one reading (its set token is the syllable itself). */
const readingSetIsSyllable = (syllable: string): boolean => syllableIndex().alone.has(syllable);

/** The reading column of a text's tokens: '' when it has no Han character. */
export function readingForm(tokens: readonly Pick<Token, 'folded'>[]): string {
  if (!tokens.some(isHan)) return '';
  return tokens.map((t) => (isHan(t) ? (readingSet(t.folded) ?? t.folded) : MARK + t.folded)).join(' ');
}

/**
 * The query read as a run of readings, as a test per position: whether a page token reads as the token
 * typed there (the same token; or a Han character whose reading set is one of the position's
 * alternatives: for a syllable, the sets that hold it; for a character, its own set). Worked out once a
 * query: a snippet asks it of every character of a page. Null when the query does not read as a run.
 */
const runTests = new WeakMap<ParsedQuery, ((page: Pick<Token, 'folded' | 'han'>) => boolean)[] | null>();
export function readingRunTests(q: ParsedQuery): ((page: Pick<Token, 'folded' | 'han'>) => boolean)[] | null {
  let tests = runTests.get(q);
  if (tests === undefined) {
    const alternatives = readingAlternatives(q);
    const run = readingRun(q);
    tests = alternatives
      ? run.map((typed, k) => {
          const sets = new Set(alternatives[k]);
          return (page) => page.folded === typed.folded || (page.han && sets.has(readingSet(page.folded) ?? ''));
        })
      : null;
    runTests.set(q, tests);
  }
  return tests;
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
  return tokens.map((t) => (isHan(t) ? [readingSet(t.folded) ?? t.folded] : [MARK + t.folded, ...setsWith(t.folded)]));
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
  return [...new Set(form.split(' ').filter((t) => t.startsWith(MARK) && syllablesOf(t).length > 1 && !/^\d+$/.test(t)))];
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
