/**
 * SQL conditions of the embedded index: the access scope and the reader's filters, on `search_record`
 * aliased as `r`, with named parameters collected in `Params` (never a value spliced into SQL).
 */
import type { AccessScope, SearchFilters } from './index.js';

export type Params = Record<string, string | number | null>;

/** Named parameters for a list of values: `@prefix0, @prefix1…` */
function list(values: readonly (string | number)[], prefix: string, p: Params): string {
  return values
    .map((v, i) => {
      p[`${prefix}${i}`] = v;
      return `@${prefix}${i}`;
    })
    .join(', ');
}

function has(facet: string, values: readonly string[], prefix: string, p: Params, r: string): string {
  if (values.length === 0) return '0';
  p[`${prefix}f`] = facet;
  return `EXISTS (SELECT 1 FROM search_value v WHERE v.rid = ${r}.rid AND v.facet = @${prefix}f AND v.value IN (${list(values, prefix, p)}))`;
}

/**
 * Which records the scope lets a reader discover (titles, descriptions) or read (page text): staff of an
 * owning or higher library see everything; others, the levels the policy lets them, and for reading
 * only when no embargo runs.
 */
export function accessSql(what: 'discover' | 'read', scope: AccessScope, p: Params, r: string): string {
  if (scope.staffOf === 'all') return '1';
  const staff = has('in-library', scope.staffOf, `${what}_staff`, p, r);
  const levels = what === 'discover' ? scope.discover : scope.read;
  if (levels.length === 0) return staff;
  const open = `${r}.level IN (${list(levels, `${what}_level`, p)})`;
  return what === 'discover' ? `(${staff} OR ${open})` : `(${staff} OR (${open} AND (${r}.embargo_until IS NULL OR ${r}.embargo_until <= @today)))`;
}

export function filterSql(f: SearchFilters, p: Params, r: string): string {
  const parts: string[] = [];
  const facet = (name: string, column: string, values: readonly string[] | undefined) => {
    if (values && values.length > 0) parts.push(has(column, values, `filter_${name}_`, p, r));
  };
  facet('library', 'library', f.library);
  facet('collection', 'collection', f.collection);
  facet('kind', 'kind', f.kind);
  facet('language', 'language', f.language);
  facet('script', 'script', f.script);
  if (f.hasText !== undefined) facet('hasText', 'hasText', [String(f.hasText)]);
  // Date ranges overlap: the item's [from, to] meets the asked [yearFrom, yearTo]; undated items are out.
  if (f.yearFrom !== undefined) {
    p.yearFrom = f.yearFrom;
    parts.push(`${r}.date_to >= @yearFrom`);
  }
  if (f.yearTo !== undefined) {
    p.yearTo = f.yearTo;
    parts.push(`${r}.date_from <= @yearTo`);
  }
  return parts.length > 0 ? parts.join(' AND ') : '1';
}
