/**
 * How to cite an item: a suggested citation in the Vietnamese style libraries use (creators, title,
 * date, holding library, permanent address, date consulted), and the same as CSL-JSON (Zotero,
 * Mendeley, citation-js) and BibTeX for reference managers.
 */
import type { Item } from '../catalogue/catalogue.js';
import type { Library } from '../catalogue/schema.js';
import { formatDate } from './labels.js';

const CSL_TYPE: Record<string, string> = { manuscript: 'manuscript', woodblock: 'book', book: 'book', map: 'map', newspaper: 'article-newspaper', photo: 'graphic' };

/** dd/mm/yyyy, as Vietnamese citations give the date consulted. */
const viDate = (iso: string) => iso.slice(0, 10).split('-').reverse().join('/');

/** "Creators. Title (original). Date. Library. URL (truy cập ngày dd/mm/yyyy)." */
export function citationText(item: Item, library: Library, url: string, lang: 'vi' | 'en', today: string): string {
  const d = item.description;
  const title = lang === 'en' && d.title.en ? d.title.en : d.title.vi;
  const parts = [
    d.creators.length > 0 ? d.creators.join('; ') : null,
    `${title}${d.title.original ? ` (${d.title.original})` : ''}`,
    d.date ? formatDate(d.date) : null,
    `${lang === 'en' ? library.name.en ?? library.name.vi : library.name.vi}${d.callNumber ? `, ${d.callNumber}` : ''}`,
  ].filter(Boolean);
  const consulted = lang === 'en' ? `(accessed ${today.slice(0, 10)})` : `(truy cập ngày ${viDate(today)})`;
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
      ...(d.date ? { issued: d.date.from !== undefined ? { 'date-parts': [[d.date.from]], literal: d.date.text } : { literal: d.date.text } } : {}),
      archive: library.name.vi,
      ...(d.callNumber ? { 'call-number': d.callNumber } : {}),
      language: d.languages[0] ?? 'vi',
      URL: url,
      accessed: { 'date-parts': [today.slice(0, 10).split('-').map(Number)] },
    },
  ];
}

/** BibTeX braces and specials escaped; Vietnamese letters kept (BibTeX and biblatex read UTF-8). */
const bib = (s: string) => s.replace(/[\\{}]/g, (c) => `\\${c}`).replace(/[&%$#_]/g, (c) => `\\${c}`);

/** The item as one BibTeX entry (@book or @misc). */
export function bibtex(item: Item, library: Library, url: string, today: string): string {
  const d = item.description;
  const kind = item.kind === 'book' || item.kind === 'woodblock' ? 'book' : 'misc';
  const fields: [string, string][] = [
    ['title', d.title.vi + (d.title.original ? ` (${d.title.original})` : '')],
    ...(d.creators.length > 0 ? ([['author', d.creators.join(' and ')]] as [string, string][]) : []),
    ...(d.date?.from !== undefined ? ([['year', String(d.date.from)]] as [string, string][]) : d.date ? ([['date', d.date.text]] as [string, string][]) : []),
    ['publisher', library.name.vi],
    ...(d.callNumber ? ([['note', `Ký hiệu ${d.callNumber}`]] as [string, string][]) : []),
    ['url', url],
    ['urldate', today.slice(0, 10)],
    ['language', d.languages[0] ?? 'vi'],
  ];
  const key = item.id.replace(/[^A-Za-z0-9_-]/g, '');
  return `@${kind}{${key},\n${fields.map(([k, v]) => `  ${k} = {${k === 'url' ? v : bib(v)}}`).join(',\n')}\n}\n`;
}
