/**
 * Staff-only routes until staff sign-in exists: `Authorization: Bearer <api.staffKey>`, or — when no
 * key is configured — a client on the server's own machine.
 */
import type Koa from 'koa';
import { ForbiddenError } from '../errors.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function staffOnly(staffKey: string): Koa.Middleware {
  return async (ctx, next) => {
    const allowed = staffKey ? ctx.get('Authorization') === `Bearer ${staffKey}` : LOOPBACK.test(ctx.request.socket.remoteAddress ?? '');
    if (!allowed) {
      throw new ForbiddenError(staffKey ? 'a valid staff key is required (Authorization: Bearer …)' : 'staff requests are accepted from this machine only until a staff key is configured');
    }
    await next();
  };
}
