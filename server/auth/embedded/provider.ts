/**
 * The embedded OpenID provider: oidc-provider 8.x (Koa 2 inside, mounted under our Koa 3 app through
 * `provider.callback()` at /oidc), with the local accounts of `auth/accounts.ts`. It issues what Keycloak
 * issues — JWT access tokens for the audience `auth.audience`, roles in `realm_access.roles`, the
 * librarian's library in `library` — so that one client (`auth/oidc.ts`) and one token check serve both.
 *
 * Why 8.x: 9.x is written for Koa 3 but supports only Node 22+ (it warns on Node 20, our runtime); 8.x
 * runs as its own Koa 2 application, which we mount by path and never mix with our middleware.
 *
 * Signing keys, cookie keys and the client secret are made on first start and kept in
 * `storage/auth/secrets.json` (mode 0600). Provider state (grants, codes, refresh tokens) is in the
 * catalogue database (adapter.ts): a restart signs nobody out.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Accounts } from '../accounts.js';
import type { Db } from '../../storage/sqlite.js';
import { scriptSource } from '../../http/security-headers.js';
import { sqliteAdapter } from './adapter.js';

export interface EmbeddedSecrets {
  readonly jwks: { keys: JWK[] };
  readonly cookieKeys: string[];
  readonly clientSecret: string;
}

export async function loadSecrets(storageRoot: string): Promise<EmbeddedSecrets> {
  const file = path.join(storageRoot, 'auth', 'secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as EmbeddedSecrets;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
  const secrets: EmbeddedSecrets = { jwks: { keys: [jwk] }, cookieKeys: [randomBytes(32).toString('base64url')], clientSecret: randomBytes(32).toString('base64url') };
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(secrets), { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return JSON.parse(await readFile(file, 'utf8')) as EmbeddedSecrets;
}

export interface EmbeddedOptions {
  /** e.g. https://thuvien.example.vn/oidc */
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string;
  readonly redirectUris: string[];
  readonly postLogoutRedirectUris: string[];
  readonly secrets: EmbeddedSecrets;
  readonly accounts: Accounts;
  /** Seconds an access token lives (the session refreshes after it, re-reading roles). */
  readonly accessTokenSeconds: number;
  /** Where the provider keeps its state. */
  readonly db: Db;
}

export const MOUNT = '/oidc';

export function embeddedProvider(opts: EmbeddedOptions): Provider {
  const claimsOf = (accountId: string) => {
    const a = opts.accounts.get(accountId);
    if (!a) return undefined;
    return {
      sub: a.id,
      email: a.email,
      email_verified: a.emailVerified,
      name: a.name,
      realm_access: { roles: [...a.roles] },
      ...(a.library ? { library: a.library } : {}),
    };
  };
  const configuration: Configuration = {
    adapter: sqliteAdapter(opts.db),
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.secrets.clientSecret,
        redirect_uris: opts.redirectUris,
        post_logout_redirect_uris: opts.postLogoutRedirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: opts.secrets.jwks as Configuration['jwks'],
    cookies: { keys: opts.secrets.cookieKeys },
    pkce: { required: () => true, methods: ['S256'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'roles'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'], roles: ['realm_access', 'library'] },
    // Roles travel in the ID token as they do with Keycloak.
    conformIdTokenClaims: false,
    async findAccount(_ctx, id) {
      const claims = claimsOf(id);
      return claims ? { accountId: id, claims: () => claims } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `${MOUNT}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource: logoutSource },
      // JWT access tokens for our own API audience, verifiable against the JWKS like Keycloak's.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => `urn:${opts.audience}`,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'openid profile email roles offline_access',
          audience: opts.audience,
          accessTokenTTL: opts.accessTokenSeconds,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // Roles and library in the access token too, read by the bearer-token check.
    extraTokenClaims(_ctx, token) {
      const accountId = (token as { accountId?: string }).accountId;
      const claims = accountId ? claimsOf(accountId) : undefined;
      return claims ? { realm_access: claims.realm_access, ...(claims.library ? { library: claims.library } : {}), name: claims.name } : {};
    },
    // Our own site is the only client: no consent screen (the reader signed in to it).
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid offline_access profile email roles');
      grant.addResourceScope(`urn:${opts.audience}`, 'openid profile email roles offline_access');
      await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: opts.accessTokenSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
    },
    renderError(ctx, out) {
      ctx.type = 'text/html; charset=utf-8';
      const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      ctx.body = `<!doctype html><html lang="vi"><meta charset="utf-8"><title>Lỗi đăng nhập · Văn Khố</title><h1>Lỗi đăng nhập</h1><p>${esc(out.error)}: ${esc(out.error_description)}</p><p><a href="/">Văn Khố</a></p></html>`;
    },
  };
  const provider = new Provider(opts.issuer, configuration);
  // X-Forwarded-* reach us only from trusted proxies (others' are stripped at the door: http/client-address.ts).
  provider.proxy = true;
  return provider;
}

const SUBMIT_SCRIPT = 'document.forms[0].submit()';
/** The sign-out page's policy: its one script, allowed by hash (http/security-headers.ts sets no other on it). */
const LOGOUT_CSP = `default-src 'self'; script-src ${scriptSource(SUBMIT_SCRIPT)}; form-action 'self'; frame-ancestors 'self'; object-src 'none'; base-uri 'self'`;

async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  // Sign-out needs no question: the form is posted at once (it carries the provider's own CSRF token).
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', LOGOUT_CSP);
  ctx.body = `<!doctype html><html lang="vi"><meta charset="utf-8"><title>Đăng xuất · Văn Khố</title><body>${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}<script>${SUBMIT_SCRIPT}</script><noscript><p>Bấm để đăng xuất.</p></noscript></body></html>`;
}

/** Hands a request under /oidc to the provider, as Express would with app.use('/oidc', callback). */
export function mountHandler(provider: Provider): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const callback = provider.callback();
  return (req, res) => {
    const original = req.url ?? '/';
    (req as http.IncomingMessage & { originalUrl?: string; baseUrl?: string }).originalUrl = original;
    (req as http.IncomingMessage & { baseUrl?: string }).baseUrl = MOUNT;
    req.url = original.slice(MOUNT.length) || '/';
    callback(req, res);
  };
}
