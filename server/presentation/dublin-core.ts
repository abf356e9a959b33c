/** The item's Dublin Core record (OAI-PMH `oai_dc`), linked from the manifest's `seeAlso`. */
import type { Item } from '../catalogue/catalogue.js';
import type { Library } from '../catalogue/schema.js';
import { KIND_LABEL } from './labels.js';
import type { PresentationUris } from './uris.js';

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function dublinCore(item: Item, library: Library, uris: PresentationUris): string {
  const d = item.description;
  const el = (name: string, value: string | undefined, lang?: string) =>
    value ? `  <dc:${name}${lang ? ` xml:lang="${escapeXml(lang)}"` : ''}>${escapeXml(value)}</dc:${name}>` : '';
  const lines = [
    el('title', d.title.vi, 'vi'),
    el('title', d.title.original, d.title.originalLanguage),
    el('title', d.title.en, 'en'),
    ...d.alternativeTitles.map((t) => el('title', t)),
    ...d.creators.map((c) => el('creator', c)),
    el('date', d.date ? (d.date.from !== undefined ? `${d.date.from}${d.date.to !== undefined && d.date.to !== d.date.from ? `/${d.date.to}` : ''}` : d.date.text) : undefined),
    el('date', d.date && d.date.from !== undefined ? d.date.text : undefined, 'vi'),
    ...d.languages.map((l) => el('language', l)),
    ...d.subjects.map((s) => el('subject', s, 'vi')),
    ...d.places.map((p) => el('coverage', p, 'vi')),
    el('type', d.type),
    el('type', KIND_LABEL[item.kind]?.vi, 'vi'),
    el('format', d.extent),
    el('identifier', uris.itemPage(item.id)),
    el('identifier', d.callNumber),
    el('publisher', library.name.vi, 'vi'),
    el('rights', d.rights),
    el('source', d.source),
    el('description', d.summary?.vi, 'vi'),
    el('description', d.summary?.en, 'en'),
    el('relation', uris.manifest(item.id)),
  ].filter(Boolean);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"',
    '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    '  xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">',
    ...lines,
    '</oai_dc:dc>',
    '',
  ].join('\n');
}
