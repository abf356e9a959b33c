/**
 * Sign-in and tokens as an attacker tries them: forged and stale bearer tokens, cookies, CSRF,
 * cross-site writes, rate limits, account enumeration, open redirects, guessing identifiers; and the
 * account life of a reader: register, verify by e-mail (the outbox), sign in, reset the password.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { assert } from 'chai';
import { importJWK, SignJWT, type JWK } from 'jose';
import sharp from 'sharp';
import { sameSecret } from '../../server/auth/identity.js';
import { BrowserSession } from '../helpers/browser-session.js';
import { STAFF, startTestServer, tempDir, TEST_STAFF_KEY, type TestServer } from '../helpers/server.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('sign-in and tokens against an attacker', function () {
  let srv: TestServer;
  let key: JWK;
  const password = 'mot-mat-khau-dai';

  before(async function () {
    srv = await startTestServer({ auth: { attemptsPer15Min: 5 } });
    const dir = await tempDir();
    const file = path.join(dir, 'page.jpg');
    await sharp({ create: { width: 800, height: 600, channels: 3, background: '#336699' } }).jpeg().toFile(file);
    const put = (p: string, body: unknown) => srv.put(p, body);
    await put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await put('/api/collections/kho', { library: 'tinh', label: { vi: 'Kho' } });
    for (const [id, accessLevel] of [['dang-ky', 'registered'], ['noi-bo', 'staff']] as const) {
      await srv.add(file, `${id}-p1`);
      await put(`/api/items/${id}`, {
        collection: 'kho',
        kind: 'book',
        accessLevel,
        description: { title: { vi: `Sách ${id}` }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' },
        canvases: [{ image: `${id}-p1` }],
      });
    }
    await srv.deps.auth.accounts.upsert('doc@example.org', 'Bạn đọc', password, ['reader'], null);
    const secrets = JSON.parse(await readFile(path.join(srv.root, 'auth', 'secrets.json'), 'utf8')) as { jwks: { keys: JWK[] } };
    key = secrets.jwks.keys[0]!;
  });
  after(() => srv?.close());

  const issuer = () => `${srv.url}/oidc`;
  const mint = async (claims: Record<string, unknown>, opts: { iss?: string; aud?: string; exp?: number; nbf?: number; typ?: string } = {}) =>
    new SignJWT({ sub: 'reader-1', realm_access: { roles: ['reader'] }, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid!, typ: opts.typ ?? 'at+jwt' })
      .setIssuer(opts.iss ?? issuer())
      .setAudience(opts.aud ?? 'vankho')
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 300)
      .setNotBefore(opts.nbf ?? Math.floor(Date.now() / 1000) - 5)
      .sign(await importJWK(key, 'RS256'));
  const info = (token: string) => srv.get('/iiif/3/dang-ky-p1/info.json', { headers: { Authorization: `Bearer ${token}` } });

  it('accepts a bearer access token signed by the issuer for our audience, and refuses every forgery with 401', async function () {
    assert.strictEqual((await info(await mint({}))).status, 200, 'a valid token reads a registered item');
    const good = await mint({});
    const [h, p, s] = good.split('.') as [string, string, string];
    const forged: Record<string, string> = {
      'tampered payload (roles raised)': `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), realm_access: { roles: ['admin'] } })}.${s}`,
      'tampered signature': `${h}.${p}.${s.slice(0, -4)}AAAA`,
      expired: await mint({}, { exp: Math.floor(Date.now() / 1000) - 60 }),
      'not yet valid (nbf)': await mint({}, { nbf: Math.floor(Date.now() / 1000) + 600 }),
      'wrong audience': await mint({}, { aud: 'another-app' }),
      'wrong issuer': await mint({}, { iss: 'http://127.0.0.1:1/oidc' }),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
      // HS256 keyed with the public key (the RS/HS confusion attack): a verifier that trusts `alg` accepts it.
      'HS256 with the public key as secret': await new SignJWT(JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>)
        .setProtectedHeader({ alg: 'HS256', kid: key.kid! })
        .sign(new TextEncoder().encode(JSON.stringify({ kty: key.kty, n: key.n, e: key.e }))),
      'not a JWT': 'abc.def',
      // An ID token has our client id as `aud` too, and passes through the browser at sign-out.
      'an ID token': await mint({ nonce: 'n', email: 'doc@example.org' }, { typ: 'JWT' }),
      'staff key with a typo': `${TEST_STAFF_KEY}x`,
    };
    for (const [what, token] of Object.entries(forged)) {
      const res = await info(token);
      assert.strictEqual(res.status, 401, `${what}: refused`);
      assert.match(res.headers.get('www-authenticate') ?? '', /Bearer.*invalid_token/, `${what}: says the token is invalid (RFC 6750)`);
    }
    assert.strictEqual((await srv.get('/iiif/3/dang-ky-p1/info.json', { headers: { Authorization: 'Basic dXNlcjpwdw==' } })).status, 401, 'another scheme is refused');
  });

  it('compares the staff key in constant time and refuses keys of any other length without failing', function () {
    assert.isTrue(sameSecret(TEST_STAFF_KEY, TEST_STAFF_KEY));
    for (const wrong of ['', 'x', TEST_STAFF_KEY.slice(0, -1), `${TEST_STAFF_KEY}x`, TEST_STAFF_KEY.toUpperCase()]) assert.isFalse(sameSecret(wrong, TEST_STAFF_KEY), wrong);
    assert.isFalse(sameSecret('', ''), 'no key configured accepts nothing');
  });

  it('loopback is not staff, and writes from another site are refused even with credentials', async function () {
    const body = JSON.stringify({ name: { vi: 'Thư viện giả' } });
    const json = { 'Content-Type': 'application/json' };
    assert.strictEqual((await srv.get('/api/libraries/gia', { method: 'PUT', body, headers: json })).status, 401, 'from this machine without credentials');
    // Credentials are checked before the body is read: no parsing or validation for strangers.
    for (const junk of ['{not json', '[]', JSON.stringify({ id: 'khac' }), 'x'.repeat(2 << 20)]) {
      assert.strictEqual((await srv.get('/api/libraries/gia', { method: 'PUT', body: junk, headers: json })).status, 401, `anonymous body ${junk.slice(0, 12)}…`);
    }
    assert.strictEqual((await srv.get('/api/libraries/gia', { method: 'PUT', body, headers: { ...json, ...STAFF, Origin: 'https://evil.example' } })).status, 403, 'another Origin');
    assert.strictEqual((await srv.get('/api/libraries/gia', { method: 'PUT', body, headers: { ...json, ...STAFF, 'Sec-Fetch-Site': 'cross-site' } })).status, 403, 'Sec-Fetch-Site: cross-site');
    assert.strictEqual((await srv.get('/api/ingest?collection=kho&filename=a.jpg', { method: 'POST', body: 'x', headers: { ...STAFF, Origin: 'https://evil.example' } })).status, 403, 'a cross-origin upload');
    assert.strictEqual((await srv.get('/api/libraries/gia', { headers: STAFF })).status, 404, 'nothing was written');
  });

  it('answers a staff-only item exactly as one that does not exist', async function () {
    for (const p of ['/iiif/presentation/3/items/{id}/manifest', '/items/{id}/dc.xml', '/items/{id}/pdf', '/iiif/presentation/3/items/{id}/canvas/1/ocr/line']) {
      const hidden = await srv.get(p.replace('{id}', 'noi-bo'));
      const none = await srv.get(p.replace('{id}', 'khong-co'));
      assert.strictEqual(hidden.status, 404, p);
      assert.strictEqual((await hidden.text()).replace(/noi-bo/g, 'ID'), (await none.text()).replace(/khong-co/g, 'ID'), `${p}: same answer`);
    }
    const hidden = await srv.get('/iiif/3/noi-bo-p1/info.json');
    const none = await srv.get('/iiif/3/khong-co-p1/info.json');
    assert.strictEqual(hidden.status, 404);
    assert.strictEqual((await hidden.text()).replace(/noi-bo-p1/g, 'ID'), (await none.text()).replace(/khong-co-p1/g, 'ID'), 'image: same answer');
  });

  it('session cookie: HttpOnly, SameSite=Lax; sign-out ends it and needs the form’s CSRF token', async function () {
    const b = new BrowserSession(srv.url);
    const hops = await b.navigate('/auth/login?returnTo=/');
    const final = await b.submit(hops.at(-1)!, { email: 'doc@example.org', password });
    const setCookie = final.flatMap((h) => h.headers['set-cookie'] ?? []).find((c) => c.startsWith('vankho_session='));
    assert.ok(setCookie, 'a session cookie is set');
    assert.match(setCookie!, /httponly/i);
    assert.match(setCookie!, /samesite=lax/i);
    assert.notMatch(setCookie!, /secure/i, 'not Secure over plain HTTP (it would never come back)');
    assert.strictEqual((await b.request('GET', '/iiif/3/dang-ky-p1/info.json')).status, 200, 'signed in');
    const forged = await b.request('POST', '/auth/logout', { body: 'csrf=guess', headers: { Origin: srv.url } });
    assert.strictEqual(forged.status, 403, 'sign-out without the form’s token is refused');
    assert.strictEqual((await b.request('GET', '/iiif/3/dang-ky-p1/info.json')).status, 200, 'still signed in');
    const form = (await b.navigate('/auth/logout')).at(-1)!;
    await b.submit(form, {});
    assert.strictEqual((await b.request('GET', '/iiif/3/dang-ky-p1/info.json')).status, 401, 'signed out');
  });

  it('after sign-in, goes back only to a path on this site (no open redirect)', async function () {
    for (const target of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/items/dang-ky']) {
      const b = new BrowserSession(srv.url);
      const end = await b.signIn('doc@example.org', password, target);
      const expected = target === '/items/dang-ky' ? `${srv.url}/items/dang-ky` : `${srv.url}/`;
      assert.strictEqual(end.url, expected, `returnTo=${target}`);
    }
  });

  it('a sign-in callback not started by this browser is refused', async function () {
    const victim = new BrowserSession(srv.url);
    const start = await victim.request('GET', '/auth/login?returnTo=/');
    const state = new URL(start.headers.location!).searchParams.get('state');
    const attacker = new BrowserSession(srv.url);
    const res = await attacker.request('GET', `/auth/callback?code=stolen&state=${state}`);
    assert.strictEqual(res.status, 400);
    assert.notInclude([...attacker.cookies.keys()].join(), 'vankho_session');
  });

  it('says the same for an unknown e-mail and a wrong password, and rate-limits attempts per address', async function () {
    const s1 = new BrowserSession(srv.url);
    const unknown = await s1.signIn('khong-ai@example.org', password);
    const s2 = new BrowserSession(srv.url);
    const wrong = await s2.signIn('doc@example.org', 'sai-mat-khau-roi');
    assert.strictEqual(unknown.status, 401);
    assert.strictEqual(wrong.status, 401);
    const message = (h: { body: string }) => /role="alert">([^<]*)</.exec(h.body)?.[1];
    assert.strictEqual(message(unknown), message(wrong), 'one message for both');
    // attemptsPer15Min is 5 on this server: two used above.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await new BrowserSession(srv.url).signIn('doc@example.org', `sai-${i}-mat-khau`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    const b = new BrowserSession(srv.url);
    const hops = await b.navigate('/auth/login');
    const limited = (await b.submit(hops.at(-1)!, { email: 'doc@example.org', password })).at(-1)!;
    assert.strictEqual(limited.status, 429, 'even the right password waits');
    assert.match(String(limited.headers['retry-after']), /^\d+$/);
  });
});

describe('a reader’s library card account: register, verify, reset', function () {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv?.close());

  const linkIn = (mail: string, path: string) => new RegExp(`(https?://[^\\s]+${path.replace(/\//g, '\\/')}\\?token=[A-Za-z0-9_-]+)`).exec(mail)?.[1];

  it('registers online, verifies the e-mail from the outbox, signs in; a second registration of the address reveals nothing', async function () {
    const b = new BrowserSession(srv.url);
    const form = (await b.navigate('/account/register')).at(-1)!;
    assert.strictEqual(form.status, 200);
    const missingCsrf = await b.request('POST', '/account/register', { body: 'name=A&email=a%40example.org&password=mot-mat-khau-dai', headers: { Origin: srv.url } });
    assert.strictEqual(missingCsrf.status, 403, 'a form without its CSRF token is refused');
    const done = (await b.submit(form, { name: 'Nguyễn Văn A', email: 'a@example.org', password: 'mot-mat-khau-dai' })).at(-1)!;
    assert.strictEqual(done.status, 200);
    const early = await new BrowserSession(srv.url).signIn('a@example.org', 'mot-mat-khau-dai');
    assert.strictEqual(early.status, 403, 'not before the e-mail is confirmed');
    const outbox = await srv.deps.auth.mailer.outbox();
    const link = linkIn(outbox.at(-1)!, '/account/verify');
    assert.ok(link, `the verification mail has a link: ${outbox.at(-1)}`);
    const confirm = (await b.navigate(new URL(link!).pathname + new URL(link!).search)).at(-1)!;
    assert.strictEqual(confirm.status, 200);
    // Confirming sets the password: whoever registered the address first does not keep the account.
    assert.strictEqual((await b.submit(confirm, { password: 'mat-khau-cua-chu-that' })).at(-1)!.status, 200);
    assert.strictEqual((await b.submit(confirm, { password: 'lan-thu-hai-dai-du' })).at(-1)!.status, 400, 'a link works once');
    assert.strictEqual((await new BrowserSession(srv.url).signIn('a@example.org', 'mot-mat-khau-dai')).status, 401, 'the password given at registration no longer works');
    const signed = await new BrowserSession(srv.url).signIn('a@example.org', 'mat-khau-cua-chu-that');
    assert.strictEqual(signed.status, 200);
    assert.include(signed.body, 'Nguyễn Văn A');
    const again = new BrowserSession(srv.url);
    const repeat = (await again.submit((await again.navigate('/account/register')).at(-1)!, { name: 'X', email: 'a@example.org', password: 'khac-mat-khau-dai' })).at(-1)!;
    assert.strictEqual(repeat.body.replace(/<input[^>]*>/g, ''), done.body.replace(/<input[^>]*>/g, ''), 'the page says the same whether the address had an account');
    assert.strictEqual(srv.deps.auth.accounts.list().length, 1);
  });

  it('resets a forgotten password by a one-time link; unknown addresses get the same answer', async function () {
    await srv.deps.auth.accounts.upsert('b@example.org', 'Trần Thị B', 'mat-khau-cu-dai', ['reader'], null);
    const b = new BrowserSession(srv.url);
    const known = (await b.submit((await b.navigate('/account/reset')).at(-1)!, { email: 'b@example.org' })).at(-1)!;
    const c = new BrowserSession(srv.url);
    const unknown = (await c.submit((await c.navigate('/account/reset')).at(-1)!, { email: 'khong-co@example.org' })).at(-1)!;
    assert.strictEqual(known.body, unknown.body);
    // The mail goes out after the answer (so the answer takes as long for unknown addresses): wait for it.
    let link: string | undefined;
    for (let i = 0; i < 50 && !link; i++) {
      link = linkIn((await srv.deps.auth.mailer.outbox()).at(-1) ?? '', '/account/reset/confirm');
      if (!link) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(link);
    const form = (await b.navigate(new URL(link!).pathname + new URL(link!).search)).at(-1)!;
    assert.strictEqual((await b.submit(form, { password: 'mat-khau-moi-dai' })).at(-1)!.status, 200);
    assert.strictEqual((await new BrowserSession(srv.url).signIn('b@example.org', 'mat-khau-cu-dai')).status, 401, 'the old password no longer works');
    assert.strictEqual((await new BrowserSession(srv.url).signIn('b@example.org', 'mat-khau-moi-dai')).status, 200);
    assert.strictEqual((await b.submit(form, { password: 'lan-nua-mat-khau' })).at(-1)!.status, 400, 'the link works once');
  });
});


describe('granting roles over the staff API', function () {
  let srv: TestServer;
  const password = 'mot-mat-khau-dai';
  before(async () => {
    srv = await startTestServer();
    const put = (p: string, body: unknown) => srv.put(p, body);
    await put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    const a = srv.deps.auth.accounts;
    await a.upsert('doc@example.org', 'Bạn đọc', password, ['reader'], null);
    await a.upsert('thu-thu@example.org', 'Thủ thư', password, ['librarian'], 'tinh');
    await a.upsert('dong-nghiep@example.org', 'Đồng nghiệp', password, ['librarian'], 'tinh');
  });
  after(() => srv?.close());

  const grant = (b: BrowserSession, body: unknown) => b.request('PUT', '/api/accounts/roles', { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', Origin: srv.url } });

  it('a librarian makes a reader a researcher, but cannot grant or take staff roles; a reader grants nothing', async function () {
    const librarian = new BrowserSession(srv.url);
    await librarian.signIn('thu-thu@example.org', password);
    const ok = await grant(librarian, { email: 'doc@example.org', roles: ['reader', 'researcher'] });
    assert.strictEqual(ok.status, 200, ok.body);
    assert.deepEqual(srv.deps.auth.accounts.findByEmail('doc@example.org')!.roles, ['reader', 'researcher']);
    assert.strictEqual((await grant(librarian, { email: 'doc@example.org', roles: ['admin'] })).status, 403, 'no admin by a librarian');
    assert.strictEqual((await grant(librarian, { email: 'dong-nghiep@example.org', roles: ['reader'] })).status, 403, 'no demoting staff');
    assert.strictEqual((await grant(librarian, { email: 'doc@example.org', roles: ['wizard'] })).status, 400, 'an unknown role is a bad request');
    const reader = new BrowserSession(srv.url);
    await reader.signIn('doc@example.org', password);
    assert.strictEqual((await grant(reader, { email: 'doc@example.org', roles: ['researcher', 'admin'] })).status, 403, 'nobody raises themselves');
    assert.strictEqual((await grant(new BrowserSession(srv.url), { email: 'doc@example.org', roles: ['reader'] })).status, 401);
    const admin = await srv.get('/api/accounts/roles', { method: 'PUT', body: JSON.stringify({ email: 'doc@example.org', roles: ['librarian'], library: 'tinh' }), headers: { 'Content-Type': 'application/json', ...STAFF } });
    assert.strictEqual(admin.status, 200, 'an administrator grants staff roles');
  });
});

describe('sessions refresh against the provider and re-read roles', function () {
  let srv: TestServer;
  const password = 'mot-mat-khau-dai';
  before(async () => {
    srv = await startTestServer({ access: { unattachedImages: 'staff' } });
    const file = path.join(await tempDir(), 'page.jpg');
    await sharp({ create: { width: 600, height: 400, channels: 3, background: '#556677' } }).jpeg().toFile(file);
    const put = (p: string, body: unknown) => srv.put(p, body);
    await put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await put('/api/collections/kho', { library: 'tinh', label: { vi: 'Kho' } });
    await srv.add(file, 'nc-p1');
    await put('/api/items/nc', { collection: 'kho', kind: 'book', accessLevel: 'researcher', description: { title: { vi: 'Nghiên cứu' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' }, canvases: [{ image: 'nc-p1' }] });
    await srv.deps.auth.accounts.upsert('doc@example.org', 'Bạn đọc', password, ['reader'], null);
  });
  after(() => srv?.close());

  it('a role granted after sign-in applies at the next refresh (refresh token grant), and a refused refresh signs out', async function () {
    const b = new BrowserSession(srv.url);
    await b.signIn('doc@example.org', password);
    const sid = b.cookies.get(`${new URL(srv.url).host}|vankho_session`)!;
    const expire = () => srv.deps.auth.sessions.update(sid, { ...srv.deps.auth.sessions.get(sid)!, refreshAfter: 0 });
    assert.strictEqual((await b.request('GET', '/iiif/3/nc-p1/info.json')).status, 403, 'a reader is not a researcher');
    srv.deps.auth.accounts.setRoles('doc@example.org', ['reader', 'researcher'], null);
    assert.strictEqual((await b.request('GET', '/iiif/3/nc-p1/info.json')).status, 403, 'roles are those of the sign-in until the provider is asked again');
    expire();
    assert.strictEqual((await b.request('GET', '/iiif/3/nc-p1/info.json')).status, 200, 'refreshed: the new role applies');
    assert.isAbove(srv.deps.auth.sessions.get(sid)!.refreshAfter, Date.now(), 'the session got a new access token life');
    // The refresh token is revoked at the provider (as when an account is closed): the session ends.
    const session = srv.deps.auth.sessions.get(sid)!;
    srv.deps.auth.sessions.update(sid, { ...session, refreshToken: 'revoked-or-forged', refreshAfter: 0 });
    assert.strictEqual((await b.request('GET', '/iiif/3/nc-p1/info.json')).status, 401, 'a refused refresh signs out');
    assert.isNull(srv.deps.auth.sessions.get(sid));
  });
});

describe('the sign-in limit holds against parallel attempts', function () {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ auth: { attemptsPer15Min: 3 } });
    await srv.deps.auth.accounts.upsert('doc@example.org', 'Bạn đọc', 'mot-mat-khau-dai', ['reader'], null);
  });
  after(() => srv?.close());

  it('ten wrong passwords sent at once: at most three are checked, the rest get 429', async function () {
    const sessions = Array.from({ length: 10 }, () => new BrowserSession(srv.url));
    const forms = await Promise.all(sessions.map(async (b) => (await b.navigate('/auth/login')).at(-1)!));
    const results = await Promise.all(sessions.map(async (b, i) => (await b.submit(forms[i]!, { email: 'doc@example.org', password: `sai-mat-khau-${i}` })).at(-1)!.status));
    assert.strictEqual(results.filter((s) => s === 401).length, 3, results.join(','));
    assert.strictEqual(results.filter((s) => s === 429).length, 7);
  });
});
