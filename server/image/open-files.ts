/**
 * Files the image server reads over and over (pyramids, extras), kept open: a stored tile or size is
 * then one positioned read, not open + read + close (three trips to libuv's thread pool, most of the
 * latency of a copied tile). At most `max` are open, least recently used closed first. A handle is
 * closed only after a grace period, so reads already under way finish; the same holds for `retire`,
 * which a source calls when an image's version changes (a removed file's space is freed on close).
 */
import { open, type FileHandle } from 'node:fs/promises';

const GRACE_MS = 10_000;

export class OpenFiles {
  /** path → handle; Map order is recency (oldest first). */
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(
    private readonly max = 256,
    private readonly graceMs = GRACE_MS,
  ) {}

  /** An open handle for `path` (opened on first use). Rejects as `open` would (ENOENT…). */
  handle(path: string): Promise<FileHandle> {
    let fh = this.handles.get(path);
    if (fh) {
      this.handles.delete(path);
    } else {
      fh = open(path, 'r');
      // A failed open is not kept: the next request tries again.
      fh.catch(() => this.handles.get(path) === fh && this.handles.delete(path));
      this.evict();
    }
    this.handles.set(path, fh);
    return fh;
  }

  /** Reads `length` bytes at `offset`; short reads are an error (the index promised more). */
  async read(path: string, offset: number, length: number): Promise<Buffer> {
    const fh = await this.handle(path);
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    if (bytesRead !== length) throw new Error(`${path}: ${bytesRead} of ${length} bytes at ${offset}`);
    return buf;
  }

  /** Closes (after the grace period) the handles of files no longer current. */
  retire(...paths: (string | null)[]): void {
    for (const p of paths) {
      const fh = p === null ? undefined : this.handles.get(p);
      if (!fh) continue;
      this.handles.delete(p!);
      this.later(fh);
    }
  }

  private evict(): void {
    while (this.handles.size >= this.max) {
      const [oldest, fh] = this.handles.entries().next().value as [string, Promise<FileHandle>];
      this.handles.delete(oldest);
      this.later(fh);
    }
  }

  private later(fh: Promise<FileHandle>): void {
    setTimeout(() => fh.then((h) => h.close()).catch(() => undefined), this.graceMs).unref();
  }

  /** How many files are open for new reads (retired ones closing are not counted). */
  get size(): number {
    return this.handles.size;
  }
}
