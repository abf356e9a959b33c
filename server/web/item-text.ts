/**
 * An item's text for readers: the search-in-this-document form on its page, the pages that match a
 * query (`/items/:id/search`), and the recognised text page by page (`/items/:id/text`).
 *
 * The text is a page of its own, linked from the item page, not a section of it: a long book's OCR is
 * hundreds of kilobytes that every visitor of the item page would download on a phone, next to the
 * reader frame, for the few who want to read the text. On its own page it is paged (PAGES_PER_SCREEN
 * canvases at a time), linkable, and each page's text sits beside a link to its image.
 */
import type { Archive } from '../archive/service.js';
import type { Identity } from '../auth/policy.js';
import type { Item } from '../catalogue/catalogue.js';
import { hanTextOf, isHanItem, segments, shownReading, type HanText } from '../han/reading.js';
import { ocrSettings } from '../ingest/ocr.js';
import { pick } from '../presentation/labels.js';
import type { PresentationUris } from '../presentation/uris.js';
import { snippet } from '../search/match.js';
import { parseQuery } from '../search/query.js';
import { counted, esc, layout, t, type Lang } from './html.js';
import { readerAt, snippetHtml, snippetLink } from './search-page.js';

/** Matching pages listed at most (the reader's search panel lists them all). */
const MAX_PAGES = 100;
const PAGES_PER_SCREEN = 20;

export const TEXT_STYLE = `
  .in-item form { display: flex; gap: .3rem; max-width: 30rem; }
  .in-item input { flex: 1; min-width: 0; font: inherit; padding: .35rem .5rem; }
  .in-item button { font: inherit; }
  ol.snippets { list-style: none; padding: 0; } ol.snippets li { margin: .5rem 0; background: #fff; border: 1px solid #e3dccb; padding: .5rem; }
  ol.snippets a { color: #222; display: block; overflow-wrap: anywhere; text-decoration: none; }
  ol.snippets .pg { color: #5a1e14; font-weight: bold; margin-right: .3rem; text-decoration: underline; }
  ol.snippets a:hover, ol.snippets a:focus { background: #f4eedf; }
  .text-page { background: #fff; border: 1px solid #e3dccb; padding: .5rem .8rem; margin: .8rem 0; }
  .text-page h2 { font-size: 1.1rem; display: flex; flex-wrap: wrap; gap: .3rem 1rem; align-items: baseline; margin: .2rem 0 .5rem; }
  .text-page h2 a { font-size: .9rem; font-weight: normal; }
  .ocr { white-space: pre-line; overflow-wrap: anywhere; line-height: 1.6; }
  .ocr.readings { line-height: 2.6; }
  /* Characters large enough to read, readings apart from their neighbours. */
  .ocr ruby { font-size: 1.5em; margin: 0 .2em; }
  .ocr rt { font-size: .45em; color: #5a1e14; }
  .ocr ruby a { color: inherit; text-decoration: none; } .ocr ruby a:hover, .ocr ruby a:focus { background: #f4eedf; }
`;

/**
 * Text with each Han or Nôm character over its reading (ruby); one without a reading over nothing, at the
 * same size. Each character links to its page (han-char.ts), or where `opts.href` sends the i-th
 * character; `opts.id` names each one (for a link back to it); `opts.mark` selects the i-th, if it is that character.
 */
export function rubyHtml(
  text: string,
  kind: HanText,
  lang: Lang,
  opts: { href?: (ch: string, i: number) => string; id?: (i: number) => string; mark?: { readonly index: number; readonly char: string } } = {},
): string {
  let i = -1;
  return segments(text, kind)
    .map((s) => {
      if (!('han' in s)) return esc(s.text);
      i++;
      const ch = String.fromCodePoint(s.han.codePointAt(0) as number);
      const href = opts.href ? opts.href(ch, i) : `/han/${encodeURIComponent(ch)}?lang=${lang}`;
      // Marked only where the character is the one named: a stale or edited link marks nothing.
      const marked = opts.mark !== undefined && i === opts.mark.index && ch === opts.mark.char;
      const attrs = `${opts.id ? ` id="${opts.id(i)}"` : ''}${marked ? ' class="sel" aria-current="true"' : ''}`;
      return `<ruby${attrs}><a href="${esc(href)}">${esc(s.han)}</a><rt lang="vi">${s.readings.length > 0 ? esc(shownReading(s)) : ''}</rt></ruby>`;
    })
    .join('');
}

export type Access = 'allow' | 'reduced' | 'deny';

