/**
 * A reader's query as both backends take it: clauses that must all match, each a phrase of tokens
 * (a single word is a phrase of one). Parsed here once, so that nothing a reader types reaches a
 * backend as syntax: quotes group a phrase, and every other character (`* ( ) : ^ -`, `NEAR`, `AND`,
 * `OR`) is text or a separator.
 *
 *   nhan chi so          three clauses, any order (a Vietnamese word per clause)
 *   "nhân chi sơ"        one phrase clause
 *   人之初, 人 之 初     one phrase clause (a run of Han, even with spaces between — as OCR of vertical
 *                        text often puts them — is read as a phrase: Han has no word spaces)
 *   人 chi sơ            three clauses
 */
import { tokenize, type Token } from './fold.js';

export interface Clause {
  readonly tokens: readonly Token[];
  /**
   * Matched on the tokens' exact forms only: a clause of Han characters when the reader turned variant
   * matching off (`variants=0`): 學 then finds 學, not 学. Otherwise a Han character's folded form is its
   * variant class's (fold.ts), and the form typed ranks first as exact diacritics do.
   */
  readonly strict?: true;
}

export interface ParsedQuery {
  /** The query as typed, normalised to NFC (for display and echo). */
  readonly text: string;
  /** All must match; empty for an empty query (which lists everything the reader may see). */
  readonly clauses: readonly Clause[];
}

/** Longest query accepted, in characters; beyond it the API answers 400. */
export const MAX_QUERY_CHARS = 1000;
/** Clauses beyond this many are dropped (a long paste still searches, on its first words). */
export const MAX_CLAUSES = 64;
/**
 * Tokens of one phrase, and of the whole query, beyond which the rest is dropped: a phrase costs the
 * index a walk per token over every page holding it, and a pasted run of a thousand Han characters
 * held the (synchronous) embedded index for seconds.
 */
export const MAX_PHRASE_TOKENS = 32;
export const MAX_QUERY_TOKENS = 128;

export interface QueryOptions {
  /** Whether a Han character also finds its variants (學 学; 爲 為 为). On unless false. */
  readonly variants?: boolean;
}

export function parseQuery(raw: string, options: QueryOptions = {}): ParsedQuery {
  const text = raw.normalize('NFC').trim();
  const clauses: Clause[] = [];
  // Quoted parts are phrases; an unmatched quote is only a separator.
  const parts = text.split('"');
  const balanced = parts.length % 2 === 1;
  parts.forEach((part, i) => {
    const quoted = balanced && i % 2 === 1;
    const tokens = tokenize(part);
    if (quoted) {
      if (tokens.length > 0) clauses.push({ tokens });
      return;
    }
    // Unquoted: each word is a clause; a run of adjacent Han characters is one phrase.
    let run: Token[] = [];
    const endRun = () => {
      if (run.length > 0) clauses.push({ tokens: run });
      run = [];
    };
    for (const t of tokens) {
      if (t.han && run.length > 0 && part.slice(run.at(-1)!.end, t.start).trim() === '') {
        run.push(t);
        continue;
      }
      endRun();
      if (t.han) run = [t];
      else clauses.push({ tokens: [t] });
    }
    endRun();
  });
  let budget = MAX_QUERY_TOKENS;
  const kept: Clause[] = [];
  for (const c of dedupe(clauses).slice(0, MAX_CLAUSES)) {
    const tokens = c.tokens.slice(0, Math.min(MAX_PHRASE_TOKENS, budget));
    if (tokens.length === 0) break;
    budget -= tokens.length;
    kept.push(options.variants === false && tokens.every((t) => t.han) ? { tokens, strict: true } : { tokens });
  }
  return { text, clauses: kept };
}

function dedupe(clauses: Clause[]): Clause[] {
  const seen = new Set<string>();
  return clauses.filter((c) => {
    const key = c.tokens.map((t) => t.exact).join(' ');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Which form of its tokens a clause is matched on (Clause.strict). */
export const clauseForm = (c: Clause): 'exact' | 'folded' => (c.strict ? 'exact' : 'folded');

/** Whether a query has anything to match (an empty one lists; content search answers nothing). */
export const isEmpty = (q: ParsedQuery) => q.clauses.length === 0;
