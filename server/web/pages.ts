/** The public pages: home, collection, item (with the reading room embedded), and the reader itself. */
import { citationText } from '../presentation/citation.js';
import { rightsName } from '../presentation/rights.js';
import type { Archive, SummaryView } from '../archive/service.js';
import type { Identity } from '../auth/policy.js';
import type { Item } from '../catalogue/catalogue.js';
import type { Library } from '../catalogue/schema.js';
import { FIELD, formatDate, KIND_LABEL, LANGUAGE_LABEL, pick, SCRIPT_LABEL } from '../presentation/labels.js';
import { thumbnailUrl } from '../presentation/manifest.js';
import type { PresentationUris } from '../presentation/uris.js';
import { esc, layout, scriptJson, t, type Lang } from './html.js';
import { accessNotice, itemTextSection, TEXT_STYLE } from './item-text.js';

const PAGE_SIZE = 24;

/** A listed item: its thumbnail only when the reader may see its images; a lock otherwise. */
function card(i: SummaryView, uris: PresentationUris, lang: Lang): string {
  const picture =
    i.content === 'deny'
      ? `<div class="locked">${esc(t('locked', lang))}</div>`
      : `<img loading="lazy" alt="" src="${esc(thumbnailUrl(uris, i.firstImage, i.firstImageSize))}">`;
  return `<li class="card"><a href="/items/${esc(i.id)}?lang=${lang}">
${picture}
<div>${esc(pick(i.title, lang))}</div>
${i.title.original ? `<div class="original" lang="${esc(i.title.originalLanguage)}">${esc(i.title.original)}</div>` : ''}
<small>${esc(KIND_LABEL[i.kind]?.[lang] ?? i.kind)} · ${i.pages} ${t('pages', lang)}</small></a></li>`;
}

function pager(path: string, page: number, total: number, lang: Lang): string {
  const pages = Math.ceil(total / PAGE_SIZE);
  if (pages <= 1) return '';
  const link = (p: number, label: string) => `<a href="${path}?page=${p}&lang=${lang}">${label}</a>`;
  return `<nav>${page > 1 ? link(page - 1, t('previous', lang)) : ''} ${page}/${pages} ${page < pages ? link(page + 1, t('next', lang)) : ''}</nav>`;
}

export async function homePage(archive: Archive, who: Identity, uris: PresentationUris, lang: Lang, page: number): Promise<string> {
  const libraries = await archive.libraries(who);
  const collections = await Promise.all(libraries.map((l) => archive.collections(who, l.id, null)));
  const items = await archive.items(who, null, (page - 1) * PAGE_SIZE, PAGE_SIZE);
  const body = `<h1>${t('site', lang)}</h1>
${libraries
  .map(
    (l, n) => `<section><h2>${esc(pick(l.name, lang))}</h2>
<ul>${collections[n]!
      .map((c) => `<li><a href="/collections/${esc(c.id)}?lang=${lang}">${esc(pick(c.label, lang))}</a></li>`)
      .join('')}</ul></section>`,
  )
  .join('\n')}
<h2>${t('items', lang)}</h2>
<ul class="grid">${items.items.map((i) => card(i, uris, lang)).join('\n')}</ul>
${pager('/', page, items.total, lang)}`;
  return layout({ lang, title: t('site', lang), body, path: page > 1 ? `/?page=${page}` : '/', user: who.user });
}

export async function collectionPage(archive: Archive, who: Identity, uris: PresentationUris, id: string, lang: Lang, page: number): Promise<string> {
  const c = await archive.collection(who, id);
  const label = pick(c.label, lang);
  const subs = await archive.collections(who, c.library, id);
  const items = await archive.items(who, id, (page - 1) * PAGE_SIZE, PAGE_SIZE);
  const body = `<h1>${esc(label)}</h1>
${c.summary ? `<p>${esc(pick(c.summary, lang))}</p>` : ''}
${subs.length ? `<ul>${subs.map((s) => `<li><a href="/collections/${esc(s.id)}?lang=${lang}">${esc(pick(s.label, lang))}</a></li>`).join('')}</ul>` : ''}
<ul class="grid">${items.items.map((i) => card(i, uris, lang)).join('\n')}</ul>
${pager(`/collections/${id}`, page, items.total, lang)}
<p><a href="${esc(uris.collection(id))}">IIIF Collection</a></p>`;
  return layout({ lang, title: label, body, path: `/collections/${id}`, user: who.user });
}

