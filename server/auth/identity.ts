/**
 * Who is asking, decided once per request at the edge (`ctx.state.identity`), from, in order:
 * 1. `Authorization: Bearer …`: the staff key (an administrator; compared in constant time), a IIIF
 *    Authorization access token (bound to the viewer's origin), or an OIDC access token (a JWT checked
 *    against the issuer's JWKS). A bearer that is none of these is refused with 401 — never silently
 *    treated as anonymous, so a client learns that its token expired.
 * 2. the session cookie of the web site;
 * 3. otherwise anonymous. The reading-room flag comes from the client address (after trustProxy).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { UnauthorizedError } from '../errors.js';
import { userFromClaims, type OidcClient } from './oidc.js';
import { ANONYMOUS, type Identity, type User } from './policy.js';
import type { IiifTokens, Sessions } from './sessions.js';

export const SESSION_COOKIE = 'vankho_session';
/**
 * The session again, for the reader embedded in a partner's page: `SameSite=None; Secure`, so the
 * browser sends it from inside that page's iframe, where the Lax session cookie is withheld. Accepted
 * only for image requests and the IIIF token service (whose pages only partners may frame): nothing
 * there changes state, and another site cannot read what it gets (no credentialed CORS).
 */
export const EMBED_COOKIE = 'vankho_embed';
const EMBED_PATHS = /^\/(iiif\/[23]\/|auth\/iiif\/(token2?|login|logout)$)/;
/** Where a IIIF access token counts: image requests and the Auth 2.0 probe. */
const IIIF_TOKEN_PATHS = /^\/(iiif\/[23]\/|auth\/iiif\/probe\/)/;
export const STAFF_KEY_USER: User = Object.freeze({ id: 'staff-key', name: 'staff key', roles: ['admin' as const], library: null });

export interface IdentityDeps {
  readonly staffKey: string;
  readonly readingRoom: readonly string[];
  readonly sessions: Sessions;
  readonly iiifTokens: IiifTokens;
  /** Null until the provider is known (the embedded one starts once the server listens). */
  readonly oidc: () => OidcClient | null;
  /** Refreshes a session whose provider tokens expired; false ends it. */
  readonly refresh: (sessionId: string) => Promise<boolean>;
  readonly logger: Logger;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function sameSecret(given: string, expected: string): boolean {
  return expected !== '' && timingSafeEqual(digest(given), digest(expected));
}

export function inRanges(address: string, ranges: readonly string[]): boolean {
  if (!address || ranges.length === 0 || !ipaddr.isValid(address)) return false;
  let addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return ranges.some((r) => {
    const [net, bits] = ipaddr.parseCIDR(r);
    return net.kind() === addr.kind() && addr.match([net, bits]);
  });
}

export function identityMiddleware(deps: IdentityDeps): Koa.Middleware {
  return async (ctx, next) => {
    const inReadingRoom = inRanges(String(ctx.state.clientAddress ?? ''), deps.readingRoom);
    ctx.state.identity = { user: await userOf(ctx, deps), inReadingRoom } satisfies Identity;
    await next();
  };
}

async function userOf(ctx: Koa.Context, deps: IdentityDeps): Promise<User | null> {
  const auth = ctx.get('Authorization');
  if (auth) {
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(auth);
    if (!m) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"', 'Bearer realm="vankho", error="invalid_request"');
    const token = m[1]!;
    if (sameSecret(token, deps.staffKey)) return STAFF_KEY_USER;
    const viaIiif = deps.iiifTokens.resolve(token, ctx.get('Origin') || null);
    if (viaIiif) {
      // A IIIF token opens images and nothing else (a viewer sends it to image services, which may
      // not all be ours), and only while the session it came from lasts (or, for a kiosk token,
      // while the client is in the reading room).
      if (!((ctx.method === 'GET' || ctx.method === 'HEAD') && IIIF_TOKEN_PATHS.test(ctx.path))) {
        throw new UnauthorizedError('a IIIF access token opens images only', 'Bearer realm="vankho", error="insufficient_scope"');
      }
      if (viaIiif.sessionId !== null) return deps.sessions.get(viaIiif.sessionId) ? viaIiif.identity.user : null;
      return viaIiif.identity.user;
    }
    const oidc = deps.oidc();
    if (oidc && token.split('.').length === 3) {
      try {
        return userFromClaims(await oidc.verifyAccessToken(token), oidc.opts.clientId);
      } catch (err) {
        deps.logger.debug({ err: (err as Error).message }, 'bearer token refused');
      }
    }
    throw new UnauthorizedError('the bearer token is invalid or expired', 'Bearer realm="vankho", error="invalid_token"');
  }
  let sid = ctx.cookies.get(SESSION_COOKIE);
  if (!sid && (ctx.method === 'GET' || ctx.method === 'HEAD') && EMBED_PATHS.test(ctx.path)) {
    sid = ctx.cookies.get(EMBED_COOKIE);
  }
  if (!sid) return null;
  ctx.state.sessionId = sid;
  let session = deps.sessions.get(sid);
  if (session && session.refreshAfter < Date.now()) session = (await deps.refresh(sid)) ? deps.sessions.get(sid) : null;
  return session?.user ?? null;
}

/** The identity the edge middleware decided (anonymous where it did not run). */
export function identityOf(ctx: Koa.Context): Identity {
  return (ctx.state.identity as Identity | undefined) ?? ANONYMOUS;
}
