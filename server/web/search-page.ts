/**
 * GET /search: the results page. It shows what `GET /api/search` returns (present.ts), as HTML: the
 * count, each item with its highlighted title and up to three page snippets that open the reader at
 * their page with the query, the facets, sorting and paging. An empty query lists everything the
 * reader may see.
 */
import type { Archive, CatalogueSearch, ResultItem } from '../archive/service.js';
import type { Identity } from '../auth/policy.js';
import { formatDate, KIND_LABEL, pick } from '../presentation/labels.js';
import { thumbnailUrl } from '../presentation/manifest.js';
import type { PresentationUris } from '../presentation/uris.js';
import { hasHan } from '../search/fold.js';
import { snippetHtml as marked, type Snippet } from '../search/match.js';
import { PAGE_SIZES, type SearchParamsInput } from '../search/params.js';
import { nameFacets, titleHits } from '../search/present.js';
import type { ParsedQuery } from '../search/query.js';
import { counted, esc, layout, t, type Lang } from './html.js';
import { activeFilters, anyFilter, facetsPanel, hiddenInputs, NO_FILTERS, searchHref } from './search-facets.js';

const STYLE = `
  .search-head h1 { margin: .2rem 0; font-size: 1.4rem; }
  .search-head .count { margin: .2rem 0 .6rem; color: #444; }
  .search-layout { display: grid; gap: 1rem; }
  @media (min-width: 48rem) {
    .search-layout { grid-template-columns: 16rem minmax(0, 1fr); align-items: start; }
    /* Wide screens: the filters are always open (the summary is only the narrow screen's toggle). */
    details.facets::details-content { content-visibility: visible; display: contents; }
    details.facets > summary { display: none; }
  }
  details.facets { background: #fff; border: 1px solid #e3dccb; padding: .5rem; }
  details.facets > summary { font-weight: bold; cursor: pointer; padding: .2rem 0; }
  .facet h3 { font-size: 1rem; margin: .8rem 0 .3rem; color: #5a1e14; }
  .facet ul, .more ul { list-style: none; margin: 0; padding: 0; }
  .fv { display: flex; gap: .4rem; align-items: baseline; padding: .25rem 0; color: #222; text-decoration: none; }
  .fv .lbl { flex: 1; overflow-wrap: anywhere; } .fv .n { color: #666; font-size: .9rem; }
  .fv .box { flex: none; width: .8rem; height: .8rem; border: 1px solid #5a1e14; border-radius: 2px; position: relative; top: .1rem; }
  .fv.on .box { background: #5a1e14; } .fv.on .lbl { font-weight: bold; }
  .years fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .4rem; align-items: end; }
  .years legend { font-weight: bold; color: #5a1e14; margin-bottom: .3rem; }
  .years label { display: flex; flex-direction: column; font-size: .9rem; }
  .years input { width: 5.5rem; font: inherit; padding: .2rem; }
  .active { display: flex; flex-wrap: wrap; gap: .4rem; align-items: baseline; margin: .4rem 0; }
  .active ul { display: contents; list-style: none; }
  .active li { background: #efe6d2; border-radius: 1rem; padding: .1rem .6rem; }
  .active li a { text-decoration: none; font-weight: bold; padding: .1rem .5rem; }
  form.order { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: .6rem; }
  form.order select, form.order button, .years button { font: inherit; }
  ol.results { list-style: none; padding: 0; margin: 0; }
  .hit { display: flex; gap: .8rem; background: #fff; border: 1px solid #e3dccb; padding: .6rem; margin-bottom: .7rem; }
  .hit .thumb { flex: none; width: 6rem; }
  .hit .thumb img { width: 6rem; height: 8rem; object-fit: contain; background: #eee; display: block; }
  .hit .locked { width: 6rem; height: 8rem; display: flex; align-items: center; justify-content: center; text-align: center; font-size: .8rem;
    box-sizing: border-box; padding: .3rem; background: #eee; color: #5a1e14; border: 2px dashed #c9b99a; }
  .hit .body { min-width: 0; flex: 1; }
  .hit h2 { font-size: 1.1rem; margin: 0 0 .2rem; overflow-wrap: anywhere; }
  .hit .original { font-size: 1.2rem; margin: 0; } .hit .meta, .hit .pagehits { margin: .2rem 0; color: #555; font-size: .9rem; }
  ol.snippets { list-style: none; padding: 0; margin: .3rem 0 0; }
  ol.snippets li { margin: .3rem 0; } ol.snippets a { color: #222; display: block; overflow-wrap: anywhere; text-decoration: none; }
  ol.snippets .pg { color: #5a1e14; font-weight: bold; margin-right: .3rem; text-decoration: underline; }
  ol.snippets a:hover, ol.snippets a:focus { background: #f4eedf; }
  .hit .thumb { text-decoration: none; }
  nav.pager { display: flex; gap: 1rem; justify-content: center; align-items: baseline; margin: 1rem 0; }
  .none { background: #fff; border: 1px solid #e3dccb; padding: .8rem; }
  @media (max-width: 30rem) { .hit .thumb, .hit .thumb img, .hit .locked { width: 4.5rem; } .hit .thumb img, .hit .locked { height: 6rem; } }
`;