function metadataRows(item: Item, libraryName: string, lang: Lang): string {
  const d = item.description;
  const rows: [string, string][] = [];
  const add = (field: string, value: string | undefined) => {
    if (value) rows.push([FIELD[field]![lang], value]);
  };
  add('alternativeTitles', d.alternativeTitles.join('; '));
  add('creators', d.creators.join('; '));
  add('date', d.date ? formatDate(d.date) : undefined);
  add('kind', KIND_LABEL[item.kind]?.[lang]);
  add('languages', d.languages.map((l) => LANGUAGE_LABEL[l]?.[lang] ?? l).join(', '));
  add('scripts', d.scripts.map((s) => SCRIPT_LABEL[s]?.[lang] ?? s).join(', '));
  add('subjects', d.subjects.join('; '));
  add('places', d.places.join('; '));
  add('extent', d.extent);
  add('callNumber', d.callNumber);
  add('holding', libraryName);
  add('source', d.source);
  return rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n');
}

/** Reader URL for an item: book view for paged items, so right-to-left books page from the right. */
export function readerUrl(uris: PresentationUris, item: Item, lang: Lang): string {
  const view = item.description.behavior === 'paged' ? '&view=book' : '';
  return `${uris.viewer(uris.manifest(item.id))}&lang=${lang}${view}`;
}

/**
 * An item's page. Its description is a public record (for every level but staff, which the archive
 * hides); the reader frame shows the content, and its image and text services ask for sign-in where needed.
 */
export function itemPage(who: Identity, library: Library, uris: PresentationUris, item: Item, lang: Lang, access: 'allow' | 'reduced' | 'deny', pagesWithText = 0): string {
  const d = item.description;
  const vi = lang === 'vi';
  const title = pick(d.title, lang);
  const reader = readerUrl(uris, item, lang);
  const embed = `<iframe src="${reader}" width="800" height="600" allowfullscreen style="border:0"></iframe>`;
  const body = `<h1>${esc(title)}</h1>
${d.title.original ? `<p class="original" lang="${esc(d.title.originalLanguage)}">${esc(d.title.original)}</p>` : ''}
${d.summary ? `<p>${esc(pick(d.summary, lang))}</p>` : ''}
${accessNotice(who, item, lang, access)}
${access === 'deny' ? '' : itemTextSection(item, lang, pagesWithText)}
<iframe class="viewer" title="${esc(t('read', lang))}" src="${esc(reader)}" allowfullscreen></iframe>
<p><a href="${esc(reader)}">${t('openViewer', lang)}</a></p>
<table class="meta">
${metadataRows(item, pick(library.name, lang), lang)}
<tr><th>${FIELD.rights![lang]}</th><td>${rightsHtml(d.rights, lang)}</td></tr>
</table>
<h2>${t('reuse', lang)}</h2>
<ul>
<li><a href="${esc(uris.manifest(item.id))}">${t('manifest', lang)}</a></li>
<li><a href="${esc(uris.v2(uris.manifest(item.id)))}">${t('manifest2', lang)}</a></li>
<li><a href="${esc(uris.pdf(item.id))}">${t('pdf', lang)}</a></li>
<li><a href="${esc(uris.dublinCore(item.id))}">${t('dc', lang)}</a></li>
${pagesWithText > 0 && access !== 'deny' ? `<li><a href="/items/${esc(item.id)}/text?lang=${lang}">${vi ? 'Văn bản (chữ nhận dạng)' : 'Text (recognised)'}</a></li>` : ''}
<li><a href="${esc(uris.manifest(item.id))}?manifest=${encodeURIComponent(uris.manifest(item.id))}" title="${vi ? 'Kéo thả vào một trình xem IIIF' : 'Drag and drop into a IIIF viewer'}">IIIF ${vi ? '(kéo thả vào trình xem khác)' : '(drag into another viewer)'}</a></li>
</ul>
${access === 'deny' ? '' : downloadForm(item, lang, access)}
<label>${vi ? 'Địa chỉ tệp IIIF (manifest)' : 'IIIF manifest address'}<input class="copy" readonly value="${esc(uris.manifest(item.id))}"></label>
<h2>${vi ? 'Trích dẫn' : 'Cite'}</h2>
<p class="citation">${esc(citationText(item, library, uris.itemPage(item.id), lang, new Date().toISOString()))}</p>
<p>${vi ? 'Địa chỉ cố định' : 'Permanent address'}: <a href="${esc(uris.itemPage(item.id))}">${esc(uris.itemPage(item.id))}</a> · <a href="/items/${esc(item.id)}/cite.json">CSL-JSON</a> · <a href="/items/${esc(item.id)}/cite.bib">BibTeX</a></p>
<p>${vi ? 'Chia sẻ' : 'Share'}: <a href="https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(uris.itemPage(item.id))}" rel="noopener">Facebook</a> · <a href="https://sp.zalo.me/share_to_zalo?url=${encodeURIComponent(uris.itemPage(item.id))}" rel="noopener">Zalo</a> · <a href="mailto:?subject=${encodeURIComponent(title)}&amp;body=${encodeURIComponent(uris.itemPage(item.id))}">${vi ? 'Thư điện tử' : 'E-mail'}</a></p>
<label>${t('embed', lang)}<textarea readonly rows="3">${esc(embed)}</textarea></label>`;
  return layout({ lang, title, body, path: `/items/${item.id}`, user: who.user, style: TEXT_STYLE });
}

