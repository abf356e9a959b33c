/**
 * The search parameters a reader sends, typed once for the API (`/api/search`) and the results page
 * (`/search`): a bad one is a 400 naming it. A facet filter may be repeated (`kind=map&kind=book`).
 */
import { z } from 'zod';
import { ITEM_KINDS, SCRIPTS } from '../catalogue/schema.js';
import { parseOrThrow } from '../validation.js';
import type { CatalogueSearch } from '../archive/service.js';
import { MAX_QUERY_CHARS, parseQuery } from './query.js';

const many = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item).max(50, 'at most 50 values'));
const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be an identifier');
const year = z.coerce.number().int().min(-3000).max(2100);

export const PAGE_SIZES = [10, 20, 50, 100] as const;

/** `variants=0`: a Han character finds only the form typed, not its variants (學 not 学); on by default. Also on Content Search (our extension). */
export const Variants = z.enum(['0', '1'], { message: 'must be 0 or 1' }).default('1');

export const SearchParams = z
  .object({
    q: z.string().max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`).default(''),
    library: many(code),
    collection: many(code),
    kind: many(z.enum(ITEM_KINDS)),
    language: many(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language code like vi or lzh')),
    script: many(z.enum(SCRIPTS)),
    from: year.optional(),
    to: year.optional(),
    hasText: z.enum(['true', 'false']).optional(),
    variants: Variants,
    sort: z.enum(['relevance', 'date', 'date-desc', 'title']).default('relevance'),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    size: z.coerce
      .number()
      .int()
      .refine((n) => (PAGE_SIZES as readonly number[]).includes(n), `must be one of ${PAGE_SIZES.join(', ')}`)
      .default(20),
  })
  .refine((p) => p.from === undefined || p.to === undefined || p.from <= p.to, { message: 'from must not be after to', path: ['to'] });

export type SearchParamsInput = z.output<typeof SearchParams>;

/** Query string → the archive's search request. @throws BadRequestError naming the bad parameter */
export function searchRequest(query: Record<string, unknown>): { params: SearchParamsInput; request: CatalogueSearch } {
  // A GET form sends its empty fields (`from=&to=`): absent, not zero.
  const given = Object.fromEntries(Object.entries(query).filter(([k, v]) => k === 'q' || (v !== '' && !(Array.isArray(v) && v.every((x) => x === '')))));
  const params = parseOrThrow(SearchParams, given, 'query');
  return {
    params,
    request: {
      query: parseQuery(params.q, { variants: params.variants === '1' }),
      filters: {
        library: params.library,
        collection: params.collection,
        kind: params.kind,
        language: params.language,
        script: params.script,
        ...(params.from !== undefined ? { yearFrom: params.from } : {}),
        ...(params.to !== undefined ? { yearTo: params.to } : {}),
        ...(params.hasText ? { hasText: params.hasText === 'true' } : {}),
      },
      sort: params.sort,
      offset: (params.page - 1) * params.size,
      limit: params.size,
    },
  };
}
