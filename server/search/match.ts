/**
 * Where a parsed query occurs in a text, found the same way for both backends: the backends say which
 * records and pages match; this finds the words, for highlighted snippets, IIIF Content Search boxes and
 * autocomplete. Matching is on folded tokens; an occurrence whose every token also matches in its exact
 * form (diacritics as typed) is marked `exact` and ranks first.
 */
import { tokenize, type Token } from './fold.js';
import { clauseForm, type ParsedQuery } from './query.js';
import { readingRun, readingRunTests } from './reading.js';

export interface Occurrence {
  /** Token positions [from, to). */
  readonly from: number;
  readonly to: number;
  readonly exact: boolean;
  /** Which clause of the query (its index); -1 for a run of several joined (`joinNeighbours`). */
  readonly clause: number;
}

/**
 * Occurrences of any clause of the query among the tokens, in text order, not overlapping; at each
 * position the query read as a run of readings over Han characters wins, then the longest clause.
 * With `window`, the search stops at the first token more than `window` UTF-16 units after the first
 * exact occurrence (what a snippet can show: it is cut around that one), or after the first occurrence
 * of any kind when `exactPossible` is false.
 */
export function occurrences(tokens: readonly Pick<Token, 'folded' | 'exact' | 'han' | 'start'>[], q: ParsedQuery, window = Infinity, exactPossible = true): Occurrence[] {
  const found: Occurrence[] = [];
  let end = Infinity;
  const { starting, forms } = planOf(q);
  // The query read as a run of readings (reading.ts): `nhan chi so` over 人之初.
  const tests = readingRunTests(q);
  const run = tests ? readingRun(q) : [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.start > end) break;
    if (tests && i + run.length <= tokens.length && tests.every((reads, k) => reads(tokens[i + k]!)) && run.some((r, k) => tokens[i + k]!.folded !== r.folded)) {
      found.push({ from: i, to: i + run.length, exact: false, clause: -1 });
      if (!exactPossible && end === Infinity) end = t.start + window;
      i += run.length - 1;
      continue;
    }
    // Only the clauses whose first token is this one are tried (a page has a thousand tokens, most of
    // them no clause's), in the query's order.
    const byFolded = starting.folded.get(t.folded);
    const byExact = starting.exact.get(t.exact);
    if (!byFolded && !byExact) continue;
    const candidates = byFolded && byExact ? [...byFolded, ...byExact].sort((a, b) => a - b) : (byFolded ?? byExact)!;
    let best: Occurrence | null = null;
    for (const ci of candidates) {
      const c = q.clauses[ci]!;
      const len = c.tokens.length;
      if (i + len > tokens.length || (best && best.to - best.from >= len)) continue;
      let ok = true;
      let exact = true;
      const form = forms[ci]!;
      for (let k = 0; k < len && ok; k++) {
        ok = tokens[i + k]![form] === c.tokens[k]![form];
        exact &&= tokens[i + k]!.exact === c.tokens[k]!.exact;
      }
      if (ok) best = { from: i, to: i + len, exact, clause: ci };
    }
    if (best) {
      found.push(best);
      if ((best.exact || !exactPossible) && end === Infinity) end = t.start + window;
      i = best.to - 1;
    }
  }
  return found;
}

/** A query's clauses by their first token, in the form each matches on (clauseForm); worked out once a query. */
interface Plan {
  readonly starting: { readonly exact: Map<string, number[]>; readonly folded: Map<string, number[]> };
  readonly forms: readonly ('exact' | 'folded')[];
}
const plans = new WeakMap<ParsedQuery, Plan>();
function planOf(q: ParsedQuery): Plan {
  let plan = plans.get(q);
  if (!plan) {
    const starting = { exact: new Map<string, number[]>(), folded: new Map<string, number[]>() };
    const forms = q.clauses.map(clauseForm);
    q.clauses.forEach((c, ci) => {
      const first = c.tokens[0];
      if (!first) return;
      const byForm = starting[forms[ci]!];
      const key = first[forms[ci]!];
      byForm.set(key, [...(byForm.get(key) ?? []), ci]);
    });
    plans.set(q, (plan = { starting, forms }));
  }
  return plan;
}

/** Whether every clause occurs in the tokens (what a backend's match means, checked again here). */
export function matchesAll(tokens: readonly Pick<Token, 'folded' | 'exact' | 'han' | 'start'>[], q: ParsedQuery): boolean {
  return q.clauses.every((c) => occurrences(tokens, { text: '', clauses: [c] }).length > 0);
}

