/**
 * Prometheus metrics (prom-client), one registry per app so that several apps can share a process.
 * Routes name themselves in `ctx.state.route`; anything unnamed is counted as `other`, keeping the
 * label set bounded whatever URLs clients send.
 */
import type Koa from 'koa';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'vankho_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'vankho_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** How images were produced: stored JPEG sent as is (`tile_copy`, `edge_copy`, `size_copy`), or rendered: cache `hit`, `miss`, `coalesced`. */
  readonly imageOutcomes = new Counter({
    name: 'vankho_image_responses_total',
    help: 'Image responses by how they were produced',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'vankho_' });
  }

  middleware(): Koa.Middleware {
    return async (ctx, next) => {
      const end = this.duration.startTimer();
      try {
        await next();
      } finally {
        const route = typeof ctx.state.route === 'string' ? ctx.state.route : 'other';
        end({ route, method: ctx.method });
        this.requests.inc({ route, method: ctx.method, status: String(ctx.status) });
      }
    };
  }
}
