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

/** A Host value as RFC 9110 allows it: a name or IPv4 address, or an IPv6 address in brackets, and a port. */
const HOST_VALUE = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::\d{1,5})?$/;

/** The host name of a Host header value, lower case, without port, brackets or a final dot; null when malformed. */
function hostname(host: string): string | null {
  const m = HOST_VALUE.exec(host.toLowerCase());
  if (!m) return null;
  return (m[1] ?? m[2]!).replace(/\.$/, '');
}

export function allowedHosts(opts: { publicBaseUrl: string; allowed: readonly string[]; bind: string }): Koa.Middleware {
  // Loopback names always: a health check on this machine uses them, and a rebinding page's Host is its own name, never these.
  const names = new Set([...(opts.allowed.length > 0 ? opts.allowed : defaultHosts(opts.bind)), ...LOOPBACK].map((h) => h.toLowerCase()));
  return async (ctx, next) => {
    if (!opts.publicBaseUrl) {
      // ctx.host: X-Forwarded-Host when a trusted proxy sent it (clientAddress), else Host.
      const name = hostname(ctx.host);
      if (name === null || !names.has(name)) {
        ctx.state.errorFormat = 'text';
        throw new BadRequestError('unknown_host', name === null ? 'the Host header is not a host name and port' : `this server does not answer to the host name "${name.slice(0, 100)}" (server.allowedHosts)`);
      }
    }
    await next();
  };
}
