/**
 * /iiif/3/* and /iiif/2/*: the only Koa-aware file of the image module.
 * Paths are split and each segment decoded once here; a bad escape is a 400, not a crash.
 */
import type Koa from 'koa';
import { identityOf } from '../auth/identity.js';
import { AppError, BadRequestError, MethodNotAllowedError, UnauthorizedError } from '../errors.js';
import { allowAnyOrigin, jsonLdType, setAccessCaching, setValidators } from '../http/caching.js';
import type { ApiVersion } from './iiif-url.js';
import { parseIdentifier, parseImageRequest } from './iiif-url.js';
import { CONTEXT_2, CONTEXT_3, PROFILE_2 } from './info.js';
import { FULL, REDUCED_SUFFIX, type ImageService, type Variant } from './service.js';

export interface ImageRoutesOptions {
  readonly cacheControl: string;
  /** Absolute base of emitted URIs, e.g. https://thuvien.example.vn; computed per request if absent. */
  readonly baseUrl: (ctx: Koa.Context) => string;
  /**
   * IIIF Authorization services of an image (Auth 1.0 for Mirador, 2.0 probe for others), added to its
   * info.json when it is not public; empty for a public image. `site` is the base URL of the site.
   */
  readonly authServices?: (imageId: string, site: string, version: ApiVersion) => Promise<Record<string, unknown>[]>;
}

const PROFILE_URI: Record<ApiVersion, string> = {
  3: 'http://iiif.io/api/image/3/level2.json',
  2: PROFILE_2,
};

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadRequestError('invalid_path', `"${s}" is not a valid percent-encoded path segment`);
  }
}

