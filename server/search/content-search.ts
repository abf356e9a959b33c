/**
 * IIIF Content Search within one item, without HTTP: where a query occurs on the pages the index found,
 * as boxes on the canvases, and the responses of Content Search 1.0 (what Mirador 4 reads) and 2.0.
 * Routes (`content-search-routes.ts`) parse, ask the archive (which checks the reader), and call this.
 *
 * A page's text is read from its OCR words, in reading order: words joined by " " (none in Han text, as
 * the OCR's own lines), lines by "\n" (so the
 * hyphen rule of `tokenize` joins a word broken at a line end), each token mapped back to the words it
 * covers. A match (`occurrences`, the same matching as the index and the snippets) becomes one hit; its
 * box on each line is the union of the boxes of the words it covers, so a phrase across a line break is
 * one hit of one annotation per line. OCR often boxes a run of Han characters as one "word": when a
 * match covers only some of a word's tokens, it gets the matching share of the word's box, by code
 * points (Nôm lives outside the BMP), along the word's long axis (a column of vertical text splits along y).
 *
 * Specifications: https://iiif.io/api/search/1.0/ and https://iiif.io/api/search/2.0/ (the fixtures
 * in test/fixtures/content-search/ are their example responses).
 */
import { NotFoundError } from '../errors.js';
import type { PresentationUris } from '../presentation/uris.js';
import { wordJoiner, type Box } from '../storage/layout.js';
import { hasHan, nfcWord, tokenize, type Token } from './fold.js';
import type { PageDoc, TermCount } from './index.js';
import { joinNeighbours, occurrences, type Occurrence } from './match.js';
import { readingAlternatives } from './reading.js';
import type { ParsedQuery } from './query.js';

type Json = Record<string, unknown>;

export const SEARCH1_CONTEXT = 'http://iiif.io/api/search/1/context.json';
export const SEARCH2_CONTEXT = 'http://iiif.io/api/search/2/context.json';
export const SEARCH1_PROFILE = 'http://iiif.io/api/search/1/search';
export const AUTOCOMPLETE1_PROFILE = 'http://iiif.io/api/search/1/autocomplete';
const PRESENTATION2_CONTEXT = 'http://iiif.io/api/presentation/2/context.json';

/**
 * Hits per response page (a hit's annotations are always on the page of the hit). Fifty: the boxes of
 * a page's hits come from its words, and a word found once or twice a page puts 50 hits on up to 50
 * pages; Mirador shows them and offers the next page.
 */
export const HITS_PER_PAGE = 50;
/** Terms per autocomplete response. */
export const TERMS_PER_RESPONSE = 20;
/** Parameters both specifications define that we do not implement: answered, and reported as ignored. */
export const UNIMPLEMENTED_PARAMS = ['motivation', 'date', 'user'] as const;
/** Characters of context before and after a match (cut back to a word boundary where there is one). */
const CONTEXT_CHARS = 48;

// ---- the text of a page, from its words ------------------------------------------------------------

interface WordSpan {
  readonly line: number;
  readonly box: Box;
  /** UTF-16 offsets [start, end) of the word in the page text. */
  readonly start: number;
  readonly end: number;
}

/** A page's text as read from its words, with where each word lies in it. */
export interface PageText {
  readonly canvas: number;
  readonly language: string;
  /** Words joined by " " (none in Han text), lines by "\n", NFC. */
  readonly text: string;
  readonly tokens: readonly Token[];
  readonly words: readonly WordSpan[];
}