const signInLink = (path: string, lang: Lang, target = '') =>
  `<a href="/auth/login?returnTo=${encodeURIComponent(path)}"${target ? ` target="${target}"` : ''}>${t('signIn', lang)}</a>`;

/**
 * Why the content is closed (embargo or level), with a sign-in link for anonymous readers; '' when open.
 * `target: '_top'` for a page shown in a frame (the reader's panel): signing in leaves the frame.
 */
export function accessNotice(who: Identity, item: Item, lang: Lang, access: Access, target: '' | '_top' = ''): string {
  const back = `/items/${item.id}?lang=${lang}`;
  if (access === 'reduced') return `<p class="notice">${esc(t('reduced', lang))} ${signInLink(back, lang, target)}</p>`;
  if (access !== 'deny') return '';
  const embargo = item.access.embargoUntil;
  const why = t(embargo && embargo > new Date().toISOString().slice(0, 10) ? 'embargoed' : 'restricted', lang);
  return `<p class="notice">${esc(why)}${embargo ? ` ${esc(embargo)}` : ''}${who.user ? '' : ` ${signInLink(back, lang, target)}`}</p>`;
}

function searchForm(itemId: string, lang: Lang, q: string, id: string): string {
  return `<form role="search" action="/items/${esc(itemId)}/search" method="get"><label class="sr" for="${id}">${t('searchInItem', lang)}</label>
<input id="${id}" type="search" name="q" value="${esc(q)}" enterkeyhint="search" maxlength="1000" placeholder="${t('searchInItem', lang)}…"><input type="hidden" name="lang" value="${lang}"><button type="submit">${t('search', lang)}</button></form>`;
}

/** On the item page, for readers who may read an item with text: search in it, and the link to its text. */
export function itemTextSection(item: Item, lang: Lang, pagesWithText: number): string {
  if (pagesWithText === 0) return '';
  return `<section class="in-item"><h2>${t('searchInItem', lang)}</h2>${searchForm(item.id, lang, '', 'item-q')}
<p><a href="/items/${esc(item.id)}/text?lang=${lang}">${t('fullText', lang)}</a> (${counted(pagesWithText, 'pagesWithText', lang)})</p></section>`;
}

/** Page n's name: "Trang 5", with the canvas's own label when it has one ("Trang 5 (tờ 3a)"). */
const pageName = (item: Item, n: number, lang: Lang) => {
  const label = item.canvases[n - 1]?.label;
  return `${t('page', lang)} ${n}${label && label !== String(n) ? ` (${label})` : ''}`;
};

interface Rendered {
  readonly status: number;
  readonly page: string;
}

/** A page for a reader who may not read the content: the notice (and sign-in), 401 or 403 as the content would answer. */
function closed(who: Identity, item: Item, lang: Lang, title: string, path: string): Rendered {
  const body = `<h1>${esc(title)}</h1><p><a href="/items/${esc(item.id)}?lang=${lang}">${esc(pick(item.description.title, lang))}</a></p>
${accessNotice(who, item, lang, 'deny')}`;
  return { status: who.user ? 403 : 401, page: layout({ lang, title, body, path, user: who.user, style: TEXT_STYLE }) };
}

function heading(item: Item, title: string, lang: Lang): string {
  return `<h1>${esc(title)}</h1><p><a href="/items/${esc(item.id)}?lang=${lang}">← ${esc(pick(item.description.title, lang))}</a></p>`;
}

/** GET /items/:id/search?q=: the item's pages that match, each opening the reader at that page with the query. */
export async function itemSearchPage(archive: Archive, who: Identity, uris: PresentationUris, id: string, lang: Lang, q: string): Promise<Rendered> {
  const { item, content } = await archive.item(who, id);
  const path = `/items/${item.id}/search${q ? `?q=${encodeURIComponent(q)}` : ''}`;
  if (content.effect === 'deny') return closed(who, item, lang, t('searchInItem', lang), path);
  const query = parseQuery(q);
  let results = '';
  if (query.clauses.length > 0) {
    const { pages } = await archive.searchInItem(who, item.id, query, MAX_PAGES + 1);
    const shown = pages.slice(0, MAX_PAGES).sort((a, b) => a.canvas - b.canvas);
    const list = shown
      .map((p) => `<li>${snippetLink(readerAt(uris, item.id, p.canvas, query.text, lang), pageName(item, p.canvas, lang), snippetHtml(snippet(p.text, query)))}</li>`)
      .join('\n');
    // Beyond MAX_PAGES the count is a floor: the reader's own search panel lists every hit.
    const count = `${pages.length > MAX_PAGES ? '> ' : ''}${counted(shown.length, 'pagesWithHits', lang)}`;
    results = `<p class="count" role="status">${esc(count)} — “${esc(query.text)}”</p>
${shown.length ? `<ol class="snippets">${list}</ol>` : `<p>${t('noResults', lang)} ${esc(t('tipNoDiacritics', lang))}</p>`}`;
  }
  const body = `${heading(item, t('searchInItem', lang), lang)}
<div class="in-item">${searchForm(item.id, lang, q, 'item-q')}</div>
${results}
<p><a href="/items/${esc(item.id)}/text?lang=${lang}">${t('fullText', lang)}</a></p>`;
  return { status: 200, page: layout({ lang, title: `${q ? `${q} · ` : ''}${pick(item.description.title, lang)}`, body, path, user: who.user, style: TEXT_STYLE }) };
}

