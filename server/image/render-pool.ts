/**
 * The bounded pool that renders images (the heavy work: decoding a pyramid level, resizing, rotating,
 * encoding), in child processes so that a render can be stopped: sharp cannot abort a libvips pipeline,
 * but a process can be killed. Cheap answers — stored tiles and sizes copied out, cache hits, info.json —
 * never come here (service.ts), so they never wait behind renders.
 *
 * - At most `workers` renders run at once, one a process; at most `queue` more wait, in order.
 * - A request that finds the queue full is refused at once: 503 `overloaded` with Retry-After.
 * - When the client leaves (`signal`), its render is dropped from the queue, or its process killed.
 * - A render running longer than `timeoutMs` is killed: 503 `render_timeout`.
 * - A process that dies (out of memory, a crash in libvips) fails its render with a 500 and is replaced.
 * Processes start when first needed and stay for the next render.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClientGoneError, ServiceUnavailableError } from '../errors.js';
import type { RenderOptions } from './pipeline.js';
import type { ImagePlan } from './plan.js';
import type { RenderMessage, RenderReply } from './render-worker.js';
import type { StoredImage } from './source.js';

export interface RenderPoolOptions {
  /** Renders at once (processes). */
  readonly workers: number;
  /** Renders waiting at most, beyond those running. */
  readonly queue: number;
  /** A render running longer is stopped. */
  readonly timeoutMs: number;
}

/** What the pool did since it started (metrics, /readyz). */
export interface RenderPoolStats {
  readonly workers: number;
  readonly running: number;
  readonly queued: number;
  readonly queueLimit: number;
  readonly completed: number;
  /** Refused because the queue was full. */
  readonly rejected: number;
  /** Dropped (queued) or stopped (running) because the client left. */
  readonly cancelled: number;
  readonly timedOut: number;
  /** Render processes that died under a render. */
  readonly crashed: number;
}

interface Job {
  readonly id: number;
  readonly message: RenderMessage;
  readonly resolve: (data: Buffer) => void;
  readonly reject: (err: Error) => void;
  readonly signal?: AbortSignal;
  onAbort?: () => void;
  worker?: Worker;
  timer?: NodeJS.Timeout;
  started?: number;
  /** Handed to its process (which may not have begun it yet). */
  sent?: boolean;
  /** The process said it began the render. */
  acknowledged?: boolean;
  /** Answered already (the client left during the render's grace): the process's reply is dropped. */
  settled?: boolean;
  /** Times given to another process because its own died before beginning it (at most once). */
  attempts?: number;
}

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  job: Job | null;
}

/** A running render whose client left is let finish within this time from its start, else killed. */
const CANCEL_GRACE_MS = 1000;

const shuttingDown = () => new ServiceUnavailableError('the image server is shutting down', 5, 'shutting_down');

/** The worker script beside this file: .ts when run from source (tsx), .js when built. */
const here = fileURLToPath(import.meta.url);
const WORKER_SCRIPT = here.replace(/render-pool\.([cm]?[jt]s)$/, 'render-worker.$1');

export class RenderPool {
  private readonly workers = new Set<Worker>();
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Mean render time (ms, moving), for Retry-After. */
  private meanMs = 500;
  private counts = { completed: 0, rejected: 0, cancelled: 0, timedOut: 0, crashed: 0 };
  private busyLatch = false;

  constructor(private readonly opts: RenderPoolOptions) {}

