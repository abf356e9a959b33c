/**
 * How long a connection may hold the server, set deliberately rather than left at Node's defaults
 * (a body trickled a byte at a time held a connection for 300 s; an honest 2 GB upload over a slow
 * line was cut at the same 300 s):
 * - headers: the whole request head within `headersSeconds`;
 * - bodies: no fixed time (an upload takes what its size and the line take), but a body must keep
 *   arriving at `bodyMinBytesPerSecond` on average, counted from its first `bodyGraceSeconds` on;
 *   slower, the connection is closed (a slow-body attack, or a client that stalled);
 * - idle: a connection with nothing coming or going for `idleSeconds` is closed (longer than a render
 *   may take: image.render.timeoutSeconds), an idle keep-alive connection after `keepAliveSeconds`.
 */
import http, { type Server } from 'node:http';
import type Koa from 'koa';

export interface Timeouts {
  readonly headersSeconds: number;
  readonly keepAliveSeconds: number;
  readonly idleSeconds: number;
  readonly bodyMinBytesPerSecond: number;
  readonly bodyGraceSeconds: number;
}

/**
 * The app's HTTP server with these timeouts. Node checks the headers' deadline every
 * `connectionsCheckingInterval` (30 s by default, which would let a slow head live 40 s): here every second.
 */
export function createHttpServer(app: Koa, t: Timeouts): Server {
  const server = http.createServer({ connectionsCheckingInterval: 1000, headersTimeout: t.headersSeconds * 1000, requestTimeout: 0 }, app.callback());
  applyTimeouts(server, t);
  return server;
}

function applyTimeouts(server: Server, t: Timeouts): void {
  server.headersTimeout = t.headersSeconds * 1000;
  server.requestTimeout = 0; // bodies are held to a rate instead (bodyRate)
  server.keepAliveTimeout = t.keepAliveSeconds * 1000;
  server.timeout = t.idleSeconds * 1000;
}

/**
 * Closes the connection of a request whose body arrives slower than the minimum rate (see above).
 * Requests without a body are not watched.
 */
export function bodyRate(t: Timeouts): Koa.Middleware {
  return async (ctx, next) => {
    const req = ctx.req;
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.complete || (!(length > 0) && req.headers['transfer-encoding'] === undefined)) return next();
    // Bytes off the socket (not 'data' events: listening would take the body from the route). A
    // second in which the request's buffer was full is ours (the route or the disk was slow), not the
    // client's, and is not counted.
    const socket = req.socket;
    const first = socket.bytesRead;
    let clientSeconds = 0;
    const watch = setInterval(() => {
      if (req.complete || socket.destroyed) return clearInterval(watch);
      if (req.readableLength < req.readableHighWaterMark) clientSeconds++;
      if (clientSeconds >= t.bodyGraceSeconds && socket.bytesRead - first < t.bodyMinBytesPerSecond * clientSeconds) {
        clearInterval(watch);
        socket.destroy();
      }
    }, 1000);
    watch.unref();
    try {
      await next();
    } finally {
      clearInterval(watch);
      // Answered before its body was read (refused, too large): Node would go on reading the rest on
      // this connection, unwatched. Closing it after the answer ends that.
      if (!req.complete && !ctx.headerSent) ctx.set('Connection', 'close');
    }
  };
}
