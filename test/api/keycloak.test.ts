/**
 * Sign-in through a real Keycloak (opt-in): the same server code as with the embedded provider
 * (server/auth/oidc.ts), against Keycloak's own login form and tokens, with the realm of
 * config/keycloak/realm.json. It checks what the embedded suites check for roles — a registered item
 * readable once signed in, a researcher-only item refused to a reader (403) and open to a researcher, a
 * librarian's staff writes allowed for their own library only — and that Keycloak's access tokens are
 * accepted as bearer tokens on info.json while a tampered one is refused (401). It also checks the realm:
 * `vankho` in the access token's `aud`, roles in `realm_access.roles`, the `library` claim.
 *
 * NOT RUN HERE: no container engine and no Keycloak distribution on the development machines, so this
 * file has never run against a live Keycloak. Without the variables below it reports as pending.
 *
 * To run it (docs/access.md#testing-against-keycloak): start Keycloak 26 with the realm imported, e.g.
 *   docker compose run --rm --service-ports -e KC_HOSTNAME=http://localhost:8081 -e KC_BOOTSTRAP_ADMIN_PASSWORD=… keycloak
 * create three users (e-mail verified, first and last name, a non-temporary password): one with the
 * role reader only, one with researcher, one with librarian and the attribute `library`; then
 *   VANKHO_TEST_KEYCLOAK_URL=http://localhost:8081/realms/vankho \
 *   VANKHO_TEST_KEYCLOAK_CLIENT_SECRET=… \
 *   VANKHO_TEST_KEYCLOAK_READER=ban-doc:password VANKHO_TEST_KEYCLOAK_RESEARCHER=nghien-cuu:password \
 *   VANKHO_TEST_KEYCLOAK_LIBRARIAN=thu-thu:password VANKHO_TEST_KEYCLOAK_LIBRARY=kc-thu-vien \
 *   npx mocha test/api/keycloak.test.ts
 * Keycloak must speak plain HTTP here (BrowserSession uses node:http), and its issuer must be the URL
 * given (KC_HOSTNAME). The test server listens on 127.0.0.1 on a free port: the realm's redirect URI
 * `http://127.0.0.1/auth/callback` admits any port there (Keycloak's loopback rule, RFC 8252 §7.3).
 */
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { assert } from 'chai';
import * as client from 'openid-client';
import sharp from 'sharp';
import { BrowserSession, type Hop } from '../helpers/browser-session.js';
import { STAFF, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const env = process.env;
const REQUIRED = ['VANKHO_TEST_KEYCLOAK_URL', 'VANKHO_TEST_KEYCLOAK_CLIENT_SECRET', 'VANKHO_TEST_KEYCLOAK_READER', 'VANKHO_TEST_KEYCLOAK_RESEARCHER', 'VANKHO_TEST_KEYCLOAK_LIBRARIAN'];
const missing = REQUIRED.filter((v) => !env[v]);
const suite = missing.length > 0 ? describe.skip : describe;
const title =
  missing.length > 0
    ? `sign-in through Keycloak — SKIPPED: set ${missing.join(', ')} (docs/access.md#testing-against-keycloak; no Keycloak runs on the development machines)`
    : 'sign-in through Keycloak';

const credentials = (name: string): { username: string; password: string } => {
  const raw = env[name] ?? '';
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new Error(`${name} must be username:password`);
  return { username: raw.slice(0, colon), password: raw.slice(colon + 1) };
};

/** Keycloak's login page: `<form id="kc-form-login" … action="…" method="post">` with username and password. */
function keycloakLoginForm(page: Hop): { action: string; hidden: [string, string][] } | null {
  const form = /<form\b([^>]*\bid="kc-form-login"[^>]*)>([\s\S]*?)<\/form>/i.exec(page.body);
  if (!form) return null;
  const action = /\baction="([^"]*)"/i.exec(form[1]!)?.[1];
  if (!action) return null;
  const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag)?.[1];
  const hidden: [string, string][] = [];
  for (const [tag] of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(tag, 'name');
    if (attr(tag, 'type')?.toLowerCase() === 'hidden' && name) hidden.push([unescapeHtml(name), unescapeHtml(attr(tag, 'value') ?? '')]);
  }
  return { action: new URL(unescapeHtml(action), page.url).href, hidden };
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** What Keycloak showed instead of going on (a wrong password, a required action such as "verify e-mail"). */
const describePage = (h: Hop) => `${h.status} ${h.url}: ${(/<title>([\s\S]*?)<\/title>/i.exec(h.body)?.[1] ?? '').trim()} ${(/id="input-error[^"]*"[^>]*>([\s\S]*?)</i.exec(h.body)?.[1] ?? /class="[^"]*(?:alert|kc-feedback-text)[^"]*"[^>]*>([\s\S]*?)</i.exec(h.body)?.[1] ?? '').trim()}`;

