/**
 * Signed-in sessions of the web site (cookie `vankho_session`, HttpOnly, SameSite=Lax, Secure behind
 * TLS): what the OpenID provider said of the user at sign-in, and the refresh token that lets us ask again.
 * Stored hashed by session id in the catalogue database, with an absolute and an idle expiry.
 *
 * IIIF Authorization access tokens are kept in memory: short-lived, bound to the origin of the viewer
 * that asked, and issued only to a signed-in session (or the reading room).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../storage/sqlite.js';
import type { Identity, User } from './policy.js';

export interface SessionData {
  readonly user: User;
  readonly idToken: string | null;
  readonly refreshToken: string | null;
  /** When the provider's access token ends (ms): the session is refreshed after that, re-reading roles. */
  readonly refreshAfter: number;
}

const hash = (t: string) => createHash('sha256').update(t).digest('hex');

export class Sessions {
  constructor(
    private readonly db: Db,
    private readonly opts: { sessionSeconds: number; idleSeconds: number },
  ) {}

  create(data: SessionData): string {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    this.db
      .prepare('INSERT INTO sessions (hash, data, expires_at, idle_until) VALUES (?, ?, ?, ?)')
      .run(hash(id), JSON.stringify(data), new Date(now + this.opts.sessionSeconds * 1000).toISOString(), new Date(now + this.opts.idleSeconds * 1000).toISOString());
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ? OR idle_until < ?').run(new Date(now).toISOString(), new Date(now).toISOString());
    return id;
  }

  /** The session, its idle time renewed; null when unknown or expired. */
  get(id: string): SessionData | null {
    const now = new Date().toISOString();
    const row = this.db.prepare('SELECT data, expires_at, idle_until FROM sessions WHERE hash = ?').get(hash(id)) as { data: string; expires_at: string; idle_until: string } | undefined;
    if (!row) return null;
    if (row.expires_at < now || row.idle_until < now) {
      this.destroy(id);
      return null;
    }
    // Extending the idle time may wait for no one: while another process holds the database for writing
    // (`vankho reindex`), the reader is served and the session keeps its old idle time.
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.prepare('UPDATE sessions SET idle_until = ? WHERE hash = ?').run(new Date(Date.now() + this.opts.idleSeconds * 1000).toISOString(), hash(id));
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    } finally {
      this.db.pragma('busy_timeout = 5000');
    }
    return JSON.parse(row.data) as SessionData;
  }

  update(id: string, data: SessionData): void {
    this.db.prepare('UPDATE sessions SET data = ? WHERE hash = ?').run(JSON.stringify(data), hash(id));
  }

  destroy(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE hash = ?').run(hash(id));
  }
}

interface IiifToken {
  readonly identity: Identity;
  readonly origin: string;
  readonly expires: number;
  /** The session it was issued from (null: a reading-room kiosk token, valid only from the room). */
  readonly sessionId: string | null;
}

/** IIIF Authorization access tokens (Auth 1.0 and 2.0 token services): opaque, short-lived, origin-bound. */
export class IiifTokens {
  private readonly tokens = new Map<string, IiifToken>();

  constructor(private readonly seconds: number) {}

  issue(identity: Identity, origin: string, sessionId: string | null): { token: string; expiresIn: number } {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    for (const [k, v] of this.tokens) if (v.expires < now) this.tokens.delete(k);
    this.tokens.set(hash(token), { identity, origin, expires: now + this.seconds * 1000, sessionId });
    return { token, expiresIn: this.seconds };
  }

  /**
   * The identity a token stands for, when it is known, unexpired and used from the origin it was issued
   * to (a browser sends Origin on the viewer's cross-origin requests; a same-origin GET may omit it).
   */
  resolve(token: string, origin: string | null): { identity: Identity; sessionId: string | null } | null {
    const t = this.tokens.get(hash(token));
    if (!t || t.expires < Date.now()) return null;
    if (origin !== null && origin !== t.origin) return null;
    return { identity: t.identity, sessionId: t.sessionId };
  }

  /** Ends every token of a user (logout). */
  revokeUser(userId: string): void {
    for (const [k, v] of this.tokens) if (v.identity.user?.id === userId) this.tokens.delete(k);
  }
}