/** Koa middleware serving both API versions. */
export function imageRoutes(service: ImageService, opts: ImageRoutesOptions): Koa.Middleware {
  return async (ctx, next) => {
    const m = /^\/iiif\/([23])(\/.*)?$/.exec(ctx.path);
    if (!m) return next();
    const version = Number(m[1]) as ApiVersion;
    if (allowAnyOrigin(ctx)) return;
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      // OPTIONS was answered above (CORS preflight: bearer tokens on info.json need it).
      throw new MethodNotAllowedError(`${ctx.method} is not supported on image URIs`, 'GET, HEAD, OPTIONS');
    }
    // Image errors are plain text (a browser <img> shows nothing anyway; curl shows the reason);
    // errors of an info.json request are JSON, as its answer would have been.
    ctx.state.errorFormat = ctx.path.endsWith('/info.json') ? 'json' : 'text';
    const segments = (m[2] ?? '').split('/').slice(1);
    if (segments.length === 0 || segments[0] === '') {
      throw new BadRequestError('missing_identifier', `an image URI is /iiif/${version}/{identifier}/info.json or /iiif/${version}/{identifier}/{region}/{size}/{rotation}/{quality}.{format}`);
    }
    // Image API 3.0 §9: a slash in an identifier must be escaped. Sent unescaped (`a/b/full/max/0/default.jpg`,
    // `a/b/info.json`), the request's own segments are the last four (or info.json) and everything before
    // them is the identifier: one we cannot hold, so a 404 (the official validator's id_error_escapedslash).
    const last = segments.at(-1)!;
    if (segments.length > 5 && /^[a-z]+\.[a-z0-9]+$/i.test(last)) parseIdentifier(segments.slice(0, -4).map(decodeSegment).join('/'));
    if (segments.length > 2 && last === 'info.json') parseIdentifier(segments.slice(0, -1).map(decodeSegment).join('/'));
    const first = decodeSegment(segments[0]!);
    const variant: Variant = first.endsWith(REDUCED_SUFFIX) ? { kind: 'reduced' } : FULL;
    const id = parseIdentifier(variant.kind === 'reduced' ? first.slice(0, -REDUCED_SUFFIX.length) : first);
    const site = opts.baseUrl(ctx);
    const fullBase = `${site}/iiif/${version}/${encodeURIComponent(id)}`;
    const base = variant.kind === 'reduced' ? `${fullBase}${REDUCED_SUFFIX}` : fullBase;
    const identity = identityOf(ctx);
    // Responses depend on who asks: shared caches keep only what anyone would get.
    const caching = (isPublic: boolean) => setAccessCaching(ctx, isPublic, opts.cacheControl);

    if (segments.length === 1) {
      // Image API 3.0 §2.1: the base URI redirects to the image information.
      ctx.state.route = `iiif${version}_base`;
      ctx.status = 303;
      ctx.redirect(`${base}/info.json`);
      return;
    }
    if (segments.length === 2 && segments[1] === 'info.json') {
      ctx.state.route = `iiif${version}_info`;
      ctx.state.errorFormat = 'json';
      const services = (await opts.authServices?.(id, site, version)) ?? [];
      const withServices = (json: Record<string, unknown>) => (services.length ? { ...json, service: [...((json.service as unknown[]) ?? []), ...services] } : json);
      let answer;
      try {
        answer = await service.info(id, version, base, identity, variant);
      } catch (err) {
        // IIIF Auth 1.0 §3.2: a 401 for the image information carries the description and its services,
        // from which the viewer learns where to sign in.
        if (!(err instanceof UnauthorizedError || (err instanceof AppError && err.status === 403)) || services.length === 0) throw err;
        const { json } = await service.describe(id, version, base, variant);
        ctx.status = err.status;
        if (err instanceof UnauthorizedError) ctx.set('WWW-Authenticate', err.challenge);
        ctx.set('Cache-Control', 'no-store');
        ctx.vary('Authorization');
        ctx.vary('Cookie');
        ctx.type = jsonLdType(ctx, version === 3 ? CONTEXT_3 : CONTEXT_2);
        ctx.body = withServices(json);
        return;
      }
      if (answer.kind === 'reduced') {
        // A reader who may see only the reduced image is sent to its description (IIIF Auth 1.0 §2.3:
        // a degraded image has its own id, which tells the viewer to offer sign-in).
        ctx.set('Cache-Control', 'private, no-store');
        ctx.vary('Authorization');
        ctx.vary('Cookie');
        ctx.status = 302;
        ctx.redirect(`${fullBase}${REDUCED_SUFFIX}/info.json`);
        return;
      }
      const info = answer;
      ctx.vary('Accept');
      if (setValidators(ctx, info.etag, info.modified, caching(services.length === 0))) {
        ctx.status = 304;
        return;
      }
      const context = version === 3 ? CONTEXT_3 : CONTEXT_2;
      ctx.type = jsonLdType(ctx, context);
      // Image API 2.1 §5: with plain JSON, the context travels in a Link header.
      if (version === 2 && ctx.type === 'application/json') {
        ctx.set('Link', `<${context}>;rel="http://www.w3.org/ns/json-ld#context";type="application/ld+json"`);
      }
      ctx.append('Link', `<${PROFILE_URI[version]}>;rel="profile"`);
      ctx.body = withServices(info.json);
      return;
    }
    if (segments.length !== 5) {
      throw new BadRequestError(
        'invalid_path',
        `an image request has four parameters after the identifier: {region}/{size}/{rotation}/{quality}.{format}; got ${segments.length - 1}`,
      );
    }
    ctx.state.route = `iiif${version}_image`;
    const [region, size, rotation, qualityFormat] = segments.slice(1).map(decodeSegment) as [string, string, string, string];
    const request = parseImageRequest(id, { region, size, rotation, qualityFormat }, version);
    const prepared = await service.prepare(request, identity, variant);
    const links = (p: { canonicalPath: string }) => `<${base}/${p.canonicalPath}>;rel="canonical", <${PROFILE_URI[version]}>;rel="profile"`;
    ctx.set('Link', links(prepared));
    const isPublic = opts.authServices ? (await opts.authServices(id, site, version)).length === 0 : true;
    if (setValidators(ctx, prepared.etag, prepared.modified, caching(isPublic))) {
      ctx.status = 304;
      return;
    }
    ctx.type = prepared.contentType;
    // The client leaving (the connection closes before the answer is sent) stops its render.
    const gone = new AbortController();
    const onClose = () => ctx.res.writableFinished || gone.abort();
    ctx.res.once('close', onClose);
    // Gone already, before the listener was there (prepare and the access check awaited).
    if (ctx.req.socket.destroyed) gone.abort();
    let produced;
    try {
      produced = await service.produceServed(prepared, gone.signal);
    } finally {
      ctx.res.off('close', onClose);
    }
    const { data, served } = produced;
    if (served !== prepared) {
      // A rebuild switched the image meanwhile: the validators and links are the new version's.
      setValidators(ctx, served.etag, served.modified, caching(isPublic));
      ctx.set('Link', links(served));
    }
    ctx.body = data;
  };
}