/**
 * GET /items/:id/text?page=&readings=: the recognised text, page by page, each with a link to its image in
 * the reader; for an item written in Han or Nôm, `readings=1` shows each character's reading under it.
 */
export async function itemTextPage(archive: Archive, who: Identity, uris: PresentationUris, id: string, lang: Lang, screen: number, withReadings = false): Promise<Rendered> {
  const { item, content } = await archive.item(who, id);
  const han = isHanItem(item);
  const readings = han && withReadings;
  const query = (page: number, r: boolean) => [page > 1 ? `page=${page}` : '', r ? 'readings=1' : ''].filter(Boolean).join('&');
  const path = `/items/${item.id}/text${query(screen, readings) ? `?${query(screen, readings)}` : ''}`;
  const title = `${t('fullTextOf', lang)}${lang === 'en' ? ' ' : ': '}${pick(item.description.title, lang)}`;
  if (content.effect === 'deny') return closed(who, item, lang, title, path);
  // The pages of this screen only: a 9 000-page book is not read for 20 of its pages.
  const { total, pages: shown } = await archive.itemText(who, item.id, (screen - 1) * PAGES_PER_SCREEN, PAGES_PER_SCREEN);
  const screens = Math.max(1, Math.ceil(total / PAGES_PER_SCREEN));
  // Han and Nôm text tagged as written (lzh, vi-Hani, tyz-Hani: browsers pick a Han font by it), other text by its one language.
  const hanScript = isHanItem(item) || item.description.scripts.includes('tay-nom');
  const written = hanScript ? ocrSettings(item.description).textLanguage : item.description.languages.length === 1 ? item.description.languages[0] : null;
  const textLang = written ? ` lang="${esc(written)}"` : '';
  const sections = shown
    .map(
      (p) => `<section class="text-page" id="trang-${p.canvas}"><h2>${esc(pageName(item, p.canvas, lang))} <a href="${esc(readerAt(uris, item.id, p.canvas, '', lang))}">${t('openAtPage', lang)}</a></h2>
<div class="ocr${readings ? ' readings' : ''}"${textLang}>${readings ? rubyHtml(p.text, hanTextOf(item), lang) : esc(p.text)}</div></section>`,
    )
    .join('\n');
  const href = (n: number, r: boolean) => `/items/${esc(item.id)}/text?${esc(query(n, r))}${query(n, r) ? '&amp;' : ''}lang=${lang}`;
  const link = (n: number, key: 'previous' | 'next') => `<a href="${href(n, readings)}">${t(key, lang)}</a>`;
  const toggle =
    han && total > 0
      ? `<p class="readings-toggle"><a href="${href(screen, !readings)}"${readings ? ' aria-pressed="true"' : ''}>${t(readings ? 'hideReadings' : 'showReadings', lang)}</a>${readings ? ` <small>${esc(t('readingsNote', lang))}</small>` : ''}</p>`
      : '';
  const pager =
    screens > 1
      ? `<nav class="pager">${screen > 1 ? link(screen - 1, 'previous') : ''} ${t('pageOf', lang).replace('{n}', String(screen)).replace('{m}', String(screens))} ${screen < screens ? link(screen + 1, 'next') : ''}</nav>`
      : '';
  const body = `${heading(item, title, lang)}
<div class="in-item">${searchForm(item.id, lang, '', 'item-q')}</div>
${total === 0 ? `<p>${t('noText', lang)}</p>` : `<p>${counted(total, 'pagesWithText', lang)}</p>`}
${toggle}
${sections}
${pager}`;
  return { status: 200, page: layout({ lang, title, body, path, user: who.user, style: TEXT_STYLE }) };
}