export function pageText(doc: Pick<PageDoc, 'canvas' | 'language' | 'lines'>): PageText {
  // Words joined as the OCR's lines join them: this text is the page text the index holds, and both
  // give the same tokens.
  const joiner = wordJoiner(doc.language);
  let text = '';
  const words: WordSpan[] = [];
  doc.lines.forEach((line, i) => {
    if (i > 0) text += '\n';
    // A line without word boxes is one word (its own box).
    const units: readonly (Box & { text: string })[] = line.words.length > 0 ? line.words : [line];
    let first = true;
    for (const u of units) {
      const t = nfcWord(u.text);
      if (!t) continue;
      if (!first) text += joiner;
      first = false;
      words.push({ line: i, box: { x: u.x, y: u.y, w: u.w, h: u.h }, start: text.length, end: text.length + t.length });
      text += t;
    }
  });
  return { canvas: doc.canvas, language: doc.language, text, tokens: tokenize(text), words };
}

const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Code points [a, b) of n, as the same share of the box along its long axis. */
export function subBox(box: Box, a: number, b: number, n: number): Box {
  if (n <= 0 || (a <= 0 && b >= n)) return box;
  const along = (from: number, size: number) => {
    const s = from + Math.round((size * a) / n);
    return [s, Math.max(1, from + Math.round((size * b) / n) - s)] as const;
  };
  if (box.h > box.w) {
    const [y, h] = along(box.y, box.h);
    return { x: box.x, y, w: box.w, h };
  }
  const [x, w] = along(box.x, box.w);
  return { x, y: box.y, w, h: box.h };
}

function union(boxes: readonly Box[]): Box {
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  return { x, y, w: Math.max(...boxes.map((b) => b.x + b.w)) - x, h: Math.max(...boxes.map((b) => b.y + b.h)) - y };
}

/** Which word each UTF-16 offset of the text belongs to (-1: a separator), and each word's tokens. */
function wordMap(page: PageText): { wordAt: Int32Array; tokensOf: { first: number; last: number }[] } {
  const wordAt = new Int32Array(page.text.length).fill(-1);
  page.words.forEach((w, i) => wordAt.fill(i, w.start, w.end));
  const tokensOf = page.words.map(() => ({ first: Infinity, last: -Infinity }));
  page.tokens.forEach((t, k) => {
    for (let o = t.start; o < t.end; o++) {
      const w = wordAt[o]!;
      if (w < 0) continue;
      tokensOf[w]!.first = Math.min(tokensOf[w]!.first, k);
      tokensOf[w]!.last = Math.max(tokensOf[w]!.last, k);
    }
  });
  return { wordAt, tokensOf };
}

// ---- hits ----------------------------------------------------------------------------------------------

/** One line's share of a hit: one annotation. */
export interface HitPart {
  /** UTF-16 offsets [start, end) in the page text. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly box: Box;
}

export interface Hit {
  readonly canvas: number;
  readonly language: string;
  /** UTF-16 offsets [start, end) of the whole match in the page text. */
  readonly start: number;
  readonly end: number;
  /** The text matched, and the text just before and after it, as in the page (line breaks kept). */
  readonly match: string;
  readonly before: string;
  readonly after: string;
  /** One per line the match lies on, in reading order. */
  readonly parts: readonly HitPart[];
}

function contextBefore(text: string, at: number): string {
  let from = Math.max(0, at - CONTEXT_CHARS);
  if (from > 0) {
    const space = text.slice(from, at).search(/\s/);
    if (space >= 0 && from + space + 1 < at) from += space + 1;
    else if (/[\uDC00-\uDFFF]/.test(text[from]!)) from--;
  }
  return text.slice(from, at);
}

function contextAfter(text: string, at: number): string {
  let to = Math.min(text.length, at + CONTEXT_CHARS);
  if (to < text.length) {
    const cut = text.slice(at, to);
    const space = Math.max(cut.lastIndexOf(' '), cut.lastIndexOf('\n'));
    if (space > 0) to = at + space;
    else if (/[\uDC00-\uDFFF]/.test(text[to]!)) to++;
  }
  return text.slice(at, to);
}