/**
 * A snippet as HTML with its hits in <mark>: hits only a space apart are one mark, so the words of a
 * query ("thu vien") read as one highlighted phrase ("thư viện"), not two boxes with a gap.
 */
export function snippetHtml(s: Snippet): string {
  const joined: [number, number][] = [];
  for (const [a, b] of s.highlights) {
    const last = joined.at(-1);
    if (last && /^\s+$/.test(s.text.slice(last[1], a))) last[1] = b;
    else joined.push([a, b]);
  }
  return marked({ text: s.text, highlights: joined }, esc);
}

/** The date as written, with its years only when the text does not already say them ("1925", not "1925 (1925)"). */
const dateText = (d: { text: string; from?: number | undefined; to?: number | undefined }) => (d.from !== undefined && d.text.includes(String(d.from)) && (d.to === undefined || d.text.includes(String(d.to))) ? d.text : formatDate(d));

/** The reader at a page, with the query (it opens its search panel on it). */
export function readerAt(uris: PresentationUris, itemId: string, canvas: number, q: string, lang: Lang): string {
  return `${uris.viewer(uris.manifest(itemId))}&canvas=${canvas}${q ? `&q=${encodeURIComponent(q)}` : ''}&lang=${lang}`;
}

/** A snippet (HTML) linked to the reader at its page, named first ("Trang 5"). */
export function snippetLink(href: string, pageName: string, html: string): string {
  return `<a href="${esc(href)}"><span class="pg">${esc(pageName)}</span>${html}</a>`;
}

function resultItem(r: ResultItem, q: ParsedQuery, uris: PresentationUris, lang: Lang, libraries: Map<string, { vi: string; en?: string | undefined }>): string {
  const s = r.summary;
  const href = `/items/${encodeURIComponent(s.id)}?lang=${lang}`;
  const hits = titleHits(s.title, q);
  const titleKey = lang === 'en' && s.title.en ? 'en' : 'vi';
  const title = snippetHtml({ text: s.title[titleKey]!, highlights: hits[titleKey] ?? [] });
  const original = s.title.original
    ? `<p class="original" lang="${esc(s.title.originalLanguage)}">${snippetHtml({ text: s.title.original, highlights: hits.original ?? [] })}</p>`
    : '';
  const picture =
    s.content === 'deny'
      ? `<div class="locked">${esc(t('locked', lang))}</div>`
      : `<img loading="lazy" alt="" src="${esc(thumbnailUrl(uris, s.firstImage, s.firstImageSize))}">`;
  const library = libraries.get(s.library);
  const meta = [KIND_LABEL[s.kind]?.[lang] ?? s.kind, s.date ? dateText(s.date) : '', library ? pick(library, lang) : s.library].filter(Boolean);
  const snippets = r.pages
    .map((p) => `<li>${snippetLink(readerAt(uris, s.id, p.canvas, q.text, lang), `${t('page', lang)} ${p.canvas}`, snippetHtml(p.snippet))}</li>`)
    .join('');
  return `<li class="hit"><a class="thumb" href="${esc(href)}" tabindex="-1" aria-hidden="true">${picture}</a>
<div class="body"><h2><a href="${esc(href)}">${title}</a></h2>${original}
<p class="meta">${meta.map(esc).join(' · ')}</p>
${r.pageHits > 0 ? `<p class="pagehits">${counted(r.pageHits, 'pagesWithHits', lang)}</p>` : ''}
${snippets ? `<ol class="snippets">${snippets}</ol>` : ''}</div></li>`;
}

