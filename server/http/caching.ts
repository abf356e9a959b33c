/** HTTP validators and CORS shared by every public, cacheable route. */
import type Koa from 'koa';

/**
 * Sets ETag, Last-Modified (when known) and Cache-Control, and says whether the client's copy is
 * fresh (then answer 304 and skip the work).
 */
export function setValidators(ctx: Koa.Context, etag: string, modified: Date | null, cacheControl: string): boolean {
  ctx.set('ETag', etag);
  if (modified) ctx.set('Last-Modified', modified.toUTCString());
  ctx.set('Cache-Control', cacheControl);
  ctx.status = 200;
  return ctx.fresh;
}

/** IIIF resources are for everyone's viewers (Image API 3.0 §7.1, Presentation 3.0 §6.3). */
export function allowAnyOrigin(ctx: Koa.Context): boolean {
  ctx.set('Access-Control-Allow-Origin', '*');
  if (ctx.method !== 'OPTIONS') return false;
  ctx.set('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
  ctx.set('Allow', 'GET, HEAD, OPTIONS');
  ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers') || 'Accept');
  ctx.status = 204;
  return true;
}

/** JSON-LD only when asked for (IIIF APIs §6.1); plain JSON otherwise. */
export function jsonLdType(ctx: Koa.Context, context: string): string {
  return /application\/ld\+json/.test(ctx.get('Accept')) ? `application/ld+json;profile="${context}"` : 'application/json';
}

/** CORS for every request under a path prefix, preflight included. */
export function corsFor(prefix: string): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.path.startsWith(prefix) && allowAnyOrigin(ctx)) return;
    await next();
  };
}

/**
 * Cache-Control of a response that depends on who asks: the configured public value when anyone would
 * get the same, `private` otherwise (never stored by a shared cache). Either way the response varies on
 * the credentials, so a cache never hands one reader's answer to another.
 */
export function setAccessCaching(ctx: Koa.Context, isPublic: boolean, publicValue: string): string {
  ctx.vary('Authorization');
  ctx.vary('Cookie');
  return isPublic ? publicValue : 'private, no-cache';
}