function hitOf(page: PageText, map: ReturnType<typeof wordMap>, occ: Occurrence): Hit {
  const { text, tokens, words } = page;
  const start = tokens[occ.from]!.start;
  const end = tokens[occ.to - 1]!.end;
  // What the match covers of each word.
  const covered = new Map<number, { start: number; end: number }>();
  for (let o = start; o < end; o++) {
    const w = map.wordAt[o]!;
    if (w < 0) continue;
    const c = covered.get(w);
    if (c) c.end = o + 1;
    else covered.set(w, { start: o, end: o + 1 });
  }
  const lines = new Map<number, { start: number; end: number; boxes: Box[] }>();
  for (const [w, c] of covered) {
    const word = words[w]!;
    const own = map.tokensOf[w]!;
    const whole = own.first >= occ.from && own.last < occ.to;
    const box = whole
      ? word.box
      : subBox(word.box, codePoints(text.slice(word.start, c.start)), codePoints(text.slice(word.start, c.end)), codePoints(text.slice(word.start, word.end)));
    const line = lines.get(word.line);
    if (line) {
      line.end = c.end;
      line.boxes.push(box);
    } else {
      lines.set(word.line, { start: c.start, end: c.end, boxes: [box] });
    }
  }
  return {
    canvas: page.canvas,
    language: page.language,
    start,
    end,
    match: text.slice(start, end),
    before: contextBefore(text, start),
    after: contextAfter(text, end),
    parts: [...lines.values()].map((l) => ({ start: l.start, end: l.end, text: text.slice(l.start, l.end), box: union(l.boxes) })),
  };
}

/** One response page of hits, with the counts over all pages. */
export interface HitPage {
  /** Hits in the whole item (1.0 counts these). */
  readonly total: number;
  /** Annotations of all hits (one per line of a hit: 2.0 counts these). */
  readonly annotations: number;
  /** Annotations of the hits before this page (2.0 `startIndex`). */
  readonly annotationsBefore: number;
  /** 1-based; `pages` is at least 1 (an empty result is one empty page). */
  readonly page: number;
  readonly pages: number;
  readonly pageSize: number;
  readonly hits: readonly Hit[];
}

/**
 * The hits of a query in an item's matching pages (canvas order, then text order), page `page` of them.
 * Pages hold `pageSize` hits each, so that a hit and all its annotations are on one page (Mirador
 * looks a hit's annotations up in the page it read). @throws NotFoundError (a page beyond the last)
 */
export function findHits(docs: readonly PageDoc[], query: ParsedQuery, page = 1, pageSize = HITS_PER_PAGE): HitPage {
  // Pass 1, every matching page: hits and their lines counted from the stored text alone (tokens, no
  // word boxes: a common word in a 500-page book is ten thousand hits, and its pages' boxes weigh
  // megabytes). Pass 2, the pages this response shows: boxes from the words.
  const sorted = [...docs].sort((a, b) => a.canvas - b.canvas);
  const readings = readingAlternatives(query) !== null;
  // A clause matched on exact forms (variants=0) is counted from the tokens too: the stored folded
  // text has each Han character as its variant class.
  const strict = query.clauses.some((c) => c.strict);
  const counts = sorted.map((doc) => {
    // A run of readings over Han characters is found from the tokens (the expression knows only words).
    const byTokens = doc.folded === undefined || ((readings || strict) && hasHan(doc.folded));
    const parts = query.clauses.length === 0 ? [] : byTokens ? partsFromText(doc.text, query) : partsFromFolded(doc.folded!, query);
    return { hits: parts.length, parts };
  });
  const total = counts.reduce((n, c) => n + c.hits, 0);
  const annotations = counts.reduce((n, c) => n + c.parts.reduce((a, b) => a + b, 0), 0);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (page > pages) throw new NotFoundError(`the search has ${pages} page(s) of results; there is no page ${page}`, 'unknown_page');
  const from = (page - 1) * pageSize;
  const hits: Hit[] = [];
  let seen = 0;
  let annotationsBefore = 0;
  sorted.forEach((doc, n) => {
    const c = counts[n]!;
    const first = Math.max(0, from - seen);
    const last = Math.min(c.hits, from + pageSize - seen);
    annotationsBefore += c.parts.slice(0, Math.min(first, c.hits)).reduce((a, b) => a + b, 0);
    if (first < last) {
      const text = pageText(doc);
      const map = wordMap(text);
      for (const occ of joinNeighbours(occurrences(text.tokens, query)).slice(first, last)) hits.push(hitOf(text, map, occ));
    }
    seen += c.hits;
  });
  return { total, annotations, annotationsBefore, page, pages, pageSize, hits };
}

