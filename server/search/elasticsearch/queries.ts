/**
 * Query bodies. Everything a reader typed arrives here as tokens (`query.ts`) and leaves as the text of
 * `match_phrase` queries on the application-form fields (analysed by whitespace only): no query syntax
 * is ever parsed by Elasticsearch, so nothing typed can make a query fail.
 */
import type { estypes } from '@elastic/elasticsearch';
import { fold, indexForm, type Token } from '../fold.js';
import type { AccessScope, Facet, SearchFilters, SearchRequest } from '../index.js';
import { clauseForm, type Clause, type ParsedQuery } from '../query.js';
import { readingAlternatives } from '../reading.js';
import { JOIN, PAGE, PAGE_SOURCE, RECORD, RECORD_FIELDS } from './mapping.js';

type Query = estypes.QueryDslQueryContainer;

/** Named queries: which part of the match a hit satisfied (`matched_queries`). */
export const RECORD_MATCH = 'record';
export const PAGES_MATCH = 'pages';
/** Inner hits of a query of several clauses found on different pages: the pages with any of them. */
export const PAGES_ANY = 'page-any';

/** `from + size` beyond this is refused by Elasticsearch (`index.max_result_window`, default). */
export const MAX_WINDOW = 10_000;
/** Values listed per facet. */
export const FACET_SIZE = 200;
/** The record fields each hit brings back: the item and what decides whether its pages may be shown. */
export const HIT_SOURCE = ['itemId', 'level', 'embargoUntil', 'libraries'];

/**
 * Lucene counts every term of every phrase against `max_clause_count` (at least 1024 on any node). A
 * record clause costs 4 fields × 2 forms and a page clause 2 forms per token: long queries lose the
 * exact-form boosts first, then very long phrases match on their first tokens only.
 */
const TERM_BUDGET = 900;

export interface Plan {
  readonly clauses: readonly Clause[];
  /** Whether exact forms are added as ranking boosts. */
  readonly exact: boolean;
}

export function plan(clauses: readonly Clause[], costPerToken = RECORD_FIELDS.length + 1): Plan {
  const total = clauses.reduce((n, c) => n + c.tokens.length, 0);
  if (total * costPerToken * 2 <= TERM_BUDGET) return { clauses, exact: true };
  const max = Math.floor(TERM_BUDGET / costPerToken);
  if (total <= max) return { clauses, exact: false };
  // The longest cap per clause that keeps the sum under budget (every clause keeps at least one token).
  let cap = 1;
  while (clauses.reduce((n, c) => n + Math.min(c.tokens.length, cap + 1), 0) <= max) cap++;
  return { clauses: clauses.map((c) => ({ ...c, tokens: c.tokens.slice(0, cap) })), exact: false };
}

const phrase = (field: string, tokens: readonly Token[], form: 'exact' | 'folded', boost?: number): Query => ({
  match_phrase: { [field]: { query: indexForm(tokens, form), slop: 0, ...(boost === undefined ? {} : { boost }) } },
});

/** A clause on a field: its folded forms on `<field>_f`, or its exact forms on `<field>` (Clause.strict). */
const clausePhrase = (field: string, c: Clause, boost?: number): Query => {
  const form = clauseForm(c);
  return phrase(`${field}_${form === 'exact' ? 'x' : 'f'}`, c.tokens, form, boost);
};

/**
 * The query read as a run of readings (reading.ts) on a reading field (`title_r`, `text_r`): each position
 * any of its alternatives (a syllable, or a reading set that holds it), the positions next to each other in
 * order. Elasticsearch can put OR at a position (span_or), so it needs none of the embedded index's
 * phrase combinations. Undefined when the query does not read as one.
 */
export function readingSpan(field: string, q: ParsedQuery): Query | undefined {
  const alternatives = readingAlternatives(q);
  if (!alternatives) return undefined;
  const at = (alts: readonly string[]): estypes.QueryDslSpanQuery =>
    alts.length === 1 ? { span_term: { [field]: alts[0] as string } } : { span_or: { clauses: alts.map((t) => ({ span_term: { [field]: t } })) } };
  return alternatives.length === 1 ? (at(alternatives[0] as string[]) as Query) : { span_near: { clauses: alternatives.map(at), slop: 0, in_order: true } };
}

/** A query, or else the reading run. */
const orReading = (query: Query, reading: Query | undefined): Query => (reading ? { bool: { should: [query, reading], minimum_should_match: 1 } } : query);

const isPage: Query = { term: { [JOIN]: PAGE } };
const isRecord: Query = { term: { [JOIN]: RECORD } };

/** Records the reader may discover: nothing for an administrator; else own libraries or a discoverable level. */
export function discoverFilter(scope: AccessScope): Query[] {
  if (scope.staffOf === 'all') return [];
  return [{ bool: { should: [{ terms: { libraries: [...scope.staffOf] } }, { terms: { level: [...scope.discover] } }], minimum_should_match: 1 } }];
}

