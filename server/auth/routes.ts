/**
 * Sign-in routes:
 *   /auth/login?returnTo=/path → the provider (OIDC code + PKCE) → /auth/callback → session cookie
 *   /auth/logout (GET: a form; POST: ends the session, then the provider's end-session endpoint)
 *   /oidc/*                      the embedded provider (oidc-provider), when it is the one configured
 *   /oidc/interaction/:uid       its sign-in form (local accounts)
 *   /account/register|verify|reset   library card accounts (embedded provider only)
 *   /auth/iiif/login|token|token2|logout|probe/:id   IIIF Authorization 1.0 and 2.0
 * Every form carries a CSRF token (double-submit: an HttpOnly SameSite=Strict cookie and a hidden field);
 * sign-in, registration and reset are rate-limited per client address; messages never say whether an
 * e-mail has an account.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import ipaddr from 'ipaddr.js';
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js';
import { esc, layout, type Lang } from '../web/html.js';
import { EMBED_COOKIE, identityOf, SESSION_COOKIE } from './identity.js';
import { AUTH_PAGE_SCRIPTS, closeWindowPage, tokenPage, validOrigin, AUTH2_CONTEXT } from './iiif-auth.js';
import { mountHandler, MOUNT } from './embedded/provider.js';
import type { Pending } from './oidc.js';
import type { Auth } from './service.js';
import type { Decision, Identity } from './policy.js';

const CSRF_COOKIE = 'vankho_csrf';
const SIGNIN_COOKIE = 'vankho_signin';

export interface AuthRoutesDeps {
  readonly auth: Auth;
  readonly registration: boolean;
  readonly libraryExists: (id: string) => Promise<boolean>;
  /** Partner origins that may frame the token service (embedded readers with sign-in). */
  readonly embedOrigins: readonly string[];
  /** The decision for an image (probe service): the archive's. */
  readonly imageAccess: (imageId: string, identity: Identity) => Promise<Decision>;
  readonly reducedInfoUrl: (imageId: string) => string;
}

/** Only a path on this site: never `//host`, `/\host` or a scheme (open redirects refused). */
export function safeReturnTo(raw: unknown): string {
  const s = typeof raw === 'string' ? raw : '/';
  return /^\/(?![/\\])[^\s]*$/.test(s) && s.length < 2000 ? s : '/';
}

const lang = (ctx: Koa.Context): Lang => (ctx.query.lang === 'en' ? 'en' : 'vi');

