/**
 * The reading room: Mirador 4, configured (never patched) for Văn Khố.
 * The page provides its configuration as JSON in <script id="vankho-viewer" type="application/json">:
 * { manifest: URL, language: 'vi' | 'en', view?: 'single' | 'book' | 'gallery', canvasIndex?: number }
 */
import { fetchInfoResponse, viewer } from 'mirador';

/**
 * Corrections to the Vietnamese locale Mirador 4 ships: zoom in/out are swapped there, some keys
 * are missing, and a few read unnaturally for a library's readers ("khoản mục" for a page).
 */
const VI = {
  zoomIn: 'Phóng to',
  zoomOut: 'Thu nhỏ',
  nextCanvas: 'Trang sau',
  previousCanvas: 'Trang trước',
  itemList: 'Danh sách trang',
  iiif_related: 'Liên quan',
  layer_moveToBackground: 'Đưa lớp xuống dưới cùng',
  layer_moveToFront: 'Đưa lớp lên trên cùng',
  multipartCollection: 'Bộ sưu tập nhiều phần',
  numItems_other: '{{number}} trang',
  searchResultsRemaining: 'còn {{numLeft}} kết quả',
  showingNumAnnotations_other: 'Đang hiển thị {{number}} chú giải',
  totalCollections_other: '{{count}} bộ sưu tập',
  totalManifests_other: '{{count}} tài liệu',
  viewWorkspaceConfiguration: 'Xem cấu hình không gian làm việc',
};

const cfg = JSON.parse(document.getElementById('vankho-viewer').textContent);

const mirador = viewer({
  id: 'mirador',
  language: cfg.language === 'en' ? 'en' : 'vi',
  availableLanguages: { vi: 'Tiếng Việt', en: 'English' },
  translations: { vi: VI },
  windows: cfg.manifest
    ? [{ manifestId: cfg.manifest, ...(cfg.view ? { view: cfg.view } : {}), ...(cfg.canvasIndex ? { canvasIndex: cfg.canvasIndex } : {}) }]
    : [],
  window: {
    allowClose: false,
    allowMaximize: false,
    defaultSideBarPanel: 'info',
    sideBarOpenByDefault: false,
  },
  workspace: { showZoomControls: true, type: 'mosaic' },
  workspaceControlPanel: { enabled: false },
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