/** Records whose content (pages) the reader may read: own libraries, or a readable level and no embargo left. */
export function readFilter(scope: AccessScope): Query[] {
  if (scope.staffOf === 'all') return [];
  const notEmbargoed: Query = {
    bool: { should: [{ bool: { must_not: [{ exists: { field: 'embargoUntil' } }] } }, { range: { embargoUntil: { lte: scope.today } } }], minimum_should_match: 1 },
  };
  return [
    {
      bool: {
        should: [{ terms: { libraries: [...scope.staffOf] } }, { bool: { filter: [{ terms: { level: [...scope.read] } }, notEmbargoed] } }],
        minimum_should_match: 1,
      },
    },
  ];
}

/** The same rule in the application, for what a hit brings back (`HIT_SOURCE`): pages are never shown otherwise. */
export function mayRead(scope: AccessScope, src: { level?: string; embargoUntil?: string | null; libraries?: readonly string[] }): boolean {
  if (scope.staffOf === 'all') return true;
  const staff = scope.staffOf;
  if ((src.libraries ?? []).some((l) => staff.includes(l))) return true;
  if (!src.level || !(scope.read as readonly string[]).includes(src.level)) return false;
  return !src.embargoUntil || src.embargoUntil <= scope.today;
}

const FILTER_FIELDS: Record<Exclude<keyof SearchFilters, 'yearFrom' | 'yearTo' | 'hasText'>, string> = {
  library: 'library',
  collection: 'collections',
  kind: 'kind',
  language: 'languages',
  script: 'scripts',
};

export function readerFilters(f: SearchFilters): Query[] {
  const out: Query[] = [];
  for (const [key, field] of Object.entries(FILTER_FIELDS) as [keyof typeof FILTER_FIELDS, string][]) {
    const values = f[key];
    if (values && values.length > 0) out.push({ terms: { [field]: [...values] } });
  }
  if (f.hasText !== undefined) out.push({ term: { hasText: f.hasText } });
  // Date ranges that overlap [yearFrom, yearTo] (open ends were closed at write time).
  if (f.yearFrom !== undefined) out.push({ range: { dateTo: { gte: f.yearFrom } } });
  if (f.yearTo !== undefined) out.push({ range: { dateFrom: { lte: f.yearTo } } });
  return out;
}

/**
 * Every clause in some record field (folded forms), ranked by field weight, exact forms ranked higher;
 * or the query read as a run of readings in a title.
 */
function recordMatch(p: Plan, q: ParsedQuery): Query {
  const must = p.clauses.map<Query>((c) => ({
    bool: {
      should: [
        ...RECORD_FIELDS.map(([field, weight]) => clausePhrase(field, c, weight)),
        ...(p.exact ? RECORD_FIELDS.map(([field, weight]) => phrase(`${field}_x`, c.tokens, 'exact', weight)) : []),
      ],
      minimum_should_match: 1,
    },
  }));
  const reading = readingSpan('title_r', q);
  return reading ? { bool: { _name: RECORD_MATCH, should: [{ bool: { must } }, reading], minimum_should_match: 1 } } : { bool: { _name: RECORD_MATCH, must } };
}

/** Every clause in the page text (folded forms), or the reading run when given; exact forms rank a page higher. */
export function pageText(p: Plan, reading?: Query): Query {
  const clauses: Query = {
    bool: {
      must: p.clauses.map((c) => clausePhrase('text', c)),
      ...(p.exact ? { should: p.clauses.map((c) => phrase('text_x', c.tokens, 'exact')) } : {}),
    },
  };
  return orReading(clauses, reading);
}

/** The pages an item shows: best first; among equals, in canvas order. */
const innerHits = (name: string, size: number): estypes.SearchInnerHits => ({ name, size, _source: ['canvas', 'text'], sort: ['_score', { canvas: 'asc' }] });

/**
 * Records whose pages have every clause, when the reader may read the record's content (decided on the
 * parent). One clause: a page that has it. Several: each on some page of the item, together or not (as
 * the embedded index finds them); the pages shown are those with all of them (inner hits `page`) or, when
 * no page has all, those with any (`page-any`).
 */
function pagesMatch(p: Plan, q: ParsedQuery, scope: AccessScope, pagesPerItem: number): Query {
  const child = (query: Query, inner?: estypes.SearchInnerHits): Query => ({
    has_child: { type: PAGE, score_mode: 'max', boost: 0.5, query, ...(inner ? { inner_hits: inner } : {}) },
  });
  // Pages with every clause, or with the query read as a run of readings (shown as `page` alike).
  const reading = readingSpan('text_r', q);
  const all = child(pageText(p, reading), innerHits(PAGE, pagesPerItem));
  const read = readFilter(scope);
  const filter = read.length ? { filter: read } : {};
  if (p.clauses.length < 2) return { bool: { _name: PAGES_MATCH, must: [all], ...filter } };
  const any = child({ bool: { should: p.clauses.map((c) => clausePhrase('text', c)), minimum_should_match: 1 } }, innerHits(PAGES_ANY, pagesPerItem));
  return {
    bool: {
      _name: PAGES_MATCH,
      must: [orReading({ bool: { must: p.clauses.map((c) => child(pageText({ clauses: [c], exact: p.exact }))) } }, reading && child(reading))],
      should: [all, any],
      ...filter,
    },
  };
}

