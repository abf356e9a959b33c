/**
 * Our side of OpenID Connect, the same code for Keycloak and for the embedded provider:
 * - sign-in with openid-client 6 (authorization code + PKCE S256, state and nonce), refresh, RP-initiated logout;
 * - bearer access tokens checked with jose against the issuer's JWKS: signature, `iss`, `aud`, `exp`,
 *   `nbf`, asymmetric algorithms only (so `alg: none` and HS256-signed-with-the-public-key are refused),
 *   and the token type (an ID token is not a bearer).
 *
 * Roles are read as Keycloak puts them — realm roles (`realm_access.roles`) and client roles
 * (`resource_access[clientId].roles`) — keeping ours: reader, researcher, librarian, admin. A librarian's
 * library is the `library` claim (a user attribute mapped into tokens; see config/keycloak/realm.json).
 *
 * `keycloak-connect` is not used: Keycloak deprecated its Node.js adapter and points to standard OIDC
 * libraries, which is what this is.
 */
import * as client from 'openid-client';
import { createRemoteJWKSet, customFetch as joseCustomFetch, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type Role, type User } from './policy.js';

export interface OidcOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly audience: string;
  /**
   * Rewrites request URLs before they go out: the embedded provider is reached on loopback even when
   * its public issuer URL is behind a proxy. Identity for an external provider.
   */
  readonly rewrite?: (url: string) => string;
}

export interface Pending {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly returnTo: string;
  readonly redirectUri: string;
}

export interface SignedIn {
  readonly user: User;
  readonly idToken: string | null;
  readonly refreshToken: string | null;
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
}

/** Algorithms a bearer token may be signed with: asymmetric only. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export function userFromClaims(claims: JWTPayload & Record<string, unknown>, clientId: string): User {
  const realm = (claims.realm_access as { roles?: unknown } | undefined)?.roles;
  const clientRoles = (claims.resource_access as Record<string, { roles?: unknown }> | undefined)?.[clientId]?.roles;
  const all = [...(Array.isArray(realm) ? realm : []), ...(Array.isArray(clientRoles) ? clientRoles : [])];
  const roles = ROLES.filter((r) => all.includes(r)) as Role[];
  const library = typeof claims.library === 'string' && claims.library !== '' ? claims.library : null;
  const name = [claims.name, claims.preferred_username, claims.email, claims.sub].find((x) => typeof x === 'string' && x !== '') as string;
  return { id: String(claims.sub), name, roles, library };
}

export class OidcClient {
  private config: Promise<client.Configuration> | null = null;
  private jwks: ReturnType<typeof createRemoteJWKSet> | null = null;

  constructor(readonly opts: OidcOptions) {}

  private fetch = ((url: string, init: RequestInit) => fetch(this.opts.rewrite ? this.opts.rewrite(url) : url, init)) as unknown as client.CustomFetch;

  /** Provider metadata, discovered once (again after a failure). */
  configuration(): Promise<client.Configuration> {
    this.config ??= client
      .discovery(new URL(this.opts.issuer), this.opts.clientId, this.opts.clientSecret, client.ClientSecretBasic(this.opts.clientSecret), {
        execute: this.opts.issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
        [client.customFetch]: this.fetch,
      })
      .then((c) => {
        c[client.customFetch] = this.fetch;
        return c;
      })
      .catch((err: unknown) => {
        this.config = null;
        throw err;
      });
    return this.config;
  }

  async startSignIn(redirectUri: string, returnTo: string): Promise<{ url: string; pending: Pending }> {
    const config = await this.configuration();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email roles',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, pending: { verifier, state, nonce, returnTo, redirectUri } };
  }

  /** Exchanges the code of a callback URL. @throws on a bad state, code or ID token */
  async finishSignIn(callbackUrl: URL, pending: Pending): Promise<SignedIn> {
    const config = await this.configuration();
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    return this.signedIn(tokens);
  }

  async refresh(refreshToken: string): Promise<SignedIn> {
    return this.signedIn(await client.refreshTokenGrant(await this.configuration(), refreshToken));
  }

  private async signedIn(tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers): Promise<SignedIn> {
    // Roles from the access token when it is a JWT for us (Keycloak puts client roles there), else the ID token.
    const fromAccess = await this.verifyAccessToken(tokens.access_token).catch(() => null);
    const claims = fromAccess ?? (tokens.claims() as (JWTPayload & Record<string, unknown>) | undefined);
    if (!claims) throw new Error('the provider sent no ID token');
    const user = userFromClaims(claims, this.opts.clientId);
    return { user, idToken: tokens.id_token ?? null, refreshToken: tokens.refresh_token ?? null, expiresIn: tokens.expiresIn() ?? 300 };
  }

  async logoutUrl(idToken: string | null, postLogoutRedirectUri: string): Promise<string> {
    const config = await this.configuration();
    if (!config.serverMetadata().end_session_endpoint) return postLogoutRedirectUri;
    return client.buildEndSessionUrl(config, { post_logout_redirect_uri: postLogoutRedirectUri, ...(idToken ? { id_token_hint: idToken } : {}), client_id: this.opts.clientId }).href;
  }

  /**
   * Checks a bearer access token and returns its claims. @throws when the signature, issuer, audience,
   * expiry, not-before or algorithm is wrong.
   */
  async verifyAccessToken(token: string): Promise<JWTPayload & Record<string, unknown>> {
    const config = await this.configuration();
    const meta = config.serverMetadata();
    if (!meta.jwks_uri) throw new Error('the provider publishes no JWKS');
    this.jwks ??= createRemoteJWKSet(new URL(meta.jwks_uri), { [joseCustomFetch]: this.fetch as never });
    const { payload, protectedHeader } = await jwtVerify(token, this.jwks, { issuer: meta.issuer, audience: this.opts.audience, algorithms: ALGORITHMS, clockTolerance: 5 });
    // An access token, not an ID token (whose `aud` is our client id too): RFC 9068's `at+jwt` header
    // type, or Keycloak's `typ: Bearer` claim.
    const headerType = String(protectedHeader.typ ?? '').toLowerCase();
    if (headerType !== 'at+jwt' && headerType !== 'application/at+jwt' && payload.typ !== 'Bearer') throw new Error('not an access token');
    return payload as JWTPayload & Record<string, unknown>;
  }
}