  /**
   * Renders in a pool process. @throws ServiceUnavailableError (`overloaded`: queue full;
   * `render_timeout`), ClientGoneError (the signal fired), or the render's own error (its message and
   * `code` kept: a missing file is told apart by the caller).
   */
  run(image: StoredImage, plan: ImagePlan, opts: RenderOptions, signal?: AbortSignal, how: { wait?: boolean } = {}): Promise<Buffer> {
    if (signal?.aborted) return Promise.reject(new ClientGoneError());
    if (this.closed) return Promise.reject(shuttingDown());
    // `wait`: the server's own work (an item's PDF, page by page) queues past the limit rather than fail.
    if (this.saturated() && !how.wait) {
      this.busyLatch = true;
      this.counts.rejected++;
      return Promise.reject(
        new ServiceUnavailableError(
          `the image server is busy: ${this.opts.workers} image(s) rendering and ${this.waiting.length} waiting; try again shortly`,
          this.retryAfter(),
          'overloaded',
        ),
      );
    }
    return new Promise<Buffer>((resolve, reject) => {
      const id = this.nextId++;
      const job: Job = { id, message: { id, image, plan, opts }, resolve, reject, signal };
      if (signal) {
        job.onAbort = () => this.cancel(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.waiting.push(job);
      this.dispatch();
    });
  }

  /** Whether a render asked now would be refused (the queue is full): readiness reports it. */
  saturated(): boolean {
    return this.idleWorkers() === 0 && this.waiting.length >= this.opts.queue;
  }

  /**
   * Readiness with hysteresis, so that a balancer does not flap: busy from the moment the queue is
   * full until it has drained to half.
   */
  busy(): boolean {
    if (this.saturated()) this.busyLatch = true;
    else if (this.waiting.length <= Math.floor(this.opts.queue / 2)) this.busyLatch = false;
    return this.busyLatch;
  }

  stats(): RenderPoolStats {
    const running = [...this.workers].filter((w) => w.job).length;
    return { workers: this.opts.workers, running, queued: this.waiting.length, queueLimit: this.opts.queue, ...this.counts };
  }

  /** Stops every process; queued renders fail with 503. */
  close(): void {
    this.closed = true;
    for (const job of this.waiting.splice(0)) this.settle(job, shuttingDown());
    for (const w of this.workers) this.kill(w, shuttingDown());
  }

  /** Seconds until a place is likely free: the queue ahead, at the mean render time. */
  private retryAfter(): number {
    return Math.max(1, Math.min(60, Math.ceil(((this.waiting.length + 1) * this.meanMs) / this.opts.workers / 1000)));
  }

  private idleWorkers(): number {
    let idle = this.opts.workers - this.workers.size;
    for (const w of this.workers) if (!w.job) idle++;
    return idle;
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && !this.closed) {
      let worker = [...this.workers].find((w) => !w.job);
      if (!worker && this.workers.size < this.opts.workers) {
        try {
          worker = this.spawn();
        } catch (err) {
          // fork threw (out of memory): the waiting renders fail as ours, none is left hanging.
          for (const job of this.waiting.splice(0)) this.settle(job, new Error(`could not start a render process: ${(err as Error).message}`));
          return;
        }
      }
      if (!worker) return;
      const job = this.waiting.shift()!;
      worker.job = job;
      job.worker = worker;
      const w = worker;
      w.ready.then(
        () => {
          if (w.job !== job) return;
          // The render's time starts when its process has it (a new process takes a while to start).
          job.started = performance.now();
          job.timer = setTimeout(() => {
            this.counts.timedOut++;
            this.kill(w, new ServiceUnavailableError(`rendering this image took longer than ${this.opts.timeoutMs / 1000} s and was stopped; ask for a smaller size`, 30, 'render_timeout'));
          }, this.opts.timeoutMs);
          job.sent = true;
          w.child.send(job.message);
        },
        () => undefined, // the exit handler fails the job
      );
    }
  }

  private spawn(): Worker {
    // From source, the child needs tsx's loader as this process has it (mocha, tsx).
    const execArgv = WORKER_SCRIPT.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
    const child = fork(WORKER_SCRIPT, [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let ready!: () => void;
    let failed!: (err: Error) => void;
    const worker: Worker = { child, ready: new Promise<void>((res, rej) => ((ready = res), (failed = rej))), job: null };
    worker.ready.catch(() => undefined); // a job waiting on it is failed by the exit handler
    this.workers.add(worker);
    child.on('message', (reply: RenderReply) => {
      if ('ready' in reply) return ready();
      const job = worker.job;
      if (!job || job.id !== reply.id) return;
      if ('started' in reply) {
        job.acknowledged = true;
        return;
      }
      worker.job = null;
      if ('data' in reply) {
        this.counts.completed++;
        this.meanMs = 0.8 * this.meanMs + 0.2 * (performance.now() - job.started!);
        this.settle(job, null, ownBuffer(reply.data));
      } else {
        this.settle(job, Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      }
      this.dispatch();
    });
    // A fork that fails (EMFILE, EAGAIN…) emits 'error' and no 'exit': both end the worker, once.
    const ended = (code: number | null, sig: NodeJS.Signals | null) => {
      failed(new Error('render process exited'));
      if (!this.workers.delete(worker)) return; // killed by us, or ended already
      if (worker.job?.settled) {
        // Its client had left already (the grace after cancelling): nothing to render again.
        worker.job = null;
      } else if (worker.job && !worker.job.acknowledged && (worker.job.attempts ?? 0) < 1) {
        // It died before the render began (killed while idle, the job sent meanwhile): another process takes it.
        const job = worker.job;
        worker.job = null;
        clearTimeout(job.timer);
        job.worker = undefined;
        job.attempts = (job.attempts ?? 0) + 1;
        this.waiting.unshift(job);
      } else if (worker.job) {
        this.counts.crashed++;
        this.settle(worker.job, new Error(`the render process stopped (${sig ?? `exit ${code}`}) while rendering ${worker.job.message.image.id}`));
        worker.job = null;
      }
      this.dispatch();
    };
    child.on('error', () => ended(null, null));
    child.on('exit', ended);
    // The server may exit without closing the pool: the channel does not keep it alive.
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    return worker;
  }

  /** Kills a worker's process, failing its render with `err`; another is started for the queue. */
  private kill(worker: Worker, err: Error): void {
    this.workers.delete(worker);
    worker.child.kill('SIGKILL');
    const job = worker.job;
    worker.job = null;
    if (job) this.settle(job, err);
    this.dispatch();
  }

  /**
   * The client left. A queued render is dropped; one given to a process that has not received it yet
   * (the process still starting) is taken back; one running is left to finish if it ends within
   * CANCEL_GRACE_MS of its start (a new process costs more than a short render: a reader zooming
   * cancels many), and killed otherwise.
   */
  private cancel(job: Job): void {
    this.counts.cancelled++;
    const worker = job.worker;
    if (!worker) {
      const at = this.waiting.indexOf(job);
      if (at >= 0) this.waiting.splice(at, 1);
      this.settle(job, new ClientGoneError());
      return;
    }
    if (worker.job !== job) return;
    if (!job.sent) {
      worker.job = null;
      job.worker = undefined;
      this.settle(job, new ClientGoneError());
      this.dispatch();
      return;
    }
    this.settle(job, new ClientGoneError());
    const left = CANCEL_GRACE_MS - (performance.now() - (job.started ?? performance.now()));
    job.timer = setTimeout(() => {
      if (worker.job === job) this.kill(worker, new ClientGoneError());
    }, Math.max(0, left));
  }

  private settle(job: Job, err: Error | null, data?: Buffer): void {
    clearTimeout(job.timer);
    if (job.settled) return;
    job.settled = true;
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (err) job.reject(err);
    else job.resolve(data!);
  }
}

/**
 * The bytes as a Buffer over its own memory: what arrives over IPC is a view into a larger message
 * buffer, and some readers (pdf-lib's JPEG embedder) read the whole underlying buffer, not the view.
 */
function ownBuffer(data: Uint8Array): Buffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return Buffer.from(data.buffer, 0, data.byteLength);
  const own = Buffer.allocUnsafeSlow(data.byteLength);
  own.set(data);
  return own;
}
