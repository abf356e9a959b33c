/** HTML helpers for the public site: escaping, the page shell, and the site's words in vi and en. */
export type Lang = 'vi' | 'en';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON for a <script type="application/json"> block: `<` escaped so no data can close the tag. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const WORDS = {
  site: { vi: 'Văn Khố — Thư viện số', en: 'Văn Khố — Digital library' },
  home: { vi: 'Trang chủ', en: 'Home' },
  collections: { vi: 'Bộ sưu tập', en: 'Collections' },
  items: { vi: 'Tài liệu', en: 'Documents' },
  pages: { vi: 'trang', en: 'pages' },
  read: { vi: 'Đọc tài liệu', en: 'Read' },
  openViewer: { vi: 'Mở toàn màn hình', en: 'Open full screen' },
  manifest: { vi: 'IIIF manifest (3.0)', en: 'IIIF manifest (3.0)' },
  manifest2: { vi: 'IIIF manifest (2.1)', en: 'IIIF manifest (2.1)' },
  pdf: { vi: 'Tải bản PDF', en: 'Download PDF' },
  dc: { vi: 'Biểu ghi Dublin Core', en: 'Dublin Core record' },
  reuse: { vi: 'Dùng lại tài liệu này', en: 'Reuse this document' },
  embed: { vi: 'Mã nhúng', en: 'Embed code' },
  notFound: { vi: 'Không tìm thấy', en: 'Not found' },
  otherLang: { vi: 'English', en: 'Tiếng Việt' },
  previous: { vi: 'Trang trước', en: 'Previous' },
  next: { vi: 'Trang sau', en: 'Next' },
  signIn: { vi: 'Đăng nhập', en: 'Sign in' },
  signOut: { vi: 'Đăng xuất', en: 'Sign out' },
  register: { vi: 'Đăng ký thẻ thư viện', en: 'Get a library card' },
  locked: { vi: 'Tài liệu hạn chế', en: 'Restricted document' },
  restricted: { vi: 'Nội dung tài liệu này chỉ dành cho bạn đọc được phép.', en: 'This document’s content is for permitted readers only.' },
  embargoed: { vi: 'Tài liệu đang trong thời hạn hạn chế công bố đến ngày', en: 'This document is under embargo until' },
  reduced: { vi: 'Bạn đang xem ảnh độ phân giải thấp. Đăng nhập để xem ảnh đầy đủ.', en: 'You are seeing reduced images. Sign in to see them in full.' },
  search: { vi: 'Tìm', en: 'Search' },
  searchSite: { vi: 'Tìm trong thư viện số', en: 'Search the digital library' },
  searchResults: { vi: 'Kết quả tìm kiếm', en: 'Search results' },
  browseAll: { vi: 'Tất cả tài liệu', en: 'All documents' },
  searchInItem: { vi: 'Tìm trong tài liệu này', en: 'Search this document' },
  fullText: { vi: 'Toàn văn', en: 'Full text' },
  fullTextOf: { vi: 'Toàn văn', en: 'Full text of' },
  page: { vi: 'Trang', en: 'Page' },
  openAtPage: { vi: 'Mở trang này', en: 'Open this page' },
  showReadings: { vi: 'Hiện âm đọc dưới chữ Hán, chữ Nôm', en: 'Show the reading under Han and Nôm characters' },
  hideReadings: { vi: 'Ẩn âm đọc', en: 'Hide the readings' },
  readingsNote: {
    vi: 'Âm đọc do máy tạo từ bảng Unihan và danh sách bổ sung, chưa hiệu đính. Chữ có nhiều cách đọc thì ghi cả, cách nhau bằng “/”.',
    en: 'The readings are machine-generated from Unihan and a curated list, not proofread. A character with several readings shows them all, split by “/”.',
  },
  backToItem: { vi: 'Về trang tài liệu', en: 'Back to the document' },
  filters: { vi: 'Bộ lọc', en: 'Filters' },
  activeFilters: { vi: 'Đang lọc', en: 'Active filters' },
  removeFilter: { vi: 'Bỏ bộ lọc', en: 'Remove filter' },
  removeAll: { vi: 'Bỏ tất cả bộ lọc', en: 'Remove all filters' },
  library: { vi: 'Thư viện', en: 'Library' },
  hasText: { vi: 'Toàn văn', en: 'Full text' },
  character: { vi: 'Chữ', en: 'Character' },
  codePoint: { vi: 'Mã Unicode', en: 'Code point' },
  readingHanViet: { vi: 'Âm Hán Việt', en: 'Sino-Vietnamese reading' },
  readingUnihan: { vi: 'Âm trong Unihan (kVietnamese)', en: 'Unihan reading (kVietnamese)' },
  readingNom: { vi: 'Âm Nôm', en: 'Nôm readings' },
  variants: { vi: 'Dị thể (phồn, giản, đồng nghĩa)', en: 'Variants (traditional, simplified, semantic)' },
  specialisedVariants: { vi: 'Dị thể chỉ trùng một phần nghĩa (tìm riêng)', en: 'Variants in some senses only (searched apart)' },
  searchCharacter: { vi: 'Tìm chữ {c} trong thư viện (cả dị thể)', en: 'Search the library for {c} (and its variants)' },
  charSources: {
    vi: 'Nguồn: Unihan (Unicode 15.0), bảng gõ Hán Việt và Nôm của HueCIT (m17n-db), danh sách âm Nôm do thư viện biên soạn. Bấm vào một âm để tìm theo âm đó.',
    en: 'Sources: Unihan (Unicode 15.0), HueCIT’s Sino-Vietnamese and Nôm input tables (m17n-db), the library’s curated Nôm readings. Click a reading to search by it.',
  },
  noReading: { vi: 'không có', en: 'none' },
  readingPanel: { vi: 'Âm đọc', en: 'Vietnamese reading' },
  characterPage: { vi: 'Xem đầy đủ', en: 'Full entry' },
  close: { vi: 'Đóng', en: 'Close' },
  pageNoText: { vi: 'Trang này chưa có văn bản nhận dạng.', en: 'This page has no recognised text yet.' },
  exactForm: { vi: 'Chỉ đúng dạng chữ đã gõ (không tìm dị thể: 學 không ra 学)', en: 'Only the character form typed (not its variants: 學 not 学)' },
  years: { vi: 'Năm', en: 'Year' },
  from: { vi: 'Từ năm', en: 'From' },
  to: { vi: 'Đến năm', en: 'To' },
  apply: { vi: 'Áp dụng', en: 'Apply' },
  more: { vi: 'Xem thêm', en: 'More' },
  sort: { vi: 'Sắp xếp', en: 'Sort' },
  perPage: { vi: 'Mỗi trang', en: 'Per page' },
  relevance: { vi: 'Phù hợp nhất', en: 'Relevance' },
  dateAsc: { vi: 'Cũ nhất trước', en: 'Oldest first' },
  dateDesc: { vi: 'Mới nhất trước', en: 'Newest first' },
  titleSort: { vi: 'Nhan đề (A–Z)', en: 'Title (A–Z)' },
  pageOf: { vi: 'Trang {n} / {m}', en: 'Page {n} of {m}' },
  noResults: { vi: 'Không tìm thấy tài liệu nào.', en: 'No documents found.' },
  tipSpelling: { vi: 'Kiểm tra lại chính tả.', en: 'Check the spelling.' },
  tipFewerWords: { vi: 'Dùng ít từ hơn: tài liệu phải có mọi từ bạn gõ.', en: 'Use fewer words: a document must have every word you type.' },
  tipNoDiacritics: { vi: 'Gõ không dấu cũng được: “thu vien” tìm cả “thư viện”.', en: 'Diacritics are optional: “thu vien” also finds “thư viện”.' },
  tipFilters: { vi: 'Bỏ bớt bộ lọc', en: 'Remove some filters' },
  signInToRead: { vi: 'Đăng nhập để đọc nội dung tài liệu này.', en: 'Sign in to read this document’s content.' },
  noText: { vi: 'Tài liệu này chưa có văn bản nhận dạng.', en: 'This document has no recognised text yet.' },
} as const;

