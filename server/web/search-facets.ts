/**
 * The results page's filters: links that add or remove one facet value (keeping every other parameter),
 * the active filters with a remove link each, and the year range. Plain links and GET forms, so they
 * work without JavaScript and every state of the page has its own URL.
 */
import { FIELD } from '../presentation/labels.js';
import type { Facet } from '../search/index.js';
import type { SearchParamsInput } from '../search/params.js';
import { TERM_LABELS, type NamedCount, type NamedFacets } from '../search/present.js';
import { esc, t, type Lang } from './html.js';

/** Facets whose filter is a repeatable parameter of the same name. */
const LIST_FACETS = ['library', 'collection', 'kind', 'language', 'script'] as const;
type ListFacet = (typeof LIST_FACETS)[number];

const FACET_ORDER: readonly Facet[] = ['library', 'collection', 'kind', 'language', 'script', 'hasText'];
/** Values shown before "more": the rest wait in a closed <details>, so a long list does not push the results away on a phone. */
const SHOWN = 8;

const facetTitle = (f: Facet, lang: Lang): string =>
  f === 'library' ? t('library', lang) : f === 'collection' ? t('collections', lang) : f === 'hasText' ? t('hasText', lang) : FIELD[{ kind: 'kind', language: 'languages', script: 'scripts' }[f]]![lang];

/** The search URL for these parameters with some changed; any change but paging goes back to page 1. */
export function searchHref(p: SearchParamsInput, lang: Lang, change: Partial<SearchParamsInput> = {}): string {
  const v: SearchParamsInput = { ...p, page: 1, ...change };
  const s = new URLSearchParams();
  if (v.q) s.set('q', v.q);
  for (const f of LIST_FACETS) for (const x of v[f]) s.append(f, x);
  if (v.from !== undefined) s.set('from', String(v.from));
  if (v.to !== undefined) s.set('to', String(v.to));
  if (v.hasText) s.set('hasText', v.hasText);
  if (v.variants === '0') s.set('variants', '0');
  if (v.sort !== 'relevance') s.set('sort', v.sort);
  if (v.page > 1) s.set('page', String(v.page));
  if (v.size !== 20) s.set('size', String(v.size));
  s.set('lang', lang);
  return `/search?${s}`;
}