export interface ReaderConfig {
  manifest: string | null;
  language: Lang;
  view?: 'single' | 'book' | 'gallery';
  /** Where to open: the canvas's id when the manifest is ours (its URI is known), and its 0-based index. */
  canvasId?: string;
  canvasIndex?: number;
  /** A query to run in the reader's search panel (IIIF Content Search). */
  q?: string;
  /** The item whose reading panel (/items/:id/reading) the reader offers: ours, in Han or Nôm. */
  readings?: string;
  /** The item's page, for the way back when the reader is opened on its own (not framed). */
  back?: { href: string; title: string };
}

/** The reading room: Mirador filling the window, configured through a JSON block. */
export function readerPage(config: ReaderConfig, script: string): string {
  const vi = config.language === 'vi';
  const home = vi ? '/' : '/?lang=en';
  // A bar with the way back, shown by the script when the reader is a page of its own (not framed by
  // the item page or a partner's), and a skip link to the reader before it.
  const back = config.back ? `<span aria-hidden="true">›</span><a href="${esc(config.back.href)}">${esc(config.back.title)}</a>` : '';
  return `<!doctype html>
<html lang="${config.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${config.back ? `${esc(config.back.title)} · ` : ''}${vi ? 'Phòng đọc' : 'Reading room'} · Văn Khố</title>
<style>html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; } #mirador { position: absolute; inset: 0; }
.vk-top #mirador { top: 2.5rem; }
.vk-bar { position: absolute; inset: 0 0 auto 0; height: 2.5rem; display: flex; align-items: center; gap: .5rem; padding: 0 1rem; background: #7a1f1f; color: #fff; font-size: .95rem; white-space: nowrap; overflow: hidden; }
.vk-bar[hidden] { display: none; }
.vk-bar a { color: #fff; text-overflow: ellipsis; overflow: hidden; }
.vk-skip { position: absolute; left: -100vw; top: 0; z-index: 10; background: #fff; color: #000; padding: .5rem 1rem; }
.vk-skip:focus { left: 0; }
/* The reading panel's frame fills its side panel (Mirador's scrolling box is sized to its content). */
div:has(> iframe.vankho-reading-frame) { flex: 1 1 auto; display: flex; flex-direction: column; overflow: hidden; }
iframe.vankho-reading-frame { flex: 1 1 auto; border: 0; width: 100%; }</style>
</head>
<body>
<a class="vk-skip" href="#mirador">${vi ? 'Tới phòng đọc' : 'Skip to the reader'}</a>
<header class="vk-bar" hidden><nav aria-label="${vi ? 'Đường dẫn' : 'Breadcrumb'}"><a href="${home}">Văn Khố</a>${back}</nav></header>
<div id="mirador" tabindex="-1"></div>
<script id="vankho-viewer" type="application/json">${scriptJson(config)}</script>
<script src="${esc(script)}"></script>
</body>
</html>`;
}

/** A document's rights by name, with the badge's code; the statement's own page behind the link. */
function rightsHtml(uri: string, lang: Lang): string {
  const name = rightsName(uri);
  if (!name) return `<a href="${esc(uri)}">${esc(uri)}</a>`;
  return `<a class="rights" href="${esc(uri)}"><span class="badge ${name.kind}">${esc(name.code)}</span> ${esc(name[lang])}</a>`;
}