/** "12 kết quả" / "12 results" (English has a singular; Vietnamese does not). */
export const COUNTED = {
  results: { vi: 'kết quả', en: ['result', 'results'] },
  documents: { vi: 'tài liệu', en: ['document', 'documents'] },
  pagesWithHits: { vi: 'trang có kết quả', en: ['page matches', 'pages match'] },
  pagesWithText: { vi: 'trang có chữ', en: ['page with text', 'pages with text'] },
} as const;

export function counted(n: number, what: keyof typeof COUNTED, lang: Lang): string {
  const w = COUNTED[what];
  return `${n.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB')} ${lang === 'vi' ? w.vi : w.en[n === 1 ? 0 : 1]}`;
}

export function t(key: keyof typeof WORDS, lang: Lang): string {
  return WORDS[key][lang];
}

/** The site's search box, in every page's header: a new search (filters are set on the results page). */
function searchBox(lang: Lang, q: string): string {
  return `<form class="site-search" role="search" action="/search" method="get">
<label class="sr" for="site-q">${t('searchSite', lang)}</label>
<input id="site-q" type="search" name="q" value="${esc(q)}" enterkeyhint="search" autocomplete="off" placeholder="${t('searchSite', lang)}…">
<input type="hidden" name="lang" value="${lang}"><button type="submit">${t('search', lang)}</button></form>`;
}

