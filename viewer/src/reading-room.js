/**
 * The reading room: Mirador 4, configured (never patched) for Văn Khố.
 * The page provides its configuration as JSON in <script id="vankho-viewer" type="application/json">:
 * { manifest: URL, language: 'vi' | 'en', view?: 'single' | 'book' | 'gallery', canvasId?: URL, canvasIndex?: number, q?: string, readings?: item id }
 * canvasId/canvasIndex: the page to open at (a search hit's); q: a query to run in the search panel;
 * readings: the item (ours, in Han or Nôm) whose reading panel the side bar offers.
 */
import { createElement as h } from 'react';
import { EN, VI } from './locale-vi.js';
import { ConnectedCompanionWindow, fetchInfoResponse, getCanvases, getSequenceViewingDirection, getVisibleCanvases, setCanvas, setNextCanvas, setPreviousCanvas, updateWindow, viewer } from 'mirador';


/**
 * Mirador puts a window's defaultSearchQuery into the search URL unencoded (sagas/windows.js:
 * `${searchService.id}?q=${defaultSearchQuery}`), so `&`, `#`, `+` and `%` would cut or change the
 * query. They separate words in our search anyway (search/fold.ts: only letters, digits and marks make
 * words), so they become spaces: the same search, a safe URL.
 */
const safeQuery = (q) => q.replace(/[&#+%]/g, ' ').replace(/\s+/g, ' ').trim();

const cfg = JSON.parse(document.getElementById('vankho-viewer').textContent);
const lang = cfg.language === 'en' ? 'en' : 'vi';

// Opened on its own (not framed by the item page or a partner's page): the bar with the way back.
if (window.top === window.self) {
  document.body.classList.add('vk-top');
  document.querySelector('.vk-bar')?.removeAttribute('hidden');
}

/**
 * Mirador puts `aria-orientation` on the side bar's tabs container, a plain div (MUI gives the role
 * `tablist` to the div inside it): an attribute its role does not allow (axe: aria-allowed-attr).
 * Moved to the tablist as Mirador renders it; configured from outside, not patched.
 */
new MutationObserver(() => {
  for (const el of document.querySelectorAll('.MuiTabs-root[aria-orientation]:not([role])')) {
    const list = el.querySelector('[role="tablist"]');
    if (list) list.setAttribute('aria-orientation', el.getAttribute('aria-orientation'));
    el.removeAttribute('aria-orientation');
  }
}).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['aria-orientation'] });

/**
 * The reading panel (Hán-Nôm): a side bar button (字) opens a panel of Mirador's own (a companion
 * window, registered through its plugin API: `companionWindowKey`) holding our page
 * /items/:id/reading for the pages on screen — each OCR line with the Vietnamese reading under each
 * character, a click on a character showing its readings, variants and code point. The panel follows
 * page turns (the frame's address is made from the visible canvases, read with Mirador's selectors).
 * Offered only for our items in Han or Nôm (the server says which: cfg.readings).
 */
function ReadingButton() {
  return h('span', { 'aria-hidden': true, style: { fontSize: '1.35rem', lineHeight: 1, fontFamily: 'serif' } }, '字');
}
ReadingButton.value = 'vankhoReading'; // the tab's value: the companion window it opens

function ReadingPanel({ id, windowId, pages }) {
  const title = lang === 'en' ? 'Vietnamese reading' : 'Âm đọc';
  const src = pages ? `/items/${encodeURIComponent(cfg.readings)}/reading?canvas=${pages}&lang=${lang}` : 'about:blank';
  return h(
    ConnectedCompanionWindow,
    { id, windowId, title },
    h('iframe', { src, title, className: 'vankho-reading-frame' }),
  );
}
/** The 1-based positions of the canvases on screen ("3,4" in book view), as a string: the frame reloads only when it changes. */
function visiblePages(state, { windowId }) {
  const all = getCanvases(state, { windowId }) || [];
  const pages = (getVisibleCanvases(state, { windowId }) || []).map((c) => all.findIndex((x) => x.id === c.id) + 1).filter((n) => n > 0);
  return { pages: pages.join(',') };
}
const readingPlugins = cfg.readings
  ? [
      { target: 'WindowSideBarButtons', mode: 'add', component: ReadingButton },
      { companionWindowKey: 'vankhoReading', component: ReadingPanel, mapStateToProps: visiblePages },
    ]
  : [];

