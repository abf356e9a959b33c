/**
 * Files the image server reads over and over (pyramids, extras), kept open: a stored tile or size is
 * then one positioned read, not open + read + close (three trips to libuv's thread pool, most of the
 * latency of a copied tile). At most `max` files are kept, least recently used dropped first. A dropped
 * file — evicted, or retired because its image's version changed — is closed as soon as no read is
 * using it (a removed file's disk space is freed then), so open handles stay at `max` plus reads under
 * way.
 */
import { open, type FileHandle } from 'node:fs/promises';

interface Entry {
  readonly fh: Promise<FileHandle>;
  users: number;
  dropped: boolean;
}

export class OpenFiles {
  /** path → entry; Map order is recency (oldest first). */
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max = 256) {}

  /** Runs `fn` with an open handle for `path` (opened on first use). Rejects as `open` would (ENOENT…). */
  async use<T>(path: string, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    let entry = this.entries.get(path);
    if (entry) {
      this.entries.delete(path);
    } else {
      entry = { fh: open(path, 'r'), users: 0, dropped: false };
      this.evict();
    }
    this.entries.set(path, entry);
    entry.users++;
    try {
      return await fn(await entry.fh);
    } catch (err) {
      // A failed open is not kept: the next request tries again.
      if (this.entries.get(path) === entry && (await entry.fh.then(() => false, () => true))) this.drop(path);
      throw err;
    } finally {
      entry.users--;
      if (entry.dropped && entry.users === 0) close(entry);
    }
  }

  /** Reads `length` bytes at `offset`; short reads are an error (the index promised more). */
  read(path: string, offset: number, length: number): Promise<Buffer> {
    return this.use(path, async (fh) => {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      if (bytesRead !== length) throw new Error(`${path}: ${bytesRead} of ${length} bytes at ${offset}`);
      return buf;
    });
  }

  /** Drops the files of a version no longer current: closed once reads under way are done. */
  retire(...paths: (string | null)[]): void {
    for (const p of paths) if (p !== null) this.drop(p);
  }

  /** Drops every file (shutting down): each is closed once the reads under way are done. */
  closeAll(): void {
    for (const p of [...this.entries.keys()]) this.drop(p);
  }

  /** Files kept open for new reads. */
  get size(): number {
    return this.entries.size;
  }

  private drop(path: string): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    entry.dropped = true;
    if (entry.users === 0) close(entry);
  }

  private evict(): void {
    while (this.entries.size >= this.max) this.drop(this.entries.keys().next().value as string);
  }
}

function close(entry: Entry): void {
  entry.fh.then((h) => h.close()).catch(() => undefined);
}