function orderForm(p: SearchParamsInput, lang: Lang): string {
  const sorts = [
    ['relevance', t('relevance', lang)],
    ['date', t('dateAsc', lang)],
    ['date-desc', t('dateDesc', lang)],
    ['title', t('titleSort', lang)],
  ];
  const option = (v: string, label: string, on: boolean) => `<option value="${v}"${on ? ' selected' : ''}>${esc(label)}</option>`;
  // Variant matching (學 finds 学) can be turned off where the query has Han.
  const variants = hasHan(p.q) ? `<label><input type="checkbox" name="variants" value="0"${p.variants === '0' ? ' checked' : ''}> ${esc(t('exactForm', lang))}</label>` : '';
  return `<form class="order" action="/search" method="get">${hiddenInputs(p, lang, ['sort', 'size', 'variants'])}${variants}
<label>${t('sort', lang)} <select name="sort">${sorts.map(([v, l]) => option(v!, l!, p.sort === v)).join('')}</select></label>
<label>${t('perPage', lang)} <select name="size">${PAGE_SIZES.map((n) => option(String(n), String(n), p.size === n)).join('')}</select></label>
<button type="submit">${t('apply', lang)}</button></form>`;
}

function pager(p: SearchParamsInput, lang: Lang, total: number): string {
  const pages = Math.ceil(total / p.size);
  if (pages <= 1) return '';
  const link = (n: number, key: 'previous' | 'next', rel: string) => `<a rel="${rel}" href="${esc(searchHref(p, lang, { page: n }))}">${t(key, lang)}</a>`;
  const where = t('pageOf', lang).replace('{n}', String(p.page)).replace('{m}', String(pages));
  return `<nav class="pager" aria-label="${esc(where)}">${p.page > 1 ? link(p.page - 1, 'previous', 'prev') : '<span></span>'}<span>${where}</span>${p.page < pages ? link(p.page + 1, 'next', 'next') : '<span></span>'}</nav>`;
}

function noResults(p: SearchParamsInput, lang: Lang): string {
  const tips = [t('tipSpelling', lang), t('tipFewerWords', lang), t('tipNoDiacritics', lang)].map((s) => `<li>${esc(s)}</li>`);
  if (anyFilter(p)) tips.unshift(`<li><a href="${esc(searchHref(p, lang, NO_FILTERS))}">${t('tipFilters', lang)}</a></li>`);
  return `<div class="none"><p><strong>${t('noResults', lang)}</strong></p><ul>${tips.join('')}</ul></div>`;
}

export async function searchPage(archive: Archive, who: Identity, uris: PresentationUris, lang: Lang, p: SearchParamsInput, request: CatalogueSearch): Promise<string> {
  const results = await archive.search(who, request);
  const facets = await nameFacets(archive, who, results.facets);
  const libraries = new Map((await archive.libraries(who)).map((l) => [l.id, l.name]));
  const browsing = request.query.clauses.length === 0;
  const heading = browsing ? t('browseAll', lang) : t('searchResults', lang);
  const count = `${counted(results.total, browsing ? 'documents' : 'results', lang)}${browsing ? '' : ` — “${esc(p.q)}”`}`;
  const list = results.items.length
    ? `<ol class="results" start="${request.offset + 1}">${results.items.map((r) => resultItem(r, request.query, uris, lang, libraries)).join('\n')}</ol>`
    : noResults(p, lang);
  const body = `<div class="search-head"><h1>${heading}</h1><p class="count" role="status">${count}</p>
${activeFilters(p, lang, facets)}</div>
<div class="search-layout">
<aside>${facetsPanel(p, lang, facets, results.years)}</aside>
<div class="results-col">${results.total > 0 || p.variants === '0' ? orderForm(p, lang) : ''}
${list}
${pager(p, lang, results.total)}</div></div>`;
  const path = searchHref(p, lang, { page: p.page }).replace(/[?&]lang=(vi|en)$/, '');
  return layout({ lang, title: browsing ? heading : `${p.q} · ${heading}`, body, path, user: who.user, q: p.q, style: STYLE });
}
