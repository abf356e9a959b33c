/**
 * The Elasticsearch index: settings, mapping, and the documents the application writes into it.
 *
 * One index holds both kinds of document, joined by the `doc` field: a record (`r:<itemId>`) is the
 * parent of its pages (`p:<itemId>:<canvas>`). Both are routed by the item id, so an item and its pages
 * live on one shard (the join needs it; a single shard is the default here anyway).
 *
 * Matching uses the application's own tokens (`fold.ts`), written per text field as `<field>_x` (exact
 * forms) and `<field>_f` (folded forms), separated by spaces and read with the `whitespace` tokenizer:
 * both backends then split and fold text the same way (Han per code point, `đ` → `d`). Those fields are
 * indexed, not kept in `_source`. The raw text fields also carry analysed sub-fields with built-in
 * analysers only (`.folded`: standard + lowercase + asciifolding keeping the original; `.cjk`: Han
 * bigrams with unigrams), for Kibana and other clients; Văn Khố's own queries do not use them.
 */
import type { estypes } from '@elastic/elasticsearch';
import { searchReadingsOf } from '../../han/table.js';
import { fold, indexForm, tokenize } from '../fold.js';
import { readingForm } from '../reading.js';
import type { PageDoc, RecordDoc } from '../index.js';

/** Stored in the mapping's `_meta`; raised when the mapping changes (then `vankho reindex`). */
export const MAPPING_VERSION = 3;

/** The join field and its two relation names. */
export const JOIN = 'doc';
export const RECORD = 'record';
export const PAGE = 'page';

/** Record text fields with their weight in ranking (title > subjects/description > other). */
export const RECORD_FIELDS = [
  ['title', 4],
  ['subjects', 2],
  ['description', 2],
  ['other', 1],
] as const;
export type RecordField = (typeof RECORD_FIELDS)[number][0];

export const recordId = (itemId: string) => `r:${itemId}`;
export const pageId = (itemId: string, canvas: number) => `p:${itemId}:${canvas}`;

/** Longest sort key kept (a keyword term may not exceed 32 766 bytes). */
const SORT_KEY_CHARS = 512;
/** `folded|exact|n` words longer than this are not offered by autocomplete. */
const WORD_MAX_CHARS = 256;

export const SETTINGS: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  // No replica on a single node (green), one as soon as there is a second node.
  auto_expand_replicas: '0-1',
  analysis: {
    filter: {
      vankho_asciifolding: { type: 'asciifolding', preserve_original: true },
      vankho_cjk_bigram: { type: 'cjk_bigram', output_unigrams: true },
    },
    analyzer: {
      /** The application's forms: already split and folded; only spaces separate tokens. */
      vankho_forms: { type: 'custom', tokenizer: 'whitespace', filter: ['lowercase'] },
      /** Raw text for other clients: folded (đ → d) with the original token kept at the same position. */
      vankho_folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'vankho_asciifolding'] },
      /** Raw text for other clients: Han as bigrams plus single characters. */
      vankho_cjk: { type: 'custom', tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'vankho_cjk_bigram'] },
    },
  },
};

const keyword: estypes.MappingProperty = { type: 'keyword' };
const forms: estypes.MappingProperty = { type: 'text', analyzer: 'vankho_forms' };
const raw: estypes.MappingProperty = {
  type: 'text',
  fields: {
    folded: { type: 'text', analyzer: 'vankho_folded' },
    cjk: { type: 'text', analyzer: 'vankho_cjk' },
  },
};
/** A raw text field and its two application-form fields. */
const textField = (name: string): Record<string, estypes.MappingProperty> => ({ [name]: raw, [`${name}_x`]: forms, [`${name}_f`]: forms });

export const MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  _meta: { vankho: { mapping: MAPPING_VERSION } },
  _routing: { required: true },
  // Indexed only: the application forms and the autocomplete words are derived from the text.
  _source: { excludes: ['*_x', '*_f', '*_r', 'words'] },
  properties: {
    [JOIN]: { type: 'join', relations: { [RECORD]: PAGE } },
    itemId: keyword,
    // Records: facets and sorting
    library: keyword,
    /** The item's own collection (facet); `collections` adds those above it (filter). */
    collection: keyword,
    collections: keyword,
    kind: keyword,
    languages: keyword,
    scripts: keyword,
    hasText: { type: 'boolean' },
    dateFrom: { type: 'integer' },
    dateTo: { type: 'integer' },
    sortTitle: keyword,
    updatedAt: { type: 'date', ignore_malformed: true },
    // Records: access (the effective level, the embargo, the owning library and those above it)
    level: keyword,
    embargoUntil: { type: 'date', format: 'strict_date' },
    libraries: keyword,
    ...textField('title'),
    // Han titles and pages by their Vietnamese readings (reading.ts): a reading-set token per character.
    title_r: forms,
    text_r: forms,
    ...textField('subjects'),
    ...textField('description'),
    ...textField('other'),
    // Pages
    canvas: { type: 'integer' },
    imageId: keyword,
    language: keyword,
    ...textField('text'),
    lines: { type: 'object', enabled: false },
    words: { type: 'keyword', ignore_above: WORD_MAX_CHARS },
  },
};