/**
 * The window: at the requested page (canvasId wins over canvasIndex in Mirador's
 * sagas/windows.js setWindowStartingCanvas), and with a query, the search panel open on it
 * (actions/window.js: defaultSearchQuery puts 'search' in the side bar; the saga runs the query once
 * the manifest names its search service). Mirador would then jump to the first hit
 * (`switchCanvasOnSearch`): off when a page was asked for, so a snippet of page 5 opens page 5.
 */
function readerWindow(c) {
  const w = { manifestId: c.manifest };
  if (c.view) w.view = c.view;
  if (c.canvasId) w.canvasId = c.canvasId;
  else if (Number.isInteger(c.canvasIndex) && c.canvasIndex > 0) w.canvasIndex = c.canvasIndex;
  const q = c.q ? safeQuery(c.q) : '';
  // On a phone the open panel would cover the page: the query still runs (its hits drawn on the
  // page), and the panel is a tap away on the side bar button.
  const room = window.matchMedia('(min-width: 40rem)').matches;
  if (q) Object.assign(w, { defaultSearchQuery: q, sideBarOpen: room, sideBarPanel: 'search' });
  if (q && (c.canvasId || c.canvasIndex)) w.switchCanvasOnSearch = false;
  return w;
}

/**
 * Mirador 4 builds the table of contents from a manifesto instance made without the reader's language
 * (state/selectors/manifests.js, getContextualManifestoInstance), so a range labelled
 * {"vi": […], "en": […]} shows in manifesto's default, English, in the Vietnamese reading room.
 * Configured, not patched: a response postprocessor (settings `requests.postprocessors`) keeps, in each
 * range's label, only the reader's language where the label has it.
 */
function rangeLabelsIn(language) {
  const pick = (label) => (label && typeof label === 'object' && Array.isArray(label[language]) ? { [language]: label[language] } : label);
  const walk = (node) => ({
    ...node,
    ...(node.label ? { label: pick(node.label) } : {}),
    ...(Array.isArray(node.items) ? { items: node.items.map((i) => (i && i.type === 'Range' ? walk(i) : i)) } : {}),
  });
  return (url, action) => {
    const json = action && action.manifestJson;
    if (!json || !Array.isArray(json.structures)) return action;
    return { ...action, manifestJson: { ...json, structures: json.structures.map(walk) } };
  };
}

/**
 * Mirador shows a manifest's `rights` as its bare URI under "License". Our manifests also name the
 * rights in their metadata ("Bản quyền": the statement's name, linked): for Mirador, the bare URI is
 * left out of our own manifests, which have that row.
 */
function rightsByName(url, action) {
  const json = action && action.manifestJson;
  if (!json || !json.rights || !Array.isArray(json.metadata)) return action;
  const named = json.metadata.some((m) => m && m.value && Object.values(m.value).flat().some((v) => typeof v === 'string' && v.includes(`href="${json.rights}"`)));
  if (!named) return action;
  const { rights, ...rest } = json;
  return { ...action, manifestJson: rest };
}

const mirador = viewer(
  {
    id: 'mirador',
    language: lang,
    availableLanguages: { vi: 'Tiếng Việt', en: 'English' },
    translations: { vi: VI, en: EN },
    requests: { postprocessors: [rangeLabelsIn(lang), rightsByName] },
    windows: cfg.manifest ? [readerWindow(cfg)] : [],
    window: {
      allowClose: false,
      allowMaximize: false,
      defaultSideBarPanel: 'info',
      sideBarOpenByDefault: false,
      // Every panel, search included: Mirador shows the search button only when the manifest has a
      // Content Search service (settings.js `window.panels`).
      panels: { info: true, attribution: true, canvas: true, annotations: true, search: true, layers: true },
    },
    // OCR lines are `supplementing` annotations (IIIF 3): Mirador's default list (settings.js
    // `annotations.filteredMotivations`) lacks it, so its annotation panel said "0 annotations". Arrays
    // in the config replace the default (reducers/config.js overwriteMerge): the defaults are repeated.
    annotations: { filteredMotivations: ['oa:commenting', 'oa:tagging', 'sc:painting', 'commenting', 'tagging', 'supplementing'] },
    // The strip of page thumbnails under the page, where there is room for it (on a phone it would
    // take the page's place; the strip is a tap away in the window menu).
    thumbnailNavigation: { defaultPosition: window.matchMedia('(min-height: 34rem)').matches ? 'far-bottom' : 'off' },
    workspace: { showZoomControls: true, type: 'mosaic' },
    workspaceControlPanel: { enabled: false },
  },
  readingPlugins,
);