export function layout(opts: {
  lang: Lang;
  title: string;
  body: string;
  path: string;
  full?: boolean;
  user?: { name: string } | null;
  /** The query to echo in the header's search box (the results pages). */
  q?: string;
  /** CSS of one kind of page. */
  style?: string;
}): string {
  const other: Lang = opts.lang === 'vi' ? 'en' : 'vi';
  const switchHref = `${opts.path}${opts.path.includes('?') ? '&' : '?'}lang=${other}`;
  return `<!doctype html>
<html lang="${opts.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>${esc(opts.title)}${opts.title.startsWith('Văn Khố') ? '' : ' · Văn Khố'}</title>
<style>
  body { font-family: "Noto Serif", Georgia, serif; margin: 0; color: #222; background: #faf8f3; }
  header { background: #5a1e14; color: #fff; padding: .6rem 1rem; display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
  header a { color: #fff; text-decoration: none; }
  header .brand { font-size: 1.3rem; font-weight: bold; }
  header .lang { margin-left: auto; }
  main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: 1rem; list-style: none; padding: 0; }
  .card { background: #fff; border: 1px solid #e3dccb; padding: .5rem; }
  .card img { width: 100%; height: 12rem; object-fit: contain; background: #eee; }
  .original { font-size: 1.4rem; }
  table.meta th { text-align: left; vertical-align: top; padding-right: 1rem; white-space: nowrap; color: #5a1e14; }
  table.meta td { overflow-wrap: anywhere; }
  /* A phone has no room for two columns: each label above its value. */
  @media (max-width: 30rem) { table.meta th, table.meta td { display: block; white-space: normal; } table.meta td { margin-bottom: .4rem; } }
  .viewer { width: 100%; height: 80vh; border: 1px solid #ccc; box-sizing: border-box; }
  /* On a phone the reader leaves room for the description around it. */
  @media (max-width: 30rem) { .viewer { height: 60vh; } }
  textarea { width: 100%; box-sizing: border-box; font-family: monospace; }
  a.rights { color: inherit; }
  input.copy { width: 100%; box-sizing: border-box; font-family: monospace; }
  .citation { background: #fff; border-left: 3px solid #e3dccb; padding: .5rem .75rem; overflow-wrap: anywhere; }
  footer { max-width: 72rem; margin: 2rem auto 0; padding: 1rem; border-top: 1px solid #e3dccb; font-size: .9rem; color: #555; }
  footer a { color: #5a1e14; }
  .badge { display: inline-block; font: bold .8rem/1.4 system-ui, sans-serif; padding: 0 .4rem; border-radius: .2rem; color: #fff; background: #555; white-space: nowrap; }
  .badge.free { background: #2e6b2e; } .badge.limited { background: #8a5a00; } .badge.closed { background: #8b1e1e; }
  .card .locked { height: 12rem; display: flex; align-items: center; justify-content: center; text-align: center; padding: 1rem; box-sizing: border-box; background: #eee; color: #5a1e14; border: 2px dashed #c9b99a; }
  .notice { background: #fff4d6; border: 1px solid #e3c66b; padding: .5rem; }
  header form { display: inline; } header button { background: none; border: 0; color: #fff; font: inherit; cursor: pointer; text-decoration: underline; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  header form.site-search { display: flex; flex: 1 1 100%; order: 9; gap: .3rem; max-width: 36rem; }
  .site-search input { flex: 1; min-width: 0; font: inherit; padding: .35rem .5rem; border: 1px solid #c9b99a; border-radius: 3px; }
  header .site-search button { text-decoration: none; background: #e8d9b5; color: #3b130c; border-radius: 3px; padding: .35rem .8rem; }
  @media (min-width: 48rem) { header form.site-search { flex: 0 1 24rem; order: 0; } }
  mark { background: #ffe58a; color: inherit; padding: 0 .05em; }
  img { max-width: 100%; }
${opts.style ?? ''}
</style>
</head>
<body>
<header><a class="brand" href="/?lang=${opts.lang}">Văn Khố</a><a href="/?lang=${opts.lang}">${t('home', opts.lang)}</a>
${searchBox(opts.lang, opts.q ?? '')}
<a class="lang" href="${esc(switchHref)}" hreflang="${other}">${t('otherLang', opts.lang)}</a>
${
  opts.user
    ? `<span>${esc(opts.user.name)}</span><a href="/auth/logout?lang=${opts.lang}">${t('signOut', opts.lang)}</a>`
    : `<a href="/auth/login?returnTo=${encodeURIComponent(opts.path)}">${t('signIn', opts.lang)}</a>`
}</header>
<main>
${opts.body}
</main>
<footer><p>${opts.lang === 'vi' ? 'Văn Khố — thư viện số của mạng lưới thư viện công cộng' : 'Văn Khố — the digital library of a public library network'}</p>
<nav aria-label="${opts.lang === 'vi' ? 'Thông tin' : 'Information'}"><a href="/about?lang=${opts.lang}">${opts.lang === 'vi' ? 'Giới thiệu' : 'About'}</a> · <a href="/contact?lang=${opts.lang}">${opts.lang === 'vi' ? 'Liên hệ' : 'Contact'}</a> · <a href="/iiif/presentation/3/top">IIIF</a></nav></footer>
</body>
</html>`;
}

/** The site's icon: 文 on the header's red, drawn in SVG (any size, a few hundred bytes). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="10" fill="#5a1e14"/><text x="32" y="47" font-size="44" text-anchor="middle" fill="#fff" font-family="serif">文</text></svg>`;