export function authRoutes(deps: AuthRoutesDeps): { router: Router; provider: Koa.Middleware } {
  const { auth } = deps;
  const router = new Router();
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });
  const pending = new Map<string, Pending & { expires: number }>();
  const secure = (ctx: Koa.Context) => ctx.protocol === 'https';
  const cookie = (ctx: Koa.Context, name: string, value: string | null, opts: { maxAge?: number; sameSite?: 'lax' | 'strict' } = {}) =>
    ctx.cookies.set(name, value, { httpOnly: true, sameSite: opts.sameSite ?? 'lax', secure: secure(ctx), path: '/', overwrite: true, ...(opts.maxAge ? { maxAge: opts.maxAge } : {}) });

  /**
   * The embed cookie (identity.ts): SameSite=None needs Secure, which browsers accept over HTTPS and
   * from loopback. Koa refuses to set a Secure cookie on a plain-HTTP request, so it is written here.
   */
  const embedCookie = (ctx: Koa.Context, sid: string | null, partitioned = false) => {
    const loopback = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]|::1)$/.test(ctx.hostname);
    if (!secure(ctx) && !loopback) return;
    const value = sid === null ? `${EMBED_COOKIE}=; Max-Age=0` : `${EMBED_COOKIE}=${sid}`;
    ctx.append('Set-Cookie', `${value}; Path=/; HttpOnly; Secure; SameSite=None${partitioned ? '; Partitioned' : ''}`);
    // Sign-out clears both forms (a partitioned cookie is a different cookie to the browser).
    if (sid === null && !partitioned) ctx.append('Set-Cookie', `${value}; Path=/; HttpOnly; Secure; SameSite=None; Partitioned`);
  };
  const grants = new Map<string, { sid: string; expires: number }>();
  const frameAncestors = `frame-ancestors 'self'${deps.embedOrigins.map((o) => ` ${o}`).join('')}`;

  const csrfToken = (ctx: Koa.Context): string => {
    let t = ctx.cookies.get(CSRF_COOKIE);
    if (!t || !/^[A-Za-z0-9_-]{43}$/.test(t)) {
      t = randomBytes(32).toString('base64url');
      cookie(ctx, CSRF_COOKIE, t, { sameSite: 'strict' });
    }
    return t;
  };
  const checkCsrf = (ctx: Koa.Context) => {
    const c = ctx.cookies.get(CSRF_COOKIE) ?? '';
    const f = String((ctx.request.body as Record<string, unknown> | undefined)?.csrf ?? '');
    if (!c || c.length !== f.length || !timingSafeEqual(Buffer.from(c), Buffer.from(f))) {
      throw new ForbiddenError('the form has expired or did not come from this site; reload it and try again', 'csrf');
    }
  };
  const field = (ctx: Koa.Context, name: string) => String((ctx.request.body as Record<string, unknown> | undefined)?.[name] ?? '');
  const page = (ctx: Koa.Context, title: string, body: string, status = 200) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.body = layout({ lang: lang(ctx), title, body, path: ctx.path, user: identityOf(ctx).user });
  };
  const htmlErrors: Koa.Middleware = async (ctx, next) => {
    ctx.state.errorFormat = 'html';
    ctx.state.lang = lang(ctx);
    await next();
  };
  // IPv6 clients are counted per /64 (one household or host has a whole /64 to rotate through).
  const clientKey = (ctx: Koa.Context) => {
    const raw = String(ctx.state.clientAddress ?? ctx.ip);
    if (!ipaddr.isValid(raw)) return raw;
    const a = ipaddr.process(raw);
    return a.kind() === 'ipv6' ? `${(a as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64` : a.toString();
  };
  const limited = (ctx: Koa.Context) => auth.attempts.hit(clientKey(ctx));
  const oidc = () => {
    if (!auth.oidc) throw new NotFoundError('sign-in is not configured', 'no_sign_in');
    return auth.oidc;
  };

  // ---- OIDC sign-in (the same for Keycloak and the embedded provider) ------------------------------
  router.get('/auth/login', htmlErrors, async (ctx) => {
    ctx.state.route = 'auth_login';
    const returnTo = safeReturnTo(ctx.query.returnTo);
    const { url, pending: p } = await oidc().startSignIn(`${auth.site}/auth/callback`, returnTo);
    for (const [k, v] of pending) if (v.expires < Date.now()) pending.delete(k);
    pending.set(p.state, { ...p, expires: Date.now() + 600_000 });
    cookie(ctx, SIGNIN_COOKIE, p.state, { maxAge: 600_000 });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(url);
  });

  router.get('/auth/callback', htmlErrors, async (ctx) => {
    ctx.state.route = 'auth_callback';
    const state = String(ctx.query.state ?? '');
    const p = pending.get(state);
    // The state must be the one this browser started with (its cookie), used once, within 10 minutes.
    if (!p || p.expires < Date.now() || ctx.cookies.get(SIGNIN_COOKIE) !== state) throw new BadRequestError('sign_in_expired', 'this sign-in has expired or was not started here; sign in again');
    pending.delete(state);
    cookie(ctx, SIGNIN_COOKIE, null);
    if (ctx.query.error) throw new BadRequestError('sign_in_refused', `the provider refused the sign-in: ${String(ctx.query.error).slice(0, 100)}`);
    let signed;
    try {
      signed = await oidc().finishSignIn(new URL(ctx.originalUrl, `${auth.site}/`), p);
    } catch (err) {
      throw new BadRequestError('sign_in_failed', `sign-in failed: ${(err as Error).message.slice(0, 200)}`);
    }
    const sid = auth.sessions.create({ user: signed.user, idToken: signed.idToken, refreshToken: signed.refreshToken, refreshAfter: Date.now() + signed.expiresIn * 1000 });
    cookie(ctx, SESSION_COOKIE, sid);
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(safeReturnTo(p.returnTo));
  });

  router.get('/auth/logout', htmlErrors, (ctx) => {
    ctx.state.route = 'auth_logout_form';
    const l = lang(ctx);
    page(ctx, l === 'vi' ? 'Đăng xuất' : 'Sign out', `<form method="post" action="/auth/logout"><input type="hidden" name="csrf" value="${esc(csrfToken(ctx))}"><button>${l === 'vi' ? 'Đăng xuất' : 'Sign out'}</button></form>`);
  });

  router.post('/auth/logout', htmlErrors, form, async (ctx) => {
    ctx.state.route = 'auth_logout';
    checkCsrf(ctx);
    const sid = ctx.cookies.get(SESSION_COOKIE);
    const session = sid ? auth.sessions.get(sid) : null;
    if (sid) auth.sessions.destroy(sid);
    if (session) auth.iiifTokens.revokeUser(session.user.id);
    cookie(ctx, SESSION_COOKIE, null);
    embedCookie(ctx, null);
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(auth.oidc ? await auth.oidc.logoutUrl(session?.idToken ?? null, `${auth.site}/`) : '/');
  });

  // ---- the embedded provider's sign-in form ----------------------------------------------------------
  const loginForm = (ctx: Koa.Context, uid: string, message = '', status = 200) => {
    const vi = lang(ctx) === 'vi';
    page(
      ctx,
      vi ? 'Đăng nhập' : 'Sign in',
      `<h1>${vi ? 'Đăng nhập' : 'Sign in'}</h1>${message ? `<p class="notice" role="alert">${esc(message)}</p>` : ''}
<form method="post" action="${MOUNT}/interaction/${esc(uid)}/login">
<input type="hidden" name="csrf" value="${esc(csrfToken(ctx))}">
<p><label>E-mail <input name="email" type="email" autocomplete="username" required></label></p>
<p><label>${vi ? 'Mật khẩu' : 'Password'} <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button>${vi ? 'Đăng nhập' : 'Sign in'}</button></p></form>
${deps.registration ? `<p><a href="/account/register">${vi ? 'Đăng ký thẻ thư viện trực tuyến' : 'Get a library card online'}</a></p>` : ''}
<p><a href="/account/reset">${vi ? 'Quên mật khẩu?' : 'Forgot your password?'}</a></p>`,
      status,
    );
  };

  router.get(`${MOUNT}/interaction/:uid`, htmlErrors, async (ctx) => {
    ctx.state.route = 'oidc_interaction';
    if (!auth.provider) throw new NotFoundError('no embedded provider');
    const details = await auth.provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) throw new BadRequestError('interaction', 'this sign-in has expired; start again');
    loginForm(ctx, details.uid);
  });

  router.post(`${MOUNT}/interaction/:uid/login`, htmlErrors, form, async (ctx) => {
    ctx.state.route = 'oidc_interaction_login';
    if (!auth.provider) throw new NotFoundError('no embedded provider');
    checkCsrf(ctx);
    // Counted before the (slow) password check, so parallel attempts cannot slip past the limit; a
    // success gives its attempt back.
    auth.attempts.hit(clientKey(ctx));
    const details = await auth.provider.interactionDetails(ctx.req, ctx.res);
    const account = await auth.accounts.authenticate(field(ctx, 'email'), field(ctx, 'password'));
    const vi = lang(ctx) === 'vi';
    if (account) auth.attempts.forgive(clientKey(ctx));
    // One message for an unknown e-mail and a wrong password: nobody learns who has an account.
    if (!account) return loginForm(ctx, details.uid, vi ? 'E-mail hoặc mật khẩu không đúng.' : 'Wrong e-mail or password.', 401);
    if (!account.emailVerified) return loginForm(ctx, details.uid, vi ? 'Hãy xác nhận địa chỉ e-mail trước (xem thư chúng tôi đã gửi).' : 'Confirm your e-mail address first (see the message we sent).', 403);
    ctx.respond = false;
    await auth.provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: account.id } }, { mergeWithLastSubmission: false });
  });

  // ---- library card accounts (embedded provider) -----------------------------------------------------
  const accountsOn: Koa.Middleware = async (ctx, next) => {
    if (!auth.provider) throw new NotFoundError('accounts are managed by the library’s identity provider');
    await next();
  };
  const sent = (ctx: Koa.Context) =>
    page(ctx, 'E-mail', `<p>${lang(ctx) === 'vi' ? 'Nếu địa chỉ này dùng được, chúng tôi đã gửi thư hướng dẫn tới đó. Hãy kiểm tra hộp thư.' : 'If that address can be used, we have sent instructions to it. Check your mailbox.'}</p>`);

  router.get('/account/register', htmlErrors, accountsOn, (ctx) => {
    ctx.state.route = 'account_register_form';
    if (!deps.registration) throw new NotFoundError('online registration is closed');
    const vi = lang(ctx) === 'vi';
    page(
      ctx,
      vi ? 'Đăng ký thẻ thư viện' : 'Library card',
      `<h1>${vi ? 'Đăng ký thẻ thư viện trực tuyến' : 'Get a library card online'}</h1>
<form method="post" action="/account/register"><input type="hidden" name="csrf" value="${esc(csrfToken(ctx))}">
<p><label>${vi ? 'Họ và tên' : 'Full name'} <input name="name" required maxlength="200" autocomplete="name"></label></p>
<p><label>E-mail <input name="email" type="email" required autocomplete="email"></label></p>
<p><label>${vi ? 'Mật khẩu (ít nhất 10 ký tự)' : 'Password (10 characters or more)'} <input name="password" type="password" minlength="10" required autocomplete="new-password"></label></p>
<p><button>${vi ? 'Đăng ký' : 'Register'}</button></p></form>`,
    );
  });

  router.post('/account/register', htmlErrors, accountsOn, form, async (ctx) => {
    ctx.state.route = 'account_register';
    if (!deps.registration) throw new NotFoundError('online registration is closed');
    checkCsrf(ctx);
    limited(ctx);
    const email = field(ctx, 'email');
    try {
      const account = await auth.accounts.register({ email, name: field(ctx, 'name'), password: field(ctx, 'password') });
      const token = auth.accounts.issueToken(account.id, 'verify', 48 * 3600);
      await auth.mailer.send({
        to: account.email,
        subject: 'Xác nhận thẻ thư viện Văn Khố',
        text: `Chào ${account.name},\n\nMở liên kết sau để xác nhận địa chỉ e-mail của thẻ thư viện:\n${auth.site}/account/verify?token=${token}\n\nLiên kết dùng được trong 48 giờ.`,
      });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // The address has an account: tell its owner, and the visitor only what anyone is told.
      await auth.mailer.send({ to: email.trim().toLowerCase(), subject: 'Văn Khố: địa chỉ này đã có tài khoản', text: `Ai đó (có thể là bạn) vừa đăng ký với địa chỉ này, nhưng nó đã có tài khoản.\nQuên mật khẩu? ${auth.site}/account/reset` });
    }
    sent(ctx);
  });

  /**
   * A one-time link from a mail that leads to a form setting the password: confirming a new account
   * (whoever registered the address first, perhaps not its owner, loses the account to the owner who
   * confirms it) or resetting a forgotten password. Either way the address is then verified.
   */
  const passwordByLink = (
    path: string,
    route: string,
    purpose: 'verify' | 'reset',
    words: { title: [string, string]; label: [string, string]; button: [string, string]; invalid: string; done: [string, string] },
  ) => {
    router.get(path, htmlErrors, accountsOn, (ctx) => {
      ctx.state.route = `${route}_form`;
      const n = lang(ctx) === 'vi' ? 0 : 1;
      page(
        ctx,
        words.title[n],
        `<h1>${words.title[n]}</h1><form method="post" action="${path}"><input type="hidden" name="csrf" value="${esc(csrfToken(ctx))}"><input type="hidden" name="token" value="${esc(String(ctx.query.token ?? ''))}"><p><label>${words.label[n]} <input name="password" type="password" minlength="10" required autocomplete="new-password"></label></p><p><button>${words.button[n]}</button></p></form>`,
      );
    });
    router.post(path, htmlErrors, accountsOn, form, async (ctx) => {
      ctx.state.route = route;
      checkCsrf(ctx);
      limited(ctx);
      const password = z.string().min(10).max(200).safeParse(field(ctx, 'password'));
      if (!password.success) throw new BadRequestError('invalid_password', 'the password must be 10 to 200 characters');
      const account = auth.accounts.consumeToken(field(ctx, 'token'), purpose);
      if (!account) throw new BadRequestError('invalid_token', words.invalid);
      await auth.accounts.setPassword(account.id, password.data);
      auth.accounts.markVerified(account.id);
      const n = lang(ctx) === 'vi' ? 0 : 1;
      page(ctx, 'OK', `<p>${words.done[n]}</p><p><a href="/auth/login">${n === 0 ? 'Đăng nhập' : 'Sign in'}</a></p>`);
    });
  };

  passwordByLink('/account/verify', 'account_verify', 'verify', {
    title: ['Xác nhận thẻ thư viện', 'Confirm your library card'],
    label: ['Đặt mật khẩu (ít nhất 10 ký tự)', 'Choose a password (10 characters or more)'],
    button: ['Xác nhận', 'Confirm'],
    invalid: 'this link is not valid any more; register again or ask the library',
    done: ['Đã xác nhận. Bạn có thể đăng nhập.', 'Confirmed. You can sign in now.'],
  });

  router.get('/account/reset', htmlErrors, accountsOn, (ctx) => {
    ctx.state.route = 'account_reset_form';
    const vi = lang(ctx) === 'vi';
    page(ctx, vi ? 'Đặt lại mật khẩu' : 'Reset password', `<form method="post" action="/account/reset"><input type="hidden" name="csrf" value="${esc(csrfToken(ctx))}"><p><label>E-mail <input name="email" type="email" required></label></p><p><button>${vi ? 'Gửi liên kết' : 'Send a link'}</button></p></form>`);
  });

  router.post('/account/reset', htmlErrors, accountsOn, form, async (ctx) => {
    ctx.state.route = 'account_reset';
    checkCsrf(ctx);
    limited(ctx);
    const account = auth.accounts.findByEmail(field(ctx, 'email'));
    if (account) {
      const token = auth.accounts.issueToken(account.id, 'reset', 3600);
      // Not awaited: the answer takes as long whether or not the address has an account.
      void auth.mailer.send({ to: account.email, subject: 'Văn Khố: đặt lại mật khẩu', text: `Mở liên kết sau để đặt mật khẩu mới (dùng được trong 1 giờ):\n${auth.site}/account/reset/confirm?token=${token}` }).catch((err: unknown) => auth.mailFailed(err));
    }
    sent(ctx);
  });

  passwordByLink('/account/reset/confirm', 'account_reset_confirm', 'reset', {
    title: ['Mật khẩu mới', 'New password'],
    label: ['Mật khẩu mới', 'New password'],
    button: ['OK', 'OK'],
    invalid: 'this link is not valid any more; ask for a new one',
    done: ['Đã đổi mật khẩu.', 'Password changed.'],
  });

  // ---- staff: roles of local accounts ------------------------------------------------------------------
  const RolesBody = z.object({ email: z.string().min(3).max(254), roles: z.array(z.string()).min(1).max(4), library: z.string().max(128).nullable().default(null) }).strict();
  router.put('/api/accounts/roles', async (ctx, next) => {
    ctx.state.route = 'api_account_roles';
    ctx.set('Cache-Control', 'no-store');
    // Credentials before the body is read.
    const user = identityOf(ctx).user;
    if (!user) throw new UnauthorizedError('sign in as library staff to grant roles');
    if (!user.roles.includes('admin') && !user.roles.includes('librarian')) throw new ForbiddenError('only library staff may grant roles');
    if (!auth.provider) throw new NotFoundError('accounts are managed by the library’s identity provider');
    await next();
  }, bodyParser({ enableTypes: ['json'], jsonLimit: '8kb' }), async (ctx) => {
    const body = RolesBody.safeParse(ctx.request.body);
    if (!body.success) throw new BadRequestError('invalid_body', `send {"email", "roles": [...], "library"}: ${body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (body.data.library !== null && !(await deps.libraryExists(body.data.library))) throw new BadRequestError('invalid_fields', `library: no library "${body.data.library}"`);
    const a = auth.grantRoles(identityOf(ctx), body.data.email, body.data.roles, body.data.library);
    ctx.body = { email: a.email, name: a.name, roles: a.roles, library: a.library };
  });

  // ---- IIIF Authorization ----------------------------------------------------------------------------
  // Access service (1.0 login/external, 2.0 active/kiosk): opened by the viewer in a window.
  router.get('/auth/iiif/login', htmlErrors, (ctx) => {
    ctx.state.route = 'iiif_auth_login';
    ctx.set('Cache-Control', 'no-store');
    if (identityOf(ctx).user || identityOf(ctx).inReadingRoom) {
      // The reader that opened this window may be embedded in a partner's page, where our cookies
      // are kept apart (third-party, partitioned): hand it a one-time code, which it exchanges for a
      // session cookie of its own partition (POST /auth/iiif/claim) before this window closes.
      const sid = ctx.cookies.get(SESSION_COOKIE);
      const code = sid ? randomBytes(24).toString('base64url') : null;
      if (code && sid) grants.set(code, { sid, expires: Date.now() + 60_000 });
      ctx.type = 'text/html; charset=utf-8';
      ctx.state.inlineScripts = AUTH_PAGE_SCRIPTS;
      ctx.body = closeWindowPage('Đã đăng nhập. Cửa sổ này sẽ tự đóng.', code);
      return;
    }
    ctx.redirect(`/auth/login?returnTo=${encodeURIComponent('/auth/iiif/login')}`);
  });

  // The other half of the hand-over: the embedded reader (same origin as us, inside the partner's
  // page) posts the code; the answer sets the session cookie in that page's partition (CHIPS).
  router.post('/auth/iiif/claim', bodyParser({ enableTypes: ['json'], jsonLimit: '1kb' }), (ctx) => {
    ctx.state.route = 'iiif_auth_claim';
    ctx.set('Cache-Control', 'no-store');
    const code = String((ctx.request.body as { code?: unknown } | undefined)?.code ?? '');
    const grant = grants.get(code);
    grants.delete(code);
    if (!grant || grant.expires < Date.now() || !auth.sessions.get(grant.sid)) throw new BadRequestError('invalid_code', 'this sign-in code is not valid (used, expired or unknown)');
    embedCookie(ctx, grant.sid, true);
    ctx.status = 204;
  });

  // Token services: in the viewer's iframe, one postMessage to the origin the viewer names.
  const tokenRoute = (version: 1 | 2) => (ctx: Koa.Context) => {
    ctx.state.route = `iiif_auth_token${version}`;
    ctx.set('Cache-Control', 'no-store');
    // Only our pages and partners' may frame the token page: another site cannot have it post a token.
    ctx.set('Content-Security-Policy', frameAncestors);
    const messageId = String(ctx.query.messageId ?? '').slice(0, 200);
    const origin = validOrigin(ctx.query.origin);
    ctx.type = version === 1 && !origin ? 'application/json' : 'text/html; charset=utf-8';
    const who = identityOf(ctx);
    // Only a session (cookie) or the reading room earns a token: never another token or a bearer, so
    // a token that leaked cannot be renewed.
    const sessionId = typeof ctx.state.sessionId === 'string' ? ctx.state.sessionId : null;
    const bearer = ctx.get('Authorization') !== '';
    const viaSession = !bearer && !!who.user && sessionId !== null;
    const granted = !bearer && (viaSession || who.inReadingRoom);
    const holder = viaSession ? sessionId : null;
    // A kiosk token (the reading room, no session) stands for the room, not for anyone.
    const tokenIdentity = viaSession ? who : { user: null, inReadingRoom: true };
    if (!origin) {
      // Auth 1.0 §3.2.2: without an origin the token service answers JSON (not for browsers' viewers).
      if (version === 1 && !ctx.query.messageId) {
        ctx.status = granted ? 200 : 401;
        ctx.body = granted ? (({ token, expiresIn }) => ({ accessToken: token, expiresIn }))(auth.iiifTokens.issue(tokenIdentity, '', holder)) : { error: 'missingCredentials', description: 'sign in first' };
        return;
      }
      throw new BadRequestError('invalid_origin', 'origin must be the viewer’s origin, like https://example.org');
    }
    let message: Record<string, unknown>;
    if (!granted) {
      message =
        version === 1
          ? { error: 'missingCredentials', description: 'Chưa đăng nhập.', messageId }
          : { '@context': AUTH2_CONTEXT, type: 'AuthAccessTokenError2', profile: 'missingAspect', heading: { vi: ['Chưa đăng nhập'] }, messageId };
    } else {
      const { token, expiresIn } = auth.iiifTokens.issue(tokenIdentity, origin, holder);
      message = version === 1 ? { accessToken: token, expiresIn, messageId } : { '@context': AUTH2_CONTEXT, type: 'AuthAccessToken2', accessToken: token, expiresIn, messageId };
    }
    ctx.body = tokenPage(message, origin);
  };
  router.get('/auth/iiif/token', tokenRoute(1));
  router.get('/auth/iiif/token2', tokenRoute(2));

  router.get('/auth/iiif/logout', htmlErrors, (ctx) => {
    ctx.state.route = 'iiif_auth_logout';
    // The session cookie, or in a partner's embed the embed cookie (identity.ts put it in state).
    const sid = typeof ctx.state.sessionId === 'string' ? ctx.state.sessionId : ctx.cookies.get(SESSION_COOKIE);
    const session = sid ? auth.sessions.get(sid) : null;
    if (sid) auth.sessions.destroy(sid);
    if (session) auth.iiifTokens.revokeUser(session.user.id);
    cookie(ctx, SESSION_COOKIE, null);
    embedCookie(ctx, null);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.state.inlineScripts = AUTH_PAGE_SCRIPTS;
    ctx.body = closeWindowPage('Đã đăng xuất.');
  });

  // Auth 2.0 probe: what this reader would get for the image, and the reduced one as a substitute.
  router.get('/auth/iiif/probe/:id', async (ctx) => {
    ctx.state.route = 'iiif_auth_probe';
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Cache-Control', 'no-store');
    const id = String(ctx.params.id);
    const d = await deps.imageAccess(id, identityOf(ctx));
    const status = d.effect === 'allow' ? 200 : d.effect === 'reduced' ? 401 : d.reason === 'hidden' ? 404 : d.reason === 'login' ? 401 : 403;
    if (status === 404) throw new NotFoundError(`no image with identifier "${id}"`, 'unknown_image');
    ctx.body = {
      '@context': AUTH2_CONTEXT,
      type: 'AuthProbeResult2',
      status,
      ...(d.effect === 'reduced' ? { substitute: [{ id: deps.reducedInfoUrl(id), type: 'Image', service: [] }] } : {}),
      ...(d.effect === 'deny' ? { heading: { vi: ['Không xem được'], en: ['Not available'] }, note: { vi: [d.message], en: [d.message] } } : {}),
    };
  });

  // ---- the embedded provider itself -------------------------------------------------------------------
  const provider: Koa.Middleware = async (ctx, next) => {
    if (!(ctx.path === MOUNT || ctx.path.startsWith(`${MOUNT}/`)) || ctx.path.startsWith(`${MOUNT}/interaction/`)) return next();
    if (!auth.provider) throw new NotFoundError('no embedded provider');
    ctx.state.route = 'oidc_provider';
    ctx.respond = false;
    const handle = mountHandler(auth.provider);
    await new Promise<void>((resolve) => {
      ctx.res.once('finish', resolve);
      ctx.res.once('close', resolve);
      handle(ctx.req, ctx.res);
    });
  };
  return { router, provider };
}