/**
 * Arrow keys turn pages anywhere in the reading room (Mirador answers them only in its thumbnail
 * strip): the arrow pointing where the next page lies, → in a left-to-right book, ← in a right-to-left
 * one. Not while typing, in a list or slider that uses the arrows itself, on the page image once it has
 * the focus (OpenSeadragon pans with them and marks them handled), or with a modifier held.
 */
document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
  if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
  const t = e.target;
  if (t instanceof Element && t.closest('input, textarea, select, [contenteditable="true"], [role="slider"], [role="tree"], [role="listbox"], [role="tablist"], [role="grid"], [role="menu"]')) return;
  if (document.querySelector('[role="menu"]')) return; // a window menu is open: its items take the arrows
  const state = mirador.store.getState();
  const windowId = Object.keys(state.windows || {})[0];
  // Gallery view: the arrows move between its thumbnails (Mirador selects the page on key-up).
  if (!windowId || state.windows[windowId].view === 'gallery') return;
  const rtl = getSequenceViewingDirection(state, { windowId }) === 'right-to-left';
  const forward = (e.key === 'ArrowRight') !== rtl;
  mirador.store.dispatch((forward ? setNextCanvas : setPreviousCanvas)(windowId));
  e.preventDefault();
});

/**
 * After sign-in, Mirador 4 fetches the image information again with the new token but keeps the
 * OpenSeadragon layer it made from the first answer (a 401, or the reduced image), so the page stays
 * blank or blurred until the reader zooms. When an image turns from degraded to authorised, ask
 * Mirador (its public action) to request it afresh: the layer is rebuilt and the full tiles load.
 */
const seen = {};
mirador.store.subscribe(() => {
  const infos = mirador.store.getState().infoResponses || {};
  for (const [id, info] of Object.entries(infos)) {
    const before = seen[id];
    seen[id] = info;
    if (before && before !== info && before.degraded === true && info.degraded === false && !info.isFetching) {
      mirador.store.dispatch(fetchInfoResponse({ imageId: id }));
    }
  }
});

/**
 * Opened at a hit's page with its query, the page's hit should be the selected (yellow) one, but
 * Mirador selects the hit on the current page only when the page is set (sagas/windows.js
 * setCurrentAnnotationsOnCurrentCanvas), and the page was set before the answer came. When the answer
 * arrives, set the same page again (Mirador's public action): its saga selects the hit there. Then
 * later searches in the panel jump to their first hit again, as Mirador does by default. Deferred, so
 * Mirador's own handling of the answer (its sagas run after the store's listeners) comes first.
 */
let hitSelected = !(cfg.q && (cfg.canvasId || cfg.canvasIndex));
mirador.store.subscribe(() => {
  if (hitSelected) return;
  const state = mirador.store.getState();
  for (const [windowId, byPanel] of Object.entries(state.searches || {})) {
    const answered = Object.values(byPanel || {}).some((panel) => Object.values(panel?.data || {}).some((d) => d && d.json && !d.isFetching));
    const canvasId = state.windows?.[windowId]?.canvasId;
    if (!answered || !canvasId) continue;
    hitSelected = true;
    setTimeout(() => {
      mirador.store.dispatch(setCanvas(windowId, canvasId));
      mirador.store.dispatch(updateWindow(windowId, { switchCanvasOnSearch: true }));
    }, 0);
  }
});

/**
 * Embedded in a partner's page, our cookies are third-party there and the browser keeps them apart.
 * The sign-in window (our /auth/iiif/login) hands this page a one-time code; exchanging it sets a
 * session cookie in this page's own partition, so the token service and the images that follow see
 * the reader as signed in. Only messages from our own origin are heard.
 */
window.addEventListener('message', async (event) => {
  if (event.origin !== window.location.origin || !event.data || event.data.type !== 'vankho-embed-grant') return;
  try {
    await fetch('/auth/iiif/claim', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.data.code }), credentials: 'same-origin' });
  } finally {
    event.source?.postMessage({ type: 'vankho-embed-ack' }, window.location.origin);
  }
});