/** About the site: what it holds and offers, and the libraries of the network that run it. */
export async function aboutPage(archive: Archive, who: Identity, uris: PresentationUris, lang: Lang): Promise<string> {
  const libraries = await archive.libraries(who);
  const vi = lang === 'vi';
  const tree = (parent: string | null): string => {
    const here = libraries.filter((l) => (l.parent ?? null) === parent);
    if (here.length === 0) return '';
    return `<ul>${here.map((l) => `<li>${l.homepage ? `<a href="${esc(l.homepage)}">${esc(pick(l.name, lang))}</a>` : esc(pick(l.name, lang))}${tree(l.id)}</li>`).join('')}</ul>`;
  };
  const body = `<h1>${vi ? 'Giới thiệu' : 'About'}</h1>
<p>${
    vi
      ? 'Văn Khố là thư viện số của mạng lưới thư viện công cộng dưới đây: sách Hán Nôm, Nôm Tày, tài liệu về các dân tộc và tài liệu địa chí, được số hoá, nhận dạng chữ, và mở cho bạn đọc tìm kiếm và đọc trực tuyến.'
      : 'Văn Khố is the digital library of the public library network below: Hán-Nôm and Tày Nôm books, documents on ethnic minorities and local history, digitised, with their text recognised, open to readers to search and read online.'
  }</p>
<h2>${vi ? 'Mạng lưới thư viện' : 'The library network'}</h2>
${tree(null) || `<p>${vi ? 'Chưa có thư viện nào.' : 'No library yet.'}</p>`}
<h2>${vi ? 'Dùng lại và chia sẻ' : 'Reuse and sharing'}</h2>
<p>${
    vi
      ? 'Mỗi tài liệu có tệp IIIF (manifest) để mở trong các trình xem IIIF khác, bản PDF, và biểu ghi Dublin Core. Danh mục tất cả tài liệu công khai:'
      : 'Every document has a IIIF manifest to open in other IIIF viewers, a PDF and a Dublin Core record. The collection of all public documents:'
  } <a href="${esc(uris.top())}">IIIF</a>.</p>
<p><a href="/contact?lang=${lang}">${vi ? 'Liên hệ với thư viện' : 'Contact the libraries'}</a></p>`;
  return layout({ lang, title: vi ? 'Giới thiệu' : 'About', body, path: '/about', user: who.user });
}

/** How to reach each library of the network. */
export async function contactPage(archive: Archive, who: Identity, lang: Lang): Promise<string> {
  const libraries = await archive.libraries(who);
  const vi = lang === 'vi';
  const rows = libraries.map((l) => {
    const lines = [
      l.address && `<p>${vi ? 'Địa chỉ' : 'Address'}: ${esc(l.address)}</p>`,
      l.phone && `<p>${vi ? 'Điện thoại' : 'Telephone'}: <a href="tel:${esc(l.phone.replace(/[^+0-9]/g, ''))}">${esc(l.phone)}</a></p>`,
      l.email && `<p>${vi ? 'Thư điện tử' : 'E-mail'}: <a href="mailto:${esc(l.email)}">${esc(l.email)}</a></p>`,
      l.homepage && `<p>${vi ? 'Trang web' : 'Website'}: <a href="${esc(l.homepage)}">${esc(l.homepage)}</a></p>`,
    ].filter(Boolean);
    return `<section><h2>${esc(pick(l.name, lang))}</h2>${lines.join('') || `<p>${vi ? 'Chưa có thông tin liên hệ.' : 'No contact details yet.'}</p>`}</section>`;
  });
  const body = `<h1>${vi ? 'Liên hệ' : 'Contact'}</h1>\n${rows.join('\n')}`;
  return layout({ lang, title: vi ? 'Liên hệ' : 'Contact', body, path: '/contact', user: who.user });
}

/** A page's image at a chosen size (the largest only for readers who may see the full image). */
function downloadForm(item: Item, lang: Lang, access: 'allow' | 'reduced'): string {
  const vi = lang === 'vi';
  const sizes: [string, string][] = [
    ['800', vi ? 'nhỏ (800 điểm ảnh)' : 'small (800 px)'],
    ['1600', vi ? 'vừa (1600 điểm ảnh)' : 'medium (1600 px)'],
    ['3000', vi ? 'lớn (3000 điểm ảnh)' : 'large (3000 px)'],
    ...(access === 'allow' ? ([['max', vi ? 'cỡ gốc' : 'full size']] as [string, string][]) : []),
  ];
  return `<form class="download" action="/items/${esc(item.id)}/image" method="get">
<fieldset><legend>${vi ? 'Tải ảnh một trang' : 'Download a page image'}</legend>
<label>${vi ? 'Trang' : 'Page'} <input type="number" name="page" min="1" max="${item.canvases.length}" value="1" required></label>
<label>${vi ? 'Cỡ' : 'Size'} <select name="size">${sizes.map(([v, l], i) => `<option value="${v}"${i === 1 ? ' selected' : ''}>${l}</option>`).join('')}</select></label>
<button type="submit">${vi ? 'Tải về' : 'Download'}</button></fieldset></form>`;
}
