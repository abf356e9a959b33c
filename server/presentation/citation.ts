/**
 * How to cite an item: a suggested citation in the Vietnamese style libraries use (creators, title,
 * date, holding library, permanent address, date consulted), and the same as CSL-JSON (Zotero,
 * Mendeley, citation-js) and BibTeX for reference managers.
 */
import type { Item } from '../catalogue/catalogue.js';
import type { Library } from '../catalogue/schema.js';
import { formatDate } from './labels.js';

const CSL_TYPE: Record<string, string> = { manuscript: 'manuscript', woodblock: 'book', book: 'book', map: 'map', newspaper: 'article-newspaper', photo: 'graphic' };

/** The day in Vietnam (UTC+7) of an instant, as YYYY-MM-DD: a reader at 6 in the morning consulted it today, not yesterday. */
export function dayInVietnam(iso: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

/** dd/mm/yyyy, as Vietnamese citations give the date consulted. */
const viDate = (iso: string) => dayInVietnam(iso).split('-').reverse().join('/');

/** "Creators. Title (original). Date. Library. URL (truy cập ngày dd/mm/yyyy)." */
export function citationText(item: Item, library: Library, url: string, lang: 'vi' | 'en', today: string): string {
  const d = item.description;
  const title = lang === 'en' && d.title.en ? d.title.en : d.title.vi;
  const parts = [
    d.creators.length > 0 ? d.creators.join('; ') : null,
    `${title}${d.title.original ? ` (${d.title.original})` : ''}`,
    d.date ? formatDate(d.date) : null,
    `${lang === 'en' ? library.name.en ?? library.name.vi : library.name.vi}${d.callNumber ? `, ${lang === 'en' ? 'call number' : 'ký hiệu'} ${d.callNumber}` : ''}`,
  ].filter(Boolean);
  const consulted = lang === 'en' ? `(accessed ${dayInVietnam(today)})` : `(truy cập ngày ${viDate(today)})`;
  return `${parts.join('. ')}. ${url} ${consulted}.`;
}

/** The item as a CSL-JSON array of one. */
export function cslJson(item: Item, library: Library, url: string, today: string): Record<string, unknown>[] {
  const d = item.description;
  return [
    {
      id: item.id,
      type: CSL_TYPE[item.kind] ?? 'document',
      title: d.title.vi,
      ...(d.title.original ? { 'original-title': d.title.original } : {}),
      ...(d.creators.length > 0 ? { author: d.creators.map((literal) => ({ literal })) } : {}),
      // A year or a range of years as date-parts (citeproc prints a literal instead, when both are given).
      ...(d.date ? { issued: d.date.from !== undefined ? { 'date-parts': d.date.to !== undefined && d.date.to !== d.date.from ? [[d.date.from], [d.date.to]] : [[d.date.from]] } : { literal: d.date.text } } : {}),
      archive: library.name.vi,
      ...(d.callNumber ? { 'call-number': d.callNumber } : {}),
      language: d.languages[0] ?? 'vi',
      URL: url,
      accessed: { 'date-parts': [dayInVietnam(today).split('-').map(Number)] },
    },
  ];
}

/**
 * BibTeX text: braces, backslash and TeX's specials written as commands (a `\{` still counts as a brace
 * to BibTeX); Vietnamese letters kept (BibTeX and biblatex read UTF-8).
 */
const bib = (s: string) =>
  s.replace(/[\\{}~^&%$#_]/g, (c) => ({ '\\': '\\textbackslash{}', '{': '\\textbraceleft{}', '}': '\\textbraceright{}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}' })[c] ?? `\\${c}`);

/**
 * The item as one BibTeX entry (@book or @misc, biblatex fields): each creator braced whole (a
 * Vietnamese name has no "last name" BibTeX could find), the title double-braced (styles would lower-case
 * it), the holding library as `library`, a date that is no year in `note`.
 */
export function bibtex(item: Item, library: Library, url: string, today: string): string {
  const d = item.description;
  const kind = item.kind === 'book' || item.kind === 'woodblock' ? 'book' : 'misc';
  const raw: [string, string][] = [['title', `{${bib(d.title.vi + (d.title.original ? ` (${d.title.original})` : ''))}}`]];
  if (d.creators.length > 0) raw.push(['author', d.creators.map((c) => `{${bib(c)}}`).join(' and ')]);
  if (d.date?.from !== undefined) raw.push(['year', d.date.to !== undefined && d.date.to !== d.date.from ? `${d.date.from}--${d.date.to}` : String(d.date.from)]);
  const notes = [d.date && d.date.from === undefined ? d.date.text : null, d.callNumber ? `Ký hiệu ${d.callNumber}` : null].filter(Boolean) as string[];
  if (notes.length > 0) raw.push(['note', bib(notes.join('. '))]);
  raw.push(['library', bib(library.name.vi)], ['url', url], ['urldate', dayInVietnam(today)], ['language', bib(d.languages[0] ?? 'vi')]);
  const key = item.id.replace(/[^A-Za-z0-9_-]/g, '');
  return `@${kind}{${key},\n${raw.map(([k, v]) => `  ${k} = {${v}}`).join(',\n')}\n}\n`;
}
