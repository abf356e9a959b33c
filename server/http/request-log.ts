/** One pino line per request: method, path, status, ms. */
import type Koa from 'koa';
import type { Logger } from 'pino';

export function requestLog(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      logger.info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round((performance.now() - start) * 10) / 10 },
        'request',
      );
    }
  };
}
