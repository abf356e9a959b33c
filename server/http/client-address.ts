/**
 * Who is on the other end: the client's address and the scheme/host it used, believed from
 * X-Forwarded-For/-Proto/-Host only when the request came from a trusted proxy (`server.trustProxy`).
 * From anyone else those headers are removed before any other middleware reads them, so a forged
 * X-Forwarded-For cannot put a client in the reading room, and a forged X-Forwarded-Proto cannot make
 * us think a plain-HTTP request was secure. The address is proxy-addr's: the nearest untrusted hop.
 */
import type Koa from 'koa';
import proxyaddr from 'proxy-addr';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];

export function clientAddress(trusted: readonly string[]): Koa.Middleware {
  const trust = proxyaddr.compile([...trusted]);
  return async (ctx, next) => {
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (!trust(peer, 0)) for (const h of FORWARDED) delete ctx.req.headers[h];
    ctx.state.clientAddress = proxyaddr(ctx.req, trust);
    await next();
  };
}
