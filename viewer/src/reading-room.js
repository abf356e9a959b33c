/**
 * The reading room: Mirador 4, configured (never patched) for Văn Khố.
 * The page provides its configuration as JSON in <script id="vankho-viewer" type="application/json">:
 * { manifest: URL, language: 'vi' | 'en', view?: 'single' | 'book' | 'gallery', canvasIndex?: number }
 */
import { viewer } from 'mirador';

const cfg = JSON.parse(document.getElementById('vankho-viewer').textContent);

viewer({
  id: 'mirador',
  language: cfg.language === 'en' ? 'en' : 'vi',
  availableLanguages: { vi: 'Tiếng Việt', en: 'English' },
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
