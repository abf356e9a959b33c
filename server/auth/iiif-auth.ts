/**
 * IIIF Authorization: what a viewer needs to get a restricted image shown.
 * - Auth 1.0 (what Mirador 4 speaks): a login service (`…/auth/1/login`, or `…/auth/1/external` for the
 *   reading room, where the address is the credential) with a token service (an HTML page in the
 *   viewer's iframe that posts `{accessToken, expiresIn, messageId}` to the viewer's origin) and logout.
 * - Authorization Flow 2.0 for other clients: a probe service per image (AuthProbeResult2 with the status
 *   the reader would get, and the reduced image as `substitute`), an access service (`active`, or
 *   `kiosk` for the reading room), a token service (AuthAccessToken2 by postMessage) and logout.
 * Tokens are opaque, short-lived, bound to the origin that asked (sessions.ts: IiifTokens).
 */
import { scriptSource } from '../http/security-headers.js';
import { scriptJson } from '../web/html.js';

export const AUTH1 = 'http://iiif.io/api/auth/1';
export const AUTH2_CONTEXT = 'http://iiif.io/api/auth/2/context.json';

export type AuthProfile = 'login' | 'kiosk';

const TEXT = {
  login: {
    label: { vi: 'Đăng nhập để xem', en: 'Sign in to view' },
    header: { vi: 'Cần đăng nhập', en: 'Sign-in needed' },
    description: {
      vi: 'Tài liệu này dành cho bạn đọc có thẻ thư viện hoặc được phép. Đăng nhập để xem ảnh đầy đủ.',
      en: 'This document is for library card holders or permitted readers. Sign in to see it in full.',
    },
    confirm: { vi: 'Đăng nhập', en: 'Sign in' },
  },
  kiosk: {
    label: { vi: 'Phòng đọc', en: 'Reading room' },
    header: { vi: 'Chỉ xem tại phòng đọc', en: 'Reading room only' },
    description: { vi: 'Tài liệu này chỉ xem được tại phòng đọc của thư viện.', en: 'This document can be read only in the library’s reading room.' },
    confirm: { vi: 'Tiếp tục', en: 'Continue' },
  },
} as const;

const map = (t: { vi: string; en: string }) => ({ vi: [t.vi], en: [t.en] });

/** Auth 1.0 services for an image's info.json (Image API 2.1 and 3.0 alike; Mirador reads `profile`). */
export function auth1Services(site: string, profile: AuthProfile): Record<string, unknown>[] {
  const t = TEXT[profile];
  return [
    {
      '@context': 'http://iiif.io/api/auth/1/context.json',
      '@id': `${site}/auth/iiif/login`,
      id: `${site}/auth/iiif/login`,
      profile: profile === 'login' ? `${AUTH1}/login` : `${AUTH1}/external`,
      label: t.label.vi,
      header: t.header.vi,
      description: t.description.vi,
      confirmLabel: t.confirm.vi,
      failureHeader: 'Không xem được',
      failureDescription: profile === 'login' ? 'Tài khoản của bạn không có quyền xem tài liệu này.' : 'Bạn không ở trong phòng đọc của thư viện.',
      service: [
        { '@id': `${site}/auth/iiif/token`, id: `${site}/auth/iiif/token`, profile: `${AUTH1}/token` },
        { '@id': `${site}/auth/iiif/logout`, id: `${site}/auth/iiif/logout`, profile: `${AUTH1}/logout`, label: 'Đăng xuất' },
      ],
    },
  ];
}

/** The Auth 2.0 probe service of an image, with its access, token and logout services. */
export function auth2Probe(site: string, imageId: string, profile: AuthProfile): Record<string, unknown> {
  const t = TEXT[profile];
  return {
    id: `${site}/auth/iiif/probe/${encodeURIComponent(imageId)}`,
    type: 'AuthProbeService2',
    // Auth 2.0 services have a `type` and no `profile`, but Mirador 4 calls `getProfile().match(…)` on
    // every service of an info.json and stops on one without: this keeps it working (2.0 clients
    // ignore the extra property).
    profile: 'AuthProbeService2',
    service: [
      {
        id: `${site}/auth/iiif/login`,
        type: 'AuthAccessService2',
        profile: profile === 'login' ? 'active' : 'kiosk',
        label: map(t.label),
        heading: map(t.header),
        note: map(t.description),
        confirmLabel: map(t.confirm),
        service: [
          { id: `${site}/auth/iiif/token2`, type: 'AuthAccessTokenService2' },
          { id: `${site}/auth/iiif/logout`, type: 'AuthLogoutService2', label: { vi: ['Đăng xuất'], en: ['Sign out'] } },
        ],
      },
    ],
  };
}

/** The inline scripts of the pages below, fixed text: the pages' CSP allows exactly these (by hash). */
const TOKEN_SCRIPT = `const d = JSON.parse(document.getElementById('m').textContent); window.parent.postMessage(d.message, d.targetOrigin);`;
const HAND_OVER_SCRIPT = `
const code = JSON.parse(document.getElementById('c').textContent).code;
const done = () => window.close();
setTimeout(done, 3000);
window.addEventListener('message', (e) => { if (e.origin === location.origin && e.data && e.data.type === 'vankho-embed-ack') done(); });
try { if (window.opener) window.opener.postMessage({ type: 'vankho-embed-grant', code }, location.origin); else done(); } catch (err) { done(); }
`;
const CLOSE_SCRIPT = 'window.close()';
/** CSP sources for those scripts (`'sha256-…'`), for script-src. */
export const AUTH_PAGE_SCRIPTS: readonly string[] = [TOKEN_SCRIPT, HAND_OVER_SCRIPT, CLOSE_SCRIPT].map(scriptSource);

/** The token service page: posts one message to the viewer that opened it in an iframe, and nothing else. */
export function tokenPage(message: Record<string, unknown>, targetOrigin: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>token</title></head><body>
<script id="m" type="application/json">${scriptJson({ message, targetOrigin })}</script>
<script>${TOKEN_SCRIPT}</script>
</body></html>`;
}

/**
 * A page that closes the window it is in (the end of the access service, as Auth 1.0 §3.1 asks). With a
 * code, it first posts it to the window that opened it when that is one of our pages (same origin
 * only), and waits (at most 3 s) for that page to say it has exchanged it.
 */
export function closeWindowPage(text: string, code: string | null = null): string {
  const handOver = code ? `<script id="c" type="application/json">${scriptJson({ code })}</script>\n<script>${HAND_OVER_SCRIPT}</script>` : `<script>${CLOSE_SCRIPT}</script>`;
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Văn Khố</title></head><body><p>${text}</p>${handOver}</body></html>`;
}

/** A viewer origin as the services accept it: scheme://host[:port], nothing else. */
export function validOrigin(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 300) return null;
  try {
    const u = new URL(raw);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== raw.replace(/\/$/, '')) return null;
    return u.origin;
  } catch {
    return null;
  }
}