/** The parameters as hidden inputs, for the page's GET forms (sort, years) to keep them. */
export function hiddenInputs(p: SearchParamsInput, lang: Lang, omit: readonly string[]): string {
  const pairs: [string, string][] = [['q', p.q], ['lang', lang]];
  for (const f of LIST_FACETS) for (const x of p[f]) pairs.push([f, x]);
  if (p.from !== undefined) pairs.push(['from', String(p.from)]);
  if (p.to !== undefined) pairs.push(['to', String(p.to)]);
  if (p.hasText) pairs.push(['hasText', p.hasText]);
  if (p.variants === '0') pairs.push(['variants', '0']);
  pairs.push(['sort', p.sort], ['size', String(p.size)]);
  return pairs
    .filter(([k, v]) => v !== '' && !omit.includes(k))
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`)
    .join('');
}

const isActive = (p: SearchParamsInput, f: Facet, value: string): boolean => (f === 'hasText' ? p.hasText === value : (p[f] as readonly string[]).includes(value));

/** The parameters with one facet value added, or removed when it is on. */
function toggled(p: SearchParamsInput, f: Facet, value: string): Partial<SearchParamsInput> {
  if (f === 'hasText') return { hasText: p.hasText === value ? undefined : (value as 'true' | 'false') };
  const list = p[f] as readonly string[];
  return { [f]: list.includes(value) ? list.filter((x) => x !== value) : [...list, value] };
}

function facetValue(p: SearchParamsInput, lang: Lang, f: Facet, c: NamedCount): string {
  const on = isActive(p, f, c.value);
  // The link's text says what following it does: a screen reader hears "remove filter" on a chosen value.
  return `<li><a class="fv${on ? ' on' : ''}" href="${esc(searchHref(p, lang, toggled(p, f, c.value)))}">${on ? `<span class="sr">${t('removeFilter', lang)}: </span>` : ''}<span class="box" aria-hidden="true"></span><span class="lbl">${esc(c.label[lang])}</span> <span class="n">${c.count.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB')}</span></a></li>`;
}

function facetList(p: SearchParamsInput, lang: Lang, f: Facet, counts: readonly NamedCount[]): string {
  const items = counts.map((c) => facetValue(p, lang, f, c));
  const rest = items.length > SHOWN ? `<details class="more"><summary>${t('more', lang)} (${items.length - SHOWN})</summary><ul>${items.slice(SHOWN).join('')}</ul></details>` : '';
  return `<section class="facet"><h3>${esc(facetTitle(f, lang))}</h3><ul>${items.slice(0, SHOWN).join('')}</ul>${rest}</section>`;
}

function yearForm(p: SearchParamsInput, lang: Lang, years: { min: number; max: number } | null): string {
  const input = (name: 'from' | 'to', placeholder: number | undefined) =>
    `<label>${t(name, lang)} <input type="number" name="${name}" inputmode="numeric" min="-3000" max="2100" step="1"${placeholder !== undefined ? ` placeholder="${placeholder}"` : ''}${p[name] !== undefined ? ` value="${p[name]}"` : ''}></label>`;
  return `<form class="years" action="/search" method="get">${hiddenInputs(p, lang, ['from', 'to'])}
<fieldset><legend>${t('years', lang)}</legend>${input('from', years?.min)} ${input('to', years?.max)} <button type="submit">${t('apply', lang)}</button></fieldset></form>`;
}

/** The facet lists and the year range, folded away under a <details> on narrow screens (CSS opens it on wide ones). */
export function facetsPanel(p: SearchParamsInput, lang: Lang, facets: NamedFacets, years: { min: number; max: number } | null): string {
  const lists = FACET_ORDER.map((f) => (facets[f]?.length ? facetList(p, lang, f, facets[f]) : '')).join('\n');
  return `<details class="facets"><summary>${t('filters', lang)}</summary>
<div class="facet-body">${yearForm(p, lang, years)}
${lists}</div></details>`;
}

export const anyFilter = (p: SearchParamsInput): boolean => LIST_FACETS.some((f) => p[f].length > 0) || p.from !== undefined || p.to !== undefined || p.hasText !== undefined;

/** The parameters with every filter removed (the query and sort kept). */
export const NO_FILTERS: Partial<SearchParamsInput> = { library: [], collection: [], kind: [], language: [], script: [], from: undefined, to: undefined, hasText: undefined };

/** The filters in force, each with a link that removes it; empty when none is. */
export function activeFilters(p: SearchParamsInput, lang: Lang, facets: NamedFacets): string {
  if (!anyFilter(p)) return '';
  // Named by the counts when the value has any; else (no results) by the label tables.
  const label = (f: Facet, value: string) => facets[f]?.find((c) => c.value === value)?.label[lang] ?? TERM_LABELS[f]?.[value]?.[lang] ?? value;
  const chip = (text: string, change: Partial<SearchParamsInput>) =>
    `<li>${esc(text)} <a href="${esc(searchHref(p, lang, change))}" aria-label="${esc(`${t('removeFilter', lang)}: ${text}`)}">×</a></li>`;
  const chips: string[] = [];
  for (const f of LIST_FACETS as readonly ListFacet[]) for (const v of p[f]) chips.push(chip(`${facetTitle(f, lang)}: ${label(f, v)}`, toggled(p, f, v)));
  if (p.hasText) chips.push(chip(`${facetTitle('hasText', lang)}: ${label('hasText', p.hasText)}`, { hasText: undefined }));
  if (p.from !== undefined || p.to !== undefined) chips.push(chip(`${t('years', lang)}: ${p.from ?? '…'}–${p.to ?? '…'}`, { from: undefined, to: undefined }));
  return `<div class="active"><span>${t('activeFilters', lang)}:</span><ul>${chips.join('')}</ul> <a href="${esc(searchHref(p, lang, NO_FILTERS))}">${t('removeAll', lang)}</a></div>`;
}
