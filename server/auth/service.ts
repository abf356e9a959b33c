/**
 * Sign-in as a whole: the OIDC client (embedded provider or Keycloak), sessions, IIIF tokens, local
 * accounts and mail. The embedded provider needs the server's own URL, known once it listens:
 * `start(siteUrl, internalUrl)` is called then (main.ts, the test helper).
 */
import type { Logger } from 'pino';
import type Provider from 'oidc-provider';
import type { Config } from '../config.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { Db } from '../storage/sqlite.js';
import { Accounts } from './accounts.js';
import { embeddedProvider, loadSecrets, MOUNT } from './embedded/provider.js';
import { Mailer } from './mail.js';
import { OidcClient } from './oidc.js';
import { RateLimit } from './rate-limit.js';
import { IiifTokens, Sessions } from './sessions.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { mayGrant, type Identity, type Role } from './policy.js';
import type { Account } from './accounts.js';

export class Auth {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly iiifTokens: IiifTokens;
  readonly mailer: Mailer;
  readonly attempts: RateLimit;
  provider: Provider | null = null;
  oidc: OidcClient | null = null;
  /** The site's public base URL once started. */
  site = '';

  constructor(
    private readonly config: Config,
    private readonly db: Db,
    store: BlobStore,
    private readonly logger: Logger,
  ) {
    this.accounts = new Accounts(db);
    this.sessions = new Sessions(db, { sessionSeconds: config.auth.sessionSeconds, idleSeconds: config.auth.idleSeconds });
    this.iiifTokens = new IiifTokens(config.auth.iiifTokenSeconds);
    this.mailer = new Mailer(config.auth.mail, store, logger);
    this.attempts = new RateLimit(config.auth.attemptsPer15Min, 15 * 60_000);
  }

  /**
   * @param site public base URL (publicBaseUrl, or where the server listens)
   * @param internal where this process can be reached from itself (loopback), for the embedded provider
   */
  async start(site: string, internal: string): Promise<void> {
    this.site = site;
    const a = this.config.auth;
    if (a.provider === 'oidc') {
      this.oidc = new OidcClient({ issuer: a.issuer, clientId: a.clientId, clientSecret: a.clientSecret, audience: a.audience });
      return;
    }
    const secrets = await loadSecrets(this.config.storage.root);
    const issuer = `${site}${MOUNT}`;
    this.provider = embeddedProvider({
      issuer,
      clientId: a.clientId,
      audience: a.audience,
      redirectUris: [`${site}/auth/callback`],
      postLogoutRedirectUris: [`${site}/`],
      secrets,
      accounts: this.accounts,
      accessTokenSeconds: 300,
      db: this.db,
    });
    this.provider.on('server_error', (_ctx, err) => this.logger.error({ err }, 'embedded OpenID provider error'));
    this.oidc = new OidcClient({
      issuer,
      clientId: a.clientId,
      clientSecret: secrets.clientSecret,
      audience: a.audience,
      // The provider is this process: reach it on loopback even when `site` is the proxy's address.
      rewrite: (url) => (url.startsWith(site) ? internal + url.slice(site.length) : url),
    });
  }

  /**
   * Sets an account's roles, as the policy allows the one asking (`mayGrant`).
   * @throws UnauthorizedError, ForbiddenError, NotFoundError (no such account), BadRequestError
   */
  grantRoles(identity: Identity, email: string, roles: readonly string[], library: string | null): Account {
    if (!identity.user) throw new UnauthorizedError('sign in as library staff to grant roles');
    const account = this.accounts.findByEmail(email);
    const wanted = roles.filter((r): r is Role => ['reader', 'researcher', 'librarian', 'admin'].includes(r));
    if (account && !mayGrant(identity, account.roles, wanted, library)) throw new ForbiddenError('librarians may grant the reader and researcher roles only; staff roles are an administrator’s');
    if (!account && !identity.user.roles.some((r) => r === 'admin' || r === 'librarian')) throw new ForbiddenError('only library staff may grant roles');
    return this.accounts.setRoles(email, roles, library);
  }

  /** Mail that could not be sent after the answer went out: logged for the administrator. */
  mailFailed(err: unknown): void {
    this.logger.error({ err }, 'mail could not be sent');
  }

  /** Refreshes a session past its provider token's life, re-reading roles; false (and gone) when refused. */
  async refresh(sessionId: string): Promise<boolean> {
    const s = this.sessions.get(sessionId);
    if (!s?.refreshToken || !this.oidc) {
      this.sessions.destroy(sessionId);
      return false;
    }
    try {
      const r = await this.oidc.refresh(s.refreshToken);
      this.sessions.update(sessionId, { user: r.user, idToken: r.idToken ?? s.idToken, refreshToken: r.refreshToken ?? s.refreshToken, refreshAfter: Date.now() + r.expiresIn * 1000 });
      return true;
    } catch (err) {
      this.logger.info({ err: (err as Error).message }, 'session refresh refused: signed out');
      this.sessions.destroy(sessionId);
      return false;
    }
  }
}
