/**
 * Prometheus metrics (prom-client), one registry per app so that several apps can share a process.
 * Routes name themselves in `ctx.state.route`; anything unnamed is counted as `other`, keeping the
 * label set bounded whatever URLs clients send.
 */
import type Koa from 'koa';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RenderPoolStats } from '../image/render-pool.js';

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

  /**
   * The render pool, read when scraped: renders running and waiting (and the limits), and counts of
   * renders done, refused (queue full: 503), cancelled (client left), timed out and crashed.
   */
  watchRenderPool(stats: () => RenderPoolStats): void {
    const gauge = (name: string, help: string, pick: (s: RenderPoolStats) => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(pick(stats())); } });
    gauge('vankho_render_workers', 'Render processes at most', (s) => s.workers);
    gauge('vankho_render_running', 'Renders running now', (s) => s.running);
    gauge('vankho_render_queued', 'Renders waiting for a process now', (s) => s.queued);
    gauge('vankho_render_queue_limit', 'Renders that may wait at most; more are refused with 503', (s) => s.queueLimit);
    const counter = (name: string, help: string, pick: (s: RenderPoolStats) => number) =>
      new Counter({ name, help, registers: [this.registry], collect() { this.reset(); this.inc(pick(stats())); } });
    counter('vankho_render_completed_total', 'Renders finished', (s) => s.completed);
    counter('vankho_render_rejected_total', 'Renders refused because the queue was full (503 overloaded)', (s) => s.rejected);
    counter('vankho_render_cancelled_total', 'Renders dropped or stopped because the client left', (s) => s.cancelled);
    counter('vankho_render_timed_out_total', 'Renders stopped for taking longer than image.render.timeoutSeconds', (s) => s.timedOut);
    counter('vankho_render_crashed_total', 'Render processes that died under a render', (s) => s.crashed);
  }

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
