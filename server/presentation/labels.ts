/** Vietnamese and English names of the catalogue's terms, for metadata and pages. */
export type LanguageMap = Record<string, string[]>;

export const KIND_LABEL: Record<string, { vi: string; en: string }> = {
  manuscript: { vi: 'Sách chép tay', en: 'Manuscript' },
  woodblock: { vi: 'Sách in mộc bản', en: 'Woodblock print' },
  book: { vi: 'Sách in', en: 'Printed book' },
  map: { vi: 'Bản đồ', en: 'Map' },
  newspaper: { vi: 'Báo', en: 'Newspaper issue' },
  photo: { vi: 'Ảnh', en: 'Photograph' },
};

export const SCRIPT_LABEL: Record<string, { vi: string; en: string }> = {
  latn: { vi: 'Chữ Quốc ngữ', en: 'Latin (Quốc ngữ)' },
  han: { vi: 'Chữ Hán', en: 'Han characters' },
  nom: { vi: 'Chữ Nôm', en: 'Nôm' },
  'tay-nom': { vi: 'Chữ Nôm Tày', en: 'Tày Nôm' },
};

export const LANGUAGE_LABEL: Record<string, { vi: string; en: string }> = {
  vi: { vi: 'Tiếng Việt', en: 'Vietnamese' },
  lzh: { vi: 'Hán văn', en: 'Literary Chinese' },
  tyz: { vi: 'Tiếng Tày', en: 'Tày' },
  ja: { vi: 'Tiếng Nhật', en: 'Japanese' },
  zh: { vi: 'Tiếng Trung', en: 'Chinese' },
  fr: { vi: 'Tiếng Pháp', en: 'French' },
  en: { vi: 'Tiếng Anh', en: 'English' },
};

/** Field labels of the metadata block. */
export const FIELD: Record<string, { vi: string; en: string }> = {
  alternativeTitles: { vi: 'Nhan đề khác', en: 'Other titles' },
  creators: { vi: 'Tác giả', en: 'Creator' },
  date: { vi: 'Niên đại', en: 'Date' },
  languages: { vi: 'Ngôn ngữ', en: 'Language' },
  scripts: { vi: 'Văn tự', en: 'Script' },
  kind: { vi: 'Loại tài liệu', en: 'Type' },
  subjects: { vi: 'Chủ đề', en: 'Subject' },
  places: { vi: 'Địa danh', en: 'Place' },
  extent: { vi: 'Quy mô', en: 'Extent' },
  callNumber: { vi: 'Ký hiệu kho', en: 'Call number' },
  holding: { vi: 'Đơn vị lưu giữ', en: 'Holding library' },
  source: { vi: 'Nguồn bản số', en: 'Source of the digital copy' },
  rights: { vi: 'Bản quyền', en: 'Rights' },
};

export function viEn(v: { vi: string; en?: string | undefined }): LanguageMap {
  return v.en ? { vi: [v.vi], en: [v.en] } : { vi: [v.vi] };
}

export function both(key: string, table: Record<string, { vi: string; en: string }>): LanguageMap {
  const t = table[key];
  return t ? { vi: [t.vi], en: [t.en] } : { none: [key] };
}

/** "Tự Đức năm thứ 5 (1852)" — the date as written, then its normalised years. */
export function formatDate(date: { text: string; from?: number | undefined; to?: number | undefined }): string {
  if (date.from === undefined) return date.text;
  const years = date.to !== undefined && date.to !== date.from ? `${date.from}–${date.to}` : String(date.from);
  // "2026 (2026)" says it twice: the years only when the text does not already give them.
  const said = date.text.replace(/\s/g, '');
  if (said === years || said === years.replace('–', '-')) return date.text;
  return `${date.text} (${years})`;
}

/** An item's title as a language map: Vietnamese, the original script under its language, English. */
export function titleMap(title: { vi: string; original?: string | undefined; originalLanguage: string; en?: string | undefined }): LanguageMap {
  const label: LanguageMap = { vi: [title.vi] };
  if (title.original) label[title.originalLanguage] = [title.original];
  if (title.en) label.en = [title.en];
  return label;
}

/** The text in the reader's language, Vietnamese when there is no English. */
export function pick(v: { vi: string; en?: string | undefined }, lang: 'vi' | 'en'): string {
  return lang === 'en' && v.en ? v.en : v.vi;
}
