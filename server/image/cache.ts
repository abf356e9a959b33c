/**
 * DerivativeCache: rendered images on disk, keyed by the plan key (plus the source's version), bounded
 * in bytes with the least recently used entries evicted. Identical requests that arrive while one is
 * rendering wait for that render instead of starting their own.
 *
 * The index of entries lives in memory and is rebuilt from the folder at start (oldest mtime first).
 * Files are written atomically (temp + rename), so a crash leaves no half entry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClientGoneError } from '../errors.js';

export type CacheOutcome = 'hit' | 'miss' | 'coalesced';

export interface DerivativeCache {
  /**
   * Returns the cached bytes for `key`, or renders, stores and returns them. Render errors propagate.
   * A caller whose `signal` fires stops waiting at once (ClientGoneError); the render itself is told to
   * stop (its signal) only when every caller waiting for it has gone.
   */
  getOrRender(key: string, render: (signal: AbortSignal) => Promise<Buffer>, signal?: AbortSignal): Promise<{ data: Buffer; outcome: CacheOutcome }>;
}

export class DiskDerivativeCache implements DerivativeCache {
  /** hash → size; Map order is recency order (oldest first). */
  private readonly entries = new Map<string, number>();
  private readonly inFlight = new Map<string, InFlight>();
  private total = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /** Loads the index of what is already on disk. Call once before use. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const found: { hash: string; size: number; mtime: number }[] = [];
    for (const sub of await readdir(this.dir)) {
      if (sub === '.tmp') {
        await rm(path.join(this.dir, sub), { recursive: true, force: true });
        continue;
      }
      for (const name of await readdir(path.join(this.dir, sub)).catch(() => [])) {
        const s = await stat(path.join(this.dir, sub, name)).catch(() => null);
        if (s?.isFile()) found.push({ hash: name, size: s.size, mtime: s.mtimeMs });
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) this.remember(f.hash, f.size);
    await this.evict();
  }

  get bytes(): number {
    return this.total;
  }

  get count(): number {
    return this.entries.size;
  }

  private file(hash: string): string {
    return path.join(this.dir, hash.slice(0, 2), hash);
  }

  private remember(hash: string, size: number): void {
    const old = this.entries.get(hash);
    if (old !== undefined) {
      this.total -= old;
      this.entries.delete(hash);
    }
    this.entries.set(hash, size);
    this.total += size;
  }

  private async evict(): Promise<void> {
    for (const [hash, size] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(hash);
      this.total -= size;
      await rm(this.file(hash), { force: true });
    }
  }

  private async store(hash: string, data: Buffer): Promise<void> {
    if (data.length > this.maxBytes) return;
    const tmpDir = path.join(this.dir, '.tmp');
    await mkdir(tmpDir, { recursive: true });
    await mkdir(path.dirname(this.file(hash)), { recursive: true });
    const temp = path.join(tmpDir, `${hash}-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(temp, data);
      await rename(temp, this.file(hash));
    } catch (err) {
      // A full disk: the half-written temp file must not keep the space it took.
      await rm(temp, { force: true });
      throw err;
    }
    this.remember(hash, data.length);
    await this.evict();
  }

  async getOrRender(key: string, render: (signal: AbortSignal) => Promise<Buffer>, signal?: AbortSignal): Promise<{ data: Buffer; outcome: CacheOutcome }> {
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 40);
    const pending = this.inFlight.get(hash);
    // One being stopped (all its callers left) is not joined: this caller starts its own.
    if (pending && !pending.stop.signal.aborted) return { data: await this.wait(pending, signal), outcome: 'coalesced' };
    if (this.entries.has(hash)) {
      const data = await readFile(this.file(hash)).catch(() => null);
      if (data) {
        this.remember(hash, data.length);
        return { data, outcome: 'hit' };
      }
      this.total -= this.entries.get(hash) ?? 0;
      this.entries.delete(hash);
    }
    // A caller that left meanwhile starts nothing (no one would stop it).
    if (signal?.aborted) throw new ClientGoneError();
    const stop = new AbortController();
    const flight: InFlight = {
      waiters: 0,
      stop,
      work: (async () => {
        const data = await render(stop.signal);
        if (this.maxBytes > 0) {
          // A failed cache write must not fail the request: the image is already rendered.
          await this.store(hash, data).catch(() => undefined);
        }
        return data;
      })(),
    };
    flight.work.catch(() => undefined); // every waiter may have gone: no one else awaits it
    this.inFlight.set(hash, flight);
    try {
      return { data: await this.wait(flight, signal), outcome: 'miss' };
    } finally {
      // The first caller leaving early must not take the render from those still waiting.
      void flight.work.finally(() => this.inFlight.get(hash) === flight && this.inFlight.delete(hash)).catch(() => undefined);
    }
  }

  /** One more caller waiting for a render; when the last one's signal fires, the render is stopped. */
  private wait(flight: InFlight, signal: AbortSignal | undefined): Promise<Buffer> {
    if (!signal) {
      flight.waiters = Infinity; // someone who never leaves: the render always finishes
      return flight.work;
    }
    if (signal.aborted) return Promise.reject(new ClientGoneError());
    flight.waiters++;
    return new Promise<Buffer>((resolve, reject) => {
      const leave = () => {
        if (--flight.waiters === 0) flight.stop.abort();
        reject(new ClientGoneError());
      };
      signal.addEventListener('abort', leave, { once: true });
      flight.work.then(
        (data) => (signal.removeEventListener('abort', leave), resolve(data)),
        (err: unknown) => (signal.removeEventListener('abort', leave), reject(err)),
      );
    });
  }
}

interface InFlight {
  readonly work: Promise<Buffer>;
  readonly stop: AbortController;
  /** Callers waiting for it (Infinity: one that cannot leave). */
  waiters: number;
}