/** Lines each hit spans, from the page text. */
function partsFromText(text: string, query: ParsedQuery): number[] {
  const tokens = tokenize(text);
  return joinNeighbours(occurrences(tokens, query)).map((o) => 1 + newlines(text, tokens[o.from]!.start, tokens[o.to - 1]!.end));
}

/**
 * The same, from the folded tokens the embedded index keeps (tokens joined by " ", " \n " between
 * lines), with one regular expression and no token objects: the clauses as alternatives, longest first,
 * each token whole, a line break allowed between tokens. A regular expression takes, at each position,
 * the first alternative that matches and never overlaps matches: the longest clause, as `occurrences`.
 */
function partsFromFolded(folded: string, query: ParsedQuery): number[] {
  const { pattern, clauseOf } = clausePattern(query);
  const found: Occurrence[] = [];
  const lines: [number, number][] = [];
  // Token positions stand in for string offsets: `from` is where the match starts, `to` where the next
  // token after it would, so that neighbours (only separators between) have last.to === next.from.
  let end = -1;
  let position = 0;
  for (const m of folded.matchAll(pattern)) {
    const gap = end >= 0 ? folded.slice(end, m.index) : '';
    position += end >= 0 && (gap === ' ' || gap === ' \n ') ? 0 : 1;
    found.push({ from: position, to: position + 1, exact: false, clause: clauseOf(m) });
    position++;
    lines.push([newlines(gap, 0, gap.length), newlines(m[0], 0, m[0].length)]);
    end = m.index + m[0].length;
  }
  // Join as the words are joined, then count the lines each hit spans.
  const parts: number[] = [];
  let k = 0;
  for (const o of joinNeighbours(found)) {
    let n = 1 + lines[k]![1];
    for (let j = k + 1; j < k + (o.to - o.from); j++) n += lines[j]![0] + lines[j]![1];
    parts.push(n);
    k += o.to - o.from;
  }
  return parts;
}

