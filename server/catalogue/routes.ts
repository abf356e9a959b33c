/**
 * Staff API for the catalogue: PUT creates or replaces a library, collection or item (JSON body,
 * validated; 400 names the bad field), GET reads it back. Until staff sign-in exists, writes need
 * `Authorization: Bearer <api.staffKey>`, or — when no key is configured — a client on this machine.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { BadRequestError } from '../errors.js';
import { staffOnly } from '../http/staff.js';
import { parseOrThrow } from '../validation.js';
import type { Catalogue } from './catalogue.js';
import { Id } from './schema.js';

export function catalogueRoutes(catalogue: Catalogue, opts: { staffKey: string; maxBodyBytes: number }): Router {
  const router = new Router({ prefix: '/api' });
  const staff = staffOnly(opts.staffKey);
  const body = bodyParser({ enableTypes: ['json'], jsonLimit: opts.maxBodyBytes, encoding: 'utf-8' });

  const put = (path: string, route: string, write: (input: Record<string, unknown>) => unknown) =>
    router.put(path, staff, body, async (ctx) => {
      ctx.state.route = route;
      const id = parseOrThrow(Id, ctx.params.id, 'identifier');
      if (!ctx.is('application/json')) throw new BadRequestError('invalid_body', 'send the record as JSON (Content-Type: application/json)');
      const input = ctx.request.body as unknown;
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new BadRequestError('invalid_body', 'the body must be a JSON object');
      const record = input as Record<string, unknown>;
      if (record.id !== undefined && record.id !== id) throw new BadRequestError('invalid_fields', `id: "${String(record.id)}" does not match the URL's "${id}"`);
      ctx.body = await write({ ...record, id });
    });
  put('/libraries/:id', 'api_library_put', (r) => catalogue.putLibrary(r));
  put('/collections/:id', 'api_collection_put', (r) => catalogue.putCollection(r));
  put('/items/:id', 'api_item_put', (r) => catalogue.putItem(r));

  router.get('/libraries/:id', (ctx) => {
    ctx.state.route = 'api_library_get';
    ctx.body = catalogue.getLibrary(parseOrThrow(Id, ctx.params.id, 'identifier'));
  });
  router.get('/collections/:id', (ctx) => {
    ctx.state.route = 'api_collection_get';
    ctx.body = catalogue.getCollection(parseOrThrow(Id, ctx.params.id, 'identifier'));
  });
  router.get('/items/:id', (ctx) => {
    ctx.state.route = 'api_item_get';
    ctx.body = catalogue.getItem(parseOrThrow(Id, ctx.params.id, 'identifier'));
  });
  return router;
}
