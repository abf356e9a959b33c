/**
 * Staff API for the catalogue: PUT creates or replaces a library, collection or item (JSON body,
 * validated; 400 names the bad field), GET reads it back as stored, DELETE removes an item (from the
 * catalogue and the search index; its images stay stored). Staff of the record's library only
 * (a signed-in librarian or administrator, or the staff key): the archive service asks the policy.
 * Cross-site writes are refused before anything else (`http/same-origin.ts`).
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type Koa from 'koa';
import { BadRequestError } from '../errors.js';
import type { Archive } from '../archive/service.js';
import { identityOf } from '../auth/identity.js';
import type { Identity } from '../auth/policy.js';
import { parseOrThrow } from '../validation.js';
import { Id } from './schema.js';

export function catalogueRoutes(archive: Archive, opts: { maxBodyBytes: number }): Router {
  const router = new Router({ prefix: '/api' });
  // Credentials first: nobody without a staff role gets the server to read, parse or validate a body.
  const staff: Koa.Middleware = async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    archive.requireAnyStaff(identityOf(ctx));
    await next();
  };
  const body = bodyParser({ enableTypes: ['json'], jsonLimit: opts.maxBodyBytes, encoding: 'utf-8' });

  const put = (path: string, route: string, write: (identity: Identity, input: Record<string, unknown>) => unknown) =>
    router.put(path, staff, body, async (ctx) => {
      ctx.state.route = route;
      const id = parseOrThrow(Id, ctx.params.id, 'identifier');
      if (!ctx.is('application/json')) throw new BadRequestError('invalid_body', 'send the record as JSON (Content-Type: application/json)');
      const input = ctx.request.body as unknown;
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new BadRequestError('invalid_body', 'the body must be a JSON object');
      const record = input as Record<string, unknown>;
      if (record.id !== undefined && record.id !== id) throw new BadRequestError('invalid_fields', `id: "${String(record.id)}" does not match the URL's "${id}"`);
      ctx.body = await write(identityOf(ctx), { ...record, id });
    });
  put('/libraries/:id', 'api_library_put', (who, r) => archive.putLibrary(who, r));
  put('/collections/:id', 'api_collection_put', (who, r) => archive.putCollection(who, r));
  put('/items/:id', 'api_item_put', (who, r) => archive.putItem(who, r));

  router.delete('/items/:id', staff, async (ctx) => {
    ctx.state.route = 'api_item_delete';
    await archive.deleteItem(identityOf(ctx), parseOrThrow(Id, ctx.params.id, 'identifier'));
    ctx.status = 204;
  });

  router.get('/libraries/:id', staff, async (ctx) => {
    ctx.state.route = 'api_library_get';
    ctx.body = await archive.staffLibrary(identityOf(ctx), parseOrThrow(Id, ctx.params.id, 'identifier'));
  });
  router.get('/collections/:id', staff, async (ctx) => {
    ctx.state.route = 'api_collection_get';
    ctx.body = await archive.staffCollection(identityOf(ctx), parseOrThrow(Id, ctx.params.id, 'identifier'));
  });
  router.get('/items/:id', staff, async (ctx) => {
    ctx.state.route = 'api_item_get';
    ctx.body = await archive.staffItem(identityOf(ctx), parseOrThrow(Id, ctx.params.id, 'identifier'));
  });
  return router;
}