function clausePattern(query: ParsedQuery): { pattern: RegExp; clauseOf: (m: RegExpMatchArray) => number } {
  const alternatives = query.clauses
    .map((c, clause) => ({ clause, tokens: c.tokens.map((t) => t.folded.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')) }))
    .sort((a, b) => b.tokens.length - a.tokens.length || a.clause - b.clause);
  // One capturing group per alternative says which clause matched.
  const pattern = new RegExp(`(?<=^| )(?:${alternatives.map((a) => `(${a.tokens.join('(?: \n)? ')})`).join('|')})(?= |$)`, 'gu');
  return { pattern, clauseOf: (m) => alternatives[m.findIndex((g, i) => i > 0 && g !== undefined) - 1]!.clause };
}

function newlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

// ---- responses -----------------------------------------------------------------------------------------

/** What the client asked, echoed in the responses' URIs (ignored parameters are dropped from them). */
export interface SearchRequestEcho {
  readonly q: string;
  /** Names of received parameters we do not implement. */
  readonly ignored: readonly string[];
}

function withQuery(url: string, params: Record<string, string | number | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
  return `${url}?${s}`;
}

const fragment = (uris: PresentationUris, itemId: string, canvas: number, b: Box) => `${uris.canvas(itemId, canvas)}#xywh=${b.x},${b.y},${b.w},${b.h}`;
/** Line breaks as spaces, for texts shown on one line (1.0 snippets). */
const oneLine = (s: string) => s.replace(/\s/g, ' ');
const ignoredOf = (req: SearchRequestEcho) => (req.ignored.length > 0 ? { ignored: [...req.ignored] } : {});

/**
 * Content Search 1.0 (§3.3–3.4): an sc:AnnotationList of the matching text on the canvases (one
 * annotation per line of a match), a search:Hit per match with its context, the result set as the
 * sc:Layer in `within` (total, first, last, ignored parameters), and next/prev/startIndex.
 */
export function search1Response(uris: PresentationUris, itemId: string, req: SearchRequestEcho, result: HitPage): Json {
  const pageUrl = (n: number) => withQuery(uris.search1(itemId), { q: req.q, page: n });
  const resources: Json[] = [];
  const hits: Json[] = [];
  for (const hit of result.hits) {
    const ids = hit.parts.map((p) => uris.searchText(itemId, hit.canvas, p.start, p.end));
    hit.parts.forEach((p, i) =>
      resources.push({
        '@id': ids[i],
        '@type': 'oa:Annotation',
        motivation: 'sc:painting',
        resource: { '@type': 'cnt:ContentAsText', chars: p.text },
        on: fragment(uris, itemId, hit.canvas, p.box),
      }),
    );
    hits.push({ '@type': 'search:Hit', annotations: ids, match: oneLine(hit.match), before: oneLine(hit.before), after: oneLine(hit.after) });
  }
  return {
    '@context': [PRESENTATION2_CONTEXT, SEARCH1_CONTEXT],
    '@id': pageUrl(result.page),
    '@type': 'sc:AnnotationList',
    within: { '@type': 'sc:Layer', total: result.total, first: pageUrl(1), last: pageUrl(result.pages), ...ignoredOf(req) },
    ...(result.page < result.pages ? { next: pageUrl(result.page + 1) } : {}),
    ...(result.page > 1 ? { prev: pageUrl(result.page - 1) } : {}),
    startIndex: (result.page - 1) * result.pageSize,
    resources,
    hits,
  };
}

/**
 * Content Search 2.0 (§4.2–4.3): an AnnotationPage of the matching text on the canvases (one annotation
 * per line of a match, `supplementing` like the OCR annotations they are cut from), in the result set's
 * AnnotationCollection (`partOf`: total, first, last; its total and `startIndex` count annotations), and an `annotations` page with one
 * `contextualizing` annotation per match: a TextQuoteSelector (prefix, exact, suffix) on each of its
 * annotations (§4.3.1; several targets for a match across lines, §4.3.4).
 */
export function search2Response(uris: PresentationUris, itemId: string, req: SearchRequestEcho, result: HitPage): Json {
  const pageRef = (n: number) => ({ id: withQuery(uris.search2(itemId), { q: req.q, page: n }), type: 'AnnotationPage' });
  const items: Json[] = [];
  const context: Json[] = [];
  for (const hit of result.hits) {
    const ids = hit.parts.map((p) => uris.searchText(itemId, hit.canvas, p.start, p.end));
    hit.parts.forEach((p, i) =>
      items.push({
        id: ids[i],
        type: 'Annotation',
        motivation: 'supplementing',
        body: { type: 'TextualBody', value: p.text, format: 'text/plain', ...(hit.language ? { language: hit.language } : {}) },
        target: fragment(uris, itemId, hit.canvas, p.box),
      }),
    );
    const last = hit.parts.length - 1;
    const targets = hit.parts.map((p, i) => ({
      type: 'SpecificResource',
      source: ids[i],
      selector: [
        {
          type: 'TextQuoteSelector',
          ...(i === 0 && hit.before ? { prefix: hit.before } : {}),
          exact: p.text,
          ...(i === last && hit.after ? { suffix: hit.after } : {}),
        },
      ],
    }));
    context.push({ id: uris.searchMatch(itemId, hit.canvas, hit.start, hit.end), type: 'Annotation', motivation: 'contextualizing', target: targets.length === 1 ? targets[0] : targets });
  }
  return {
    '@context': SEARCH2_CONTEXT,
    ...pageRef(result.page),
    partOf: {
      id: withQuery(uris.search2(itemId), { q: req.q }),
      type: 'AnnotationCollection',
      // Annotations, not matches (§4.2.2; §4.3.3: "determined by the division of the content").
      total: result.annotations,
      first: pageRef(1),
      last: pageRef(result.pages),
    },
    ...(result.page < result.pages ? { next: pageRef(result.page + 1) } : {}),
    ...(result.page > 1 ? { prev: pageRef(result.page - 1) } : {}),
    startIndex: result.annotationsBefore,
    ...ignoredOf(req),
    items,
    ...(context.length > 0 ? { annotations: [{ type: 'AnnotationPage', items: context }] } : {}),
  };
}

export interface AutocompleteEcho extends SearchRequestEcho {
  readonly min?: number | undefined;
}

/** Terms counted at least `min` times (1 by default), as the index gave them (most frequent first). */
export const termsOver = (terms: readonly TermCount[], min = 1) => terms.filter((t) => t.count >= min);

/**
 * Terms found by the folded beginning of a word, those written as typed first (`nhâ` puts `nhân` before
 * the more frequent `nhà`; `nha` keeps the index's order, most frequent first).
 */
export function rankTerms(terms: readonly TermCount[], typed: string): TermCount[] {
  const exact = typed.normalize('NFC').trim().toLowerCase();
  const asTyped = (t: TermCount) => (t.term.normalize('NFC').toLowerCase().startsWith(exact) ? 0 : 1);
  return [...terms].sort((a, b) => asTyped(a) - asTyped(b));
}

/** Content Search 1.0 autocomplete (§4.3): a search:TermList; each term links to its search. */
export function termList1(uris: PresentationUris, itemId: string, req: AutocompleteEcho, terms: readonly TermCount[]): Json {
  return {
    '@context': SEARCH1_CONTEXT,
    '@id': withQuery(uris.autocomplete1(itemId), { q: req.q, min: req.min }),
    '@type': 'search:TermList',
    ...ignoredOf(req),
    terms: termsOver(terms, req.min).map((t) => ({ match: t.term, url: withQuery(uris.search1(itemId), { q: t.term }), count: t.count })),
  };
}

/**
 * Content Search 2.0 autocomplete (§5.2–5.3): a TermPage of terms with their counts. A term is a word as
 * written, usable as `q` directly, so it needs no `service` link (§5.3: only "when the value cannot be
 * used directly").
 */
export function termPage2(uris: PresentationUris, itemId: string, req: AutocompleteEcho, terms: readonly TermCount[]): Json {
  return {
    '@context': SEARCH2_CONTEXT,
    id: withQuery(uris.autocomplete2(itemId), { q: req.q, min: req.min }),
    type: 'TermPage',
    ...ignoredOf(req),
    items: termsOver(terms, req.min).map((t) => ({ value: t.term, total: t.count })),
  };
}

/**
 * The manifest's service entries: Content Search 1.0 as Presentation 3 references an older service
 * (`@id`, `@type`, `profile`: Mirador 4 finds it by profile), and 2.0 (`id`, `type`), each with its
 * autocomplete.
 */
export function contentSearchServices(uris: PresentationUris, itemId: string): Json[] {
  return [
    {
      '@id': uris.search1(itemId),
      '@type': 'SearchService1',
      profile: SEARCH1_PROFILE,
      service: [{ '@id': uris.autocomplete1(itemId), '@type': 'AutoCompleteService1', profile: AUTOCOMPLETE1_PROFILE }],
    },
    { id: uris.search2(itemId), type: 'SearchService2', service: [{ id: uris.autocomplete2(itemId), type: 'AutoCompleteService2' }] },
  ];
}
