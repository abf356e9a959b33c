/**
 * /iiif/3/* and /iiif/2/*: the only Koa-aware file of the image module.
 * Paths are split and each segment decoded once here; a bad escape is a 400, not a crash.
 */
import type Koa from 'koa';
import { BadRequestError } from '../errors.js';
import type { ApiVersion } from './iiif-url.js';
import { parseIdentifier, parseImageRequest } from './iiif-url.js';
import { CONTEXT_2, CONTEXT_3, PROFILE_2 } from './info.js';
import type { ImageService } from './service.js';

export interface ImageRoutesOptions {
  readonly cacheControl: string;
  /** Absolute base of emitted URIs, e.g. https://thuvien.example.vn; computed per request if absent. */
  readonly baseUrl: (ctx: Koa.Context) => string;
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

function setValidators(ctx: Koa.Context, etag: string, modified: Date, cacheControl: string): boolean {
  ctx.set('ETag', etag);
  ctx.set('Last-Modified', modified.toUTCString());
  ctx.set('Cache-Control', cacheControl);
  ctx.status = 200;
  return ctx.fresh;
}

/** Koa middleware serving both API versions. */
export function imageRoutes(service: ImageService, opts: ImageRoutesOptions): Koa.Middleware {
  return async (ctx, next) => {
    const m = /^\/iiif\/([23])(\/.*)?$/.exec(ctx.path);
    if (!m) return next();
    const version = Number(m[1]) as ApiVersion;
    ctx.set('Access-Control-Allow-Origin', '*');
    if (ctx.method === 'OPTIONS') {
      ctx.set('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers') || 'Accept');
      ctx.status = 204;
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.set('Allow', 'GET, HEAD, OPTIONS');
      throw new BadRequestError('method_not_allowed', `${ctx.method} is not supported on image URIs`);
    }
    // Image errors are plain text (a browser <img> shows nothing anyway; curl shows the reason).
    ctx.state.errorFormat = 'text';
    const segments = (m[2] ?? '').split('/').slice(1);
    if (segments.length === 0 || segments[0] === '') {
      throw new BadRequestError('missing_identifier', `an image URI is /iiif/${version}/{identifier}/info.json or /iiif/${version}/{identifier}/{region}/{size}/{rotation}/{quality}.{format}`);
    }
    const id = parseIdentifier(decodeSegment(segments[0]!));
    const base = `${opts.baseUrl(ctx)}/iiif/${version}/${encodeURIComponent(id)}`;

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
      const info = await service.info(id, version, base);
      ctx.vary('Accept');
      if (setValidators(ctx, info.etag, info.modified, opts.cacheControl)) {
        ctx.status = 304;
        return;
      }
      const context = version === 3 ? CONTEXT_3 : CONTEXT_2;
      // Image API 3.0 §6.1: JSON-LD media type only when the client asks for it.
      if (/application\/ld\+json/.test(ctx.get('Accept'))) {
        ctx.type = `application/ld+json;profile="${context}"`;
      } else {
        ctx.type = 'application/json';
        if (version === 2) ctx.set('Link', `<${context}>;rel="http://www.w3.org/ns/json-ld#context";type="application/ld+json"`);
      }
      ctx.append('Link', `<${PROFILE_URI[version]}>;rel="profile"`);
      ctx.body = info.json;
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
    const prepared = await service.prepare(request);
    ctx.set('Link', `<${base}/${prepared.canonicalPath}>;rel="canonical", <${PROFILE_URI[version]}>;rel="profile"`);
    if (setValidators(ctx, prepared.etag, prepared.modified, opts.cacheControl)) {
      ctx.status = 304;
      return;
    }
    ctx.type = prepared.contentType;
    ctx.body = await service.produce(prepared);
  };
}