/** Posts Keycloak's login form on this page; the hops that follow, redirects followed. */
async function postLogin(b: BrowserSession, page: Hop, who: { username: string; password: string }): Promise<Hop[]> {
  const form = keycloakLoginForm(page);
  if (!form) throw new Error(`no Keycloak login form (id="kc-form-login") on ${describePage(page)}`);
  const body = new URLSearchParams([...form.hidden, ['username', who.username], ['password', who.password]]).toString();
  return b.navigate(form.action, { method: 'POST', body, headers: { Origin: new URL(page.url).origin } });
}

suite(title, function () {
  this.timeout(120_000);
  const issuer = (env.VANKHO_TEST_KEYCLOAK_URL ?? '').replace(/\/+$/, '');
  const clientSecret = env.VANKHO_TEST_KEYCLOAK_CLIENT_SECRET ?? '';
  const library = env.VANKHO_TEST_KEYCLOAK_LIBRARY || 'kc-thu-vien';
  let srv: TestServer;
  const as = {} as Record<'anonymous' | 'reader' | 'researcher' | 'librarian', BrowserSession>;
  const users = {} as Record<'reader' | 'researcher' | 'librarian', { username: string; password: string }>;

  /** Signs in through /auth/login and Keycloak's form; returns the last hop (on our site). */
  const signIn = async (b: BrowserSession, who: { username: string; password: string }, returnTo = '/'): Promise<Hop> => {
    const hops = await b.navigate(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    const page = hops.at(-1)!;
    assert.strictEqual(new URL(page.url).origin, new URL(issuer).origin, `sent to Keycloak: ${describePage(page)}`);
    const end = (await postLogin(b, page, who)).at(-1)!;
    assert.strictEqual(new URL(end.url).origin, srv.url, `${who.username} comes back to Văn Khố signed in; Keycloak showed ${describePage(end)}`);
    return end;
  };

  before(async function () {
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`).catch((err: Error) => err);
    if (discovery instanceof Error || !discovery.ok) assert.fail(`Keycloak does not answer at ${issuer}: ${discovery instanceof Error ? discovery.message : discovery.status}`);
    const meta = (await discovery.json()) as { issuer: string };
    assert.strictEqual(meta.issuer, issuer, 'Keycloak’s issuer is the URL given (set KC_HOSTNAME to its origin)');
    users.reader = credentials('VANKHO_TEST_KEYCLOAK_READER');
    users.researcher = credentials('VANKHO_TEST_KEYCLOAK_RESEARCHER');
    users.librarian = credentials('VANKHO_TEST_KEYCLOAK_LIBRARIAN');

    srv = await startTestServer({ auth: { provider: 'oidc', issuer, clientId: 'vankho', clientSecret } });
    const dir = await tempDir();
    const file = path.join(dir, 'page.jpg');
    await sharp({ create: { width: 800, height: 600, channels: 3, background: '#6b4f2a' } }).jpeg().toFile(file);
    const put = (p: string, body: unknown) => srv.put(p, body);
    await put(`/api/libraries/${library}`, { name: { vi: 'Thư viện của thủ thư' } });
    await put('/api/libraries/kc-khac', { name: { vi: 'Thư viện khác' } });
    await put('/api/collections/kc-kho', { library, label: { vi: 'Kho' } });
    await put('/api/collections/kc-kho-khac', { library: 'kc-khac', label: { vi: 'Kho khác' } });
    for (const [id, collection, accessLevel] of [
      ['kc-dang-ky', 'kc-kho', 'registered'],
      ['kc-nghien-cuu', 'kc-kho', 'researcher'],
      ['kc-khac-muc', 'kc-kho-khac', 'public'],
    ] as const) {
      await srv.add(file, `${id}-p1`);
      await put(`/api/items/${id}`, {
        collection,
        kind: 'book',
        accessLevel,
        description: { title: { vi: `Sách ${id}` }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' },
        canvases: [{ image: `${id}-p1` }],
      });
    }
    as.anonymous = new BrowserSession(srv.url);
    for (const who of ['reader', 'researcher', 'librarian'] as const) {
      as[who] = new BrowserSession(srv.url);
      await signIn(as[who], users[who]);
    }
  });
  after(() => srv?.close());

  const status = async (who: keyof typeof as, p: string) => (await as[who].request('GET', p)).status;

  it('a registered item: 401 anonymously, readable by every signed-in reader', async function () {
    assert.strictEqual(await status('anonymous', '/iiif/3/kc-dang-ky-p1/info.json'), 401);
    for (const who of ['reader', 'researcher', 'librarian'] as const) {
      assert.strictEqual(await status(who, '/iiif/3/kc-dang-ky-p1/info.json'), 200, `${who}: info.json`);
      assert.strictEqual(await status(who, '/iiif/3/kc-dang-ky-p1/full/max/0/default.jpg'), 200, `${who}: the full image`);
    }
  });

  it('a researcher-only item: 403 to a reader, open to a researcher', async function () {
    assert.strictEqual(await status('anonymous', '/iiif/3/kc-nghien-cuu-p1/info.json'), 401);
    assert.strictEqual(await status('reader', '/iiif/3/kc-nghien-cuu-p1/info.json'), 403, 'reader');
    assert.strictEqual(await status('reader', '/items/kc-nghien-cuu/pdf'), 403, 'reader: PDF');
    assert.strictEqual(await status('researcher', '/iiif/3/kc-nghien-cuu-p1/info.json'), 200, 'researcher');
    assert.strictEqual(await status('librarian', '/iiif/3/kc-nghien-cuu-p1/info.json'), 200, 'the librarian of the item’s library (staff)');
  });

  it('a librarian writes to their own library only; readers write nothing', async function () {
    const write = async (who: keyof typeof as, id: string) => {
      const stored = (await (await srv.get(`/api/items/${id}`, { headers: STAFF })).json()) as Record<string, unknown> & { canvases: { image: string }[] };
      const { collection, kind, accessLevel, embargoUntil, description, structures } = stored;
      const body = JSON.stringify({ collection, kind, accessLevel, embargoUntil, description, structures, canvases: stored.canvases.map((c) => ({ image: c.image })) });
      return (await as[who].request('PUT', `/api/items/${id}`, { body, headers: { 'Content-Type': 'application/json', Origin: srv.url } })).status;
    };
    assert.strictEqual(await write('librarian', 'kc-dang-ky'), 200, `librarian of ${library}: an item of ${library}`);
    assert.strictEqual(await write('librarian', 'kc-khac-muc'), 403, 'librarian: an item of another library');
    assert.strictEqual(await write('reader', 'kc-dang-ky'), 403, 'reader');
    assert.strictEqual(await write('researcher', 'kc-dang-ky'), 403, 'researcher');
    assert.strictEqual(await write('anonymous', 'kc-dang-ky'), 401, 'anonymous');
    assert.strictEqual(await status('librarian', '/api/items/kc-dang-ky'), 200, 'librarian: the staff record of their item');
    assert.strictEqual(await status('librarian', '/api/items/kc-khac-muc'), 403, 'librarian: not another library’s');
  });

  describe('bearer access tokens from Keycloak', function () {
    let config: client.Configuration;
    const tokens = {} as Record<'reader' | 'researcher' | 'librarian', string>;

    /** An authorization-code flow run by the test as the client (the realm allows no password grant). */
    const accessToken = async (who: { username: string; password: string }): Promise<string> => {
      const redirectUri = `${srv.url}/auth/callback`;
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const b = new BrowserSession(srv.url);
      let hop = await b.request('GET', url.href);
      for (let i = 0; i < 10; i++) {
        const location = hop.headers.location ? new URL(hop.headers.location, hop.url).href : null;
        if (location?.startsWith(`${redirectUri}?`)) {
          const got = await client.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: verifier, expectedState: state });
          return got.access_token;
        }
        if (location) hop = await b.request('GET', location);
        else if (keycloakLoginForm(hop)) {
          const form = keycloakLoginForm(hop)!;
          const body = new URLSearchParams([...form.hidden, ['username', who.username], ['password', who.password]]).toString();
          hop = await b.request('POST', form.action, { body, headers: { Origin: new URL(hop.url).origin } });
        } else break;
      }
      throw new Error(`no authorization code for ${who.username}; Keycloak showed ${describePage(hop)}`);
    };

    before(async function () {
      config = await client.discovery(new URL(issuer), 'vankho', clientSecret, client.ClientSecretBasic(clientSecret), {
        execute: issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
      });
      for (const who of ['reader', 'researcher', 'librarian'] as const) tokens[who] = await accessToken(users[who]);
    });

    const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const info = (id: string, token: string) => srv.get(`/iiif/3/${id}/info.json`, { headers: { Authorization: `Bearer ${token}` } });

    it('carry what the realm promises: aud vankho, realm_access.roles, the library claim', function () {
      for (const who of ['reader', 'researcher', 'librarian'] as const) {
        const c = claims(tokens[who]);
        assert.strictEqual(c.iss, issuer, `${who}: iss`);
        assert.include(([] as unknown[]).concat(c.aud), 'vankho', `${who}: aud (the audience mapper)`);
        assert.include((c.realm_access as { roles?: string[] } | undefined)?.roles ?? [], 'reader', `${who}: the default role reader`);
      }
      assert.include((claims(tokens.researcher).realm_access as { roles: string[] }).roles, 'researcher');
      assert.notInclude((claims(tokens.reader).realm_access as { roles: string[] }).roles, 'researcher', 'the reader test user has no researcher role');
      assert.strictEqual(claims(tokens.librarian).library, library, 'the librarian’s library attribute is in the token');
    });

    it('are accepted on info.json with the roles they carry', async function () {
      assert.strictEqual((await info('kc-dang-ky-p1', tokens.reader)).status, 200, 'reader: registered item');
      assert.strictEqual((await info('kc-nghien-cuu-p1', tokens.reader)).status, 403, 'reader: researcher item');
      assert.strictEqual((await info('kc-nghien-cuu-p1', tokens.researcher)).status, 200, 'researcher: researcher item');
      const staffRead = (id: string, token: string) => srv.get(`/api/items/${id}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.strictEqual((await staffRead('kc-dang-ky', tokens.librarian)).status, 200, 'librarian: the staff record of their library’s item');
      assert.strictEqual((await staffRead('kc-khac-muc', tokens.librarian)).status, 403, 'librarian: not another library’s');
      assert.strictEqual((await staffRead('kc-dang-ky', tokens.reader)).status, 403, 'reader: no staff record');
    });

    it('refuses a tampered token with 401', async function () {
      const [h, p, s] = tokens.reader.split('.') as [string, string, string];
      const raised = Buffer.from(JSON.stringify({ ...claims(tokens.reader), realm_access: { roles: ['reader', 'researcher', 'admin'] } })).toString('base64url');
      for (const [what, token] of [
        ['roles raised in the payload', `${h}.${raised}.${s}`],
        ['signature altered', `${h}.${p}.${s.slice(0, -6)}AAAAAA`],
        ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${raised}.`],
      ] as const) {
        const res = await info('kc-nghien-cuu-p1', token);
        assert.strictEqual(res.status, 401, what);
        assert.match(res.headers.get('www-authenticate') ?? '', /Bearer.*invalid_token/, `${what}: says the token is invalid`);
      }
    });
  });
});