function textForms(values: readonly string[]): { raw: string[]; x: string[]; f: string[] } {
  const rawValues = values.map((v) => v.normalize('NFC'));
  const tokens = rawValues.map((v) => tokenize(v));
  return { raw: rawValues, x: tokens.map((t) => indexForm(t, 'exact')), f: tokens.map((t) => indexForm(t, 'folded')) };
}

const values = (list: readonly string[]) => [...new Set(list.filter((v) => v !== ''))];

/**
 * A record's `_source`. Empty facet values are left out; a range with only a start ends there
 * (`dateTo`), as in the embedded index, so that overlap filters and `date-desc` see one year.
 */
export function recordSource(doc: RecordDoc): Record<string, unknown> {
  const text: Record<string, string[]> = {};
  for (const [field] of RECORD_FIELDS) {
    const f = textForms(doc[field]);
    text[field] = f.raw;
    text[`${field}_x`] = f.x;
    text[`${field}_f`] = f.f;
  }
  const titleReadings = doc.title.map((v) => readingForm(tokenize(v.normalize('NFC')))).filter(Boolean);
  return {
    [JOIN]: RECORD,
    itemId: doc.itemId,
    library: doc.library || null,
    collection: doc.collections[0] || null,
    collections: values(doc.collections),
    kind: doc.kind || null,
    languages: values(doc.languages),
    scripts: values(doc.scripts),
    hasText: doc.hasText,
    dateFrom: doc.dateFrom,
    dateTo: doc.dateTo ?? doc.dateFrom,
    sortTitle: doc.sortTitle.slice(0, SORT_KEY_CHARS),
    updatedAt: doc.updatedAt,
    level: doc.access.level,
    embargoUntil: doc.access.embargoUntil,
    libraries: doc.access.libraries,
    ...text,
    ...(titleReadings.length > 0 ? { title_r: titleReadings } : {}),
  };
}

/**
 * A page's `_source`: its text in the three forms, its lines (stored only) and its words for
 * autocomplete, each distinct word once as `folded|exact|occurrences` (a terms aggregation counts
 * documents; the occurrences on the page make the sum over pages a count of occurrences).
 */
export function pageSource(doc: PageDoc): Record<string, unknown> {
  const text = doc.text.normalize('NFC');
  const tokens = tokenize(text);
  const counts = new Map<string, number>();
  const count = (word: string) => counts.set(word, (counts.get(word) ?? 0) + 1);
  for (const t of tokens) {
    count(`${t.folded}|${t.exact}`);
    // A Han character also under each of its readings, as the embedded index counts it (autocomplete
    // offers how the text reads to readers who cannot type it).
    if (t.han) for (const r of new Set(searchReadingsOf(t.folded))) count(`${fold(r)}|${r}`);
  }
  const words = [...counts].map(([w, n]) => `${w}|${n}`);
  const reading = readingForm(tokens);
  return {
    [JOIN]: { name: PAGE, parent: recordId(doc.itemId) },
    itemId: doc.itemId,
    canvas: doc.canvas,
    imageId: doc.imageId,
    language: doc.language,
    text,
    text_x: indexForm(tokens, 'exact'),
    text_f: indexForm(tokens, 'folded'),
    ...(reading ? { text_r: reading } : {}),
    lines: doc.lines,
    words,
  };
}

/** The fields of a page's `_source` that make a PageDoc. */
export const PAGE_SOURCE = ['itemId', 'canvas', 'imageId', 'language', 'text', 'lines'];

export function pageFromSource(src: Record<string, unknown>): PageDoc {
  return {
    itemId: String(src.itemId),
    canvas: Number(src.canvas),
    imageId: String(src.imageId),
    language: String(src.language),
    text: String(src.text ?? ''),
    lines: (src.lines as PageDoc['lines'] | undefined) ?? [],
  };
}

/** `<alias>-<yyyyMMddHHmmssSSS>` (UTC): the name of a new index behind the alias. */
export function versionedName(alias: string, at: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}${p(at.getUTCMilliseconds(), 3)}`;
  return `${alias}-${stamp}`;
}

/** Whether an index name is one `versionedName` made for this alias. */
export const isVersionOf = (alias: string, index: string) => index.startsWith(`${alias}-`) && /^\d{17}$/.test(index.slice(alias.length + 1));
