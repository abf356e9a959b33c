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
} as const;

export function t(key: keyof typeof WORDS, lang: Lang): string {
  return WORDS[key][lang];
}

export function layout(opts: { lang: Lang; title: string; body: string; path: string; full?: boolean; user?: { name: string } | null }): string {
  const other: Lang = opts.lang === 'vi' ? 'en' : 'vi';
  const switchHref = `${opts.path}${opts.path.includes('?') ? '&' : '?'}lang=${other}`;
  return `<!doctype html>
<html lang="${opts.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)} · Văn Khố</title>
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
  .viewer { width: 100%; height: 80vh; border: 1px solid #ccc; }
  textarea { width: 100%; font-family: monospace; }
  .card .locked { height: 12rem; display: flex; align-items: center; justify-content: center; text-align: center; padding: 1rem; box-sizing: border-box; background: #eee; color: #5a1e14; border: 2px dashed #c9b99a; }
  .notice { background: #fff4d6; border: 1px solid #e3c66b; padding: .5rem; }
  header form { display: inline; } header button { background: none; border: 0; color: #fff; font: inherit; cursor: pointer; text-decoration: underline; }
</style>
</head>
<body>
<header><a class="brand" href="/?lang=${opts.lang}">Văn Khố</a><a href="/?lang=${opts.lang}">${t('home', opts.lang)}</a>
<a class="lang" href="${esc(switchHref)}" hreflang="${other}">${t('otherLang', opts.lang)}</a>
${
  opts.user
    ? `<span>${esc(opts.user.name)}</span><a href="/auth/logout?lang=${opts.lang}">${t('signOut', opts.lang)}</a>`
    : `<a href="/auth/login?returnTo=${encodeURIComponent(opts.path)}">${t('signIn', opts.lang)}</a>`
}</header>
<main>
${opts.body}
</main>
</body>
</html>`;
}