function sortOf(req: SearchRequest, empty: boolean): estypes.SortCombinations[] {
  const tail: estypes.SortCombinations[] = [{ sortTitle: 'asc' }, { itemId: 'asc' }];
  switch (req.sort) {
    case 'date':
      return [{ dateFrom: { order: 'asc', missing: '_last' } }, ...tail];
    case 'date-desc':
      return [{ dateTo: { order: 'desc', missing: '_last' } }, ...tail];
    case 'title':
      return tail;
    default:
      return empty ? tail : ['_score', ...tail];
  }
}

export const FACET_FIELDS: Record<Facet, string> = {
  library: 'library',
  // An item counts under its collection and every one above it, as choosing one finds (embedded too).
  collection: 'collections',
  kind: 'kind',
  language: 'languages',
  script: 'scripts',
  hasText: 'hasText',
};

/** Facet counts and the years' span, over everything the query and filters leave (the facets asked for). */
function aggsOf(): Record<string, estypes.AggregationsAggregationContainer> {
  const aggs: Record<string, estypes.AggregationsAggregationContainer> = {};
  for (const [name, field] of Object.entries(FACET_FIELDS)) {
    aggs[name] = { terms: { field, size: FACET_SIZE, order: [{ _count: 'desc' }, { _key: 'asc' }] } };
  }
  aggs.years_min = { min: { field: 'dateFrom' } };
  aggs.years_max = { max: { field: 'dateTo' } };
  return aggs;
}

/** The search request body (without `index`): records under the scope and filters, matched or listed. */
export function searchBody(req: SearchRequest): estypes.SearchRequest {
  const empty = req.query.clauses.length === 0;
  const filter = [isRecord, ...discoverFilter(req.scope), ...readerFilters(req.filters)];
  let must: Query;
  if (empty) must = { match_all: {} };
  else {
    // A query of several clauses asks for pages three times (each clause, all, any): a larger cost per token.
    const p = plan(req.query.clauses, RECORD_FIELDS.length + (req.query.clauses.length < 2 ? 1 : 3));
    must = { bool: { should: [recordMatch(p, req.query), pagesMatch(p, req.query, req.scope, Math.max(0, req.pagesPerItem))], minimum_should_match: 1 } };
  }
  const from = Math.max(0, req.offset);
  const size = from >= MAX_WINDOW ? 0 : Math.max(0, Math.min(req.limit, MAX_WINDOW - from));
  return {
    from: size === 0 ? 0 : from,
    size,
    track_total_hits: true,
    _source: HIT_SOURCE,
    query: { bool: { filter, must: [must] } },
    sort: sortOf(req, empty),
    ...(req.facets ? { aggs: aggsOf() } : {}),
  };
}

/** Pages of one item whose text matches every clause, in canvas order. */
export function searchItemBody(itemId: string, query: ParsedQuery, limit: number): estypes.SearchRequest {
  const p = plan(query.clauses, 1);
  return {
    routing: itemId,
    size: Math.max(0, Math.min(limit, MAX_WINDOW)),
    _source: PAGE_SOURCE,
    query: { bool: { filter: [isPage, { term: { itemId } }, orReading({ bool: { filter: p.clauses.map((c) => clausePhrase('text', c)) } }, readingSpan('text_r', query))] } },
    sort: [{ canvas: 'asc' }],
  };
}

/** A Lucene regular expression matching `text` literally (every character but letters and digits escaped). */
export const regexLiteral = (text: string) => text.replace(/[^\p{L}\p{N}]/gu, (ch) => `\\${ch}`);

/** Buckets read for a suggestion: the words (with their per-page counts) of one item starting with the prefix. */
export const SUGGEST_BUCKETS = 10_000;

/** Words (`folded|exact|n`) of an item's pages whose folded form starts with the prefix. */
export function suggestBody(itemId: string, prefix: string): estypes.SearchRequest {
  return {
    routing: itemId,
    size: 0,
    query: { bool: { filter: [isPage, { term: { itemId } }] } },
    aggs: {
      words: {
        terms: {
          field: 'words',
          include: `${regexLiteral(fold(prefix.normalize('NFC').trim()))}[^|]*\\|.*`,
          size: SUGGEST_BUCKETS,
          order: [{ _count: 'desc' }, { _key: 'asc' }],
        },
      },
    },
  };
}
