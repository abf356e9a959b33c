/**
 * Host names we answer to. Without `server.publicBaseUrl` our absolute URLs (manifest and info.json
 * ids, redirects) are built from the request's Host, and shared caches keep them for a day: a request
 * with someone else's Host would plant their name in our answers, and DNS rebinding would let a page of
 * theirs read ours. So with no public base URL, only the configured names are answered
 * (`server.allowedHosts`, by default the address we listen on or this machine's own addresses;
 * loopback names always); any other Host gets 400. With a public base URL the Host is never reflected and any is
 * answered (a proxy may send its own).
 */
import os from 'node:os';
import type Koa from 'koa';
import { BadRequestError } from '../errors.js';

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/** The names answered when none are configured: the bind address, loopback, and the machine's own addresses when bound to all. */
export function defaultHosts(bind: string): string[] {
  const own = bind === '0.0.0.0' || bind === '::' ? Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)) : [bind];
  return [...new Set([...own, ...LOOPBACK])];
}

/** The host name of a Host header value, lower case, without port or IPv6 brackets. */
function hostname(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

export function allowedHosts(opts: { publicBaseUrl: string; allowed: readonly string[]; bind: string }): Koa.Middleware {
  // Loopback names always: a health check on this machine uses them, and a rebinding page's Host is its own name, never these.
  const names = new Set([...(opts.allowed.length > 0 ? opts.allowed : defaultHosts(opts.bind)), ...LOOPBACK].map((h) => h.toLowerCase()));
  return async (ctx, next) => {
    if (!opts.publicBaseUrl) {
      // ctx.host: X-Forwarded-Host when a trusted proxy sent it (clientAddress), else Host.
      const name = hostname(ctx.host);
      if (!names.has(name)) {
        ctx.state.errorFormat = 'text';
        throw new BadRequestError('unknown_host', `this server does not answer to the host name "${name.slice(0, 100)}" (server.allowedHosts)`);
      }
    }
    await next();
  };
}