/**
 * Neighbouring occurrences of different clauses as one: `thu vien` (two clauses) in "… thư viện …" is
 * one hit, as a reader sees it; "ma ma" for `ma` stays two. A run ends where a clause would repeat.
 */
export function joinNeighbours(found: readonly Occurrence[]): Occurrence[] {
  const out: Occurrence[] = [];
  let clauses = new Set<number>();
  for (const o of found) {
    const last = out.at(-1);
    if (last && last.to === o.from && !clauses.has(o.clause)) {
      out[out.length - 1] = { from: last.from, to: o.to, exact: last.exact && o.exact, clause: -1 };
      clauses.add(o.clause);
    } else {
      out.push(o);
      clauses = new Set([o.clause]);
    }
  }
  return out;
}

export interface Snippet {
  /** A window of the text around the first hits, with `…` where it was cut. */
  readonly text: string;
  /** UTF-16 offsets [start, end) of the hits in `text`. */
  readonly highlights: readonly (readonly [number, number])[];
}

/**
 * A snippet of about `width` characters around the first occurrence (the start of the text when the
 * query does not occur), with every occurrence inside it highlighted. Line breaks become spaces.
 */
export function snippet(fullText: string, q: ParsedQuery, width = 160): Snippet {
  const text = fullText.normalize('NFC');
  // Past the first exact occurrence, only what fits the window (below: it starts at most `width` / 3
  // before that occurrence and ends at most 20 after `width`) can be highlighted. When no clause's first
  // word occurs as typed (one native search of the text: a Han page searched by reading), the first
  // occurrence of any kind is that one.
  const lower = text.toLowerCase();
  const exactPossible = q.clauses.some((c) => c.tokens.length > 0 && lower.includes(c.tokens[0]!.exact));
  const reach = width + 21;
  const find = (tokens: Token[]) => occurrences(tokens, q, reach, exactPossible).sort((a, b) => Number(b.exact) - Number(a.exact) || a.from - b.from);
  // Most hits are near the top of a page: the lines up to three widths in are read first, and the whole
  // page only when the window is not settled within them (its anchor may come later, or reach past them:
  // the last token of the part may be a word the next line goes on with).
  let tokens: Token[] | undefined;
  let occ: Occurrence[] = [];
  const cut = text.length > 4 * width ? text.indexOf('\n', 3 * width) : -1;
  if (cut > 0) {
    const part = tokenize(text.slice(0, cut));
    const found = find(part);
    const anchor = found[0];
    if (anchor && (anchor.exact || !exactPossible) && part[anchor.from]!.start + reach < part.at(-1)!.start) [tokens, occ] = [part, found];
  }
  if (!tokens) {
    tokens = tokenize(text);
    occ = find(tokens);
  }
  const first = occ[0];
  const hitStart = first ? tokens[first.from]!.start : 0;
  let from = Math.max(0, hitStart - Math.floor(width / 3));
  // Start at a word boundary.
  if (from > 0) {
    const space = text.lastIndexOf(' ', from);
    from = space >= 0 && hitStart - space < width / 2 ? space + 1 : from;
  }
  let to = Math.min(text.length, from + width);
  if (to < text.length) {
    const space = text.indexOf(' ', to);
    to = space >= 0 && space - to < 20 ? space : to;
  }
  // Never cut a surrogate pair.
  if (from > 0 && /[\uDC00-\uDFFF]/.test(text[from]!)) from--;
  if (to < text.length && /[\uDC00-\uDFFF]/.test(text[to]!)) to++;
  const lead = from > 0 ? '…' : '';
  const body = text.slice(from, to).replace(/\s/g, ' '); // one for one: offsets stay
  const highlights: [number, number][] = [];
  const shift = lead.length - from;
  for (const o of occ.sort((a, b) => a.from - b.from)) {
    const s = tokens[o.from]!.start;
    const e = tokens[o.to - 1]!.end;
    if (s >= from && e <= to) highlights.push([s + shift, e + shift]);
  }
  return { text: lead + body + (to < text.length ? '…' : ''), highlights };
}

/** A snippet as HTML: escaped text, hits in <mark>. */
export function snippetHtml(s: Snippet, escape: (t: string) => string): string {
  let out = '';
  let at = 0;
  for (const [a, b] of s.highlights) {
    out += escape(s.text.slice(at, a)) + '<mark>' + escape(s.text.slice(a, b)) + '</mark>';
    at = b;
  }
  return out + escape(s.text.slice(at));
}
