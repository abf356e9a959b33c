/**
 * BlobStore: where masters and derivatives live. Keys are `/`-separated relative paths of safe
 * segments; no key can reach outside the root. Every write is atomic: data goes to a temporary file
 * on the same file system, is fsynced, then renamed over the real name, so a crash never leaves a
 * half-written file under a real name.
 *
 * Backends: LocalBlobStore (disk, the default). Readers that need random access (sharp, TIFF tiles)
 * ask for `localPath(key)`.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { BadRequestError } from '../errors.js';
import { abandoned, ABANDONED_MS, OWNER, OWNER_PREFIX } from './owner.js';

export interface BlobStat {
  readonly size: number;
  readonly mtimeMs: number;
}

export interface BlobStore {
  /** Absolute path of the blob on local disk. Throws BadRequestError for an unsafe key. */
  localPath(key: string): string;
  stat(key: string): Promise<BlobStat | null>;
  read(key: string): Promise<Buffer>;
  /** A stream of the stored bytes (for large files sent over HTTP). @throws ENOENT when absent */
  readStream(key: string): Readable;
  /** Atomically writes bytes under `key`. */
  put(key: string, data: Buffer | string | Readable): Promise<void>;
  /** Atomically copies a local file under `key`, byte for byte. */
  putFile(key: string, source: string): Promise<void>;
  /**
   * Lets `write` produce a file at a temporary path; it becomes visible under `key` only when
   * `write` resolves. Used for outputs written by other libraries (sharp's toFile).
   */
  putWith(key: string, write: (tempPath: string) => Promise<void>): Promise<void>;
  /** Names directly under `prefix` (files and folders), sorted; [] when there is none. */
  list(prefix: string): Promise<string[]>;
  remove(key: string): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Checks a key segment by segment; `..`, empty, absolute, encoded or NUL-bearing keys are refused. */
export function checkKey(key: string): string[] {
  const parts = key.split('/');
  for (const p of parts) {
    if (!SEGMENT.test(p) || p.includes('..')) {
      throw new BadRequestError('invalid_key', `unsafe storage key "${key.replace(/\0/g, '\\0')}"`);
    }
  }
  return parts;
}

export class LocalBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, '.tmp');
  }

  localPath(key: string): string {
    const full = path.join(this.root, ...checkKey(key));
    // Belt and braces: the checked segments cannot climb, but the resolved path must stay inside.
    if (!full.startsWith(this.root + path.sep)) throw new BadRequestError('invalid_key', `unsafe storage key "${key}"`);
    return full;
  }

  async stat(key: string): Promise<BlobStat | null> {
    try {
      const s = await stat(this.localPath(key));
      return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  readStream(key: string): Readable {
    return createReadStream(this.localPath(key));
  }

  read(key: string): Promise<Buffer> {
    return readFile(this.localPath(key));
  }

  async putWith(key: string, write: (tempPath: string) => Promise<void>): Promise<void> {
    const target = this.localPath(key);
    await mkdir(this.tmpDir, { recursive: true });
    // Stamped with the writer (storage/owner.ts): a sweep removes a dead process's temp files at once.
    const temp = path.join(this.tmpDir, `${OWNER}.${randomBytes(6).toString('hex')}-${path.basename(target)}`);
    try {
      await write(temp);
      const fh = await open(temp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  put(key: string, data: Buffer | string | Readable): Promise<void> {
    return this.putWith(key, async (temp) => {
      if (typeof data === 'string' || Buffer.isBuffer(data)) {
        const fh = await open(temp, 'wx');
        try {
          await fh.writeFile(data);
        } finally {
          await fh.close();
        }
      } else {
        await pipeline(data, createWriteStream(temp, { flags: 'wx' }));
      }
    });
  }

  putFile(key: string, source: string): Promise<void> {
    return this.putWith(key, (temp) => copyFile(source, temp));
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix === '' ? this.root : this.localPath(prefix);
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries.filter((e) => !e.name.startsWith('.')).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.localPath(key), { recursive: true, force: true });
  }

  /**
   * Removes temp files a crash left behind: at once those of a dead process of this host; those of
   * another host (storage shared over the network), or without a stamp, when untouched for an hour.
   * Another live process (an `image add` beside the server) may be writing the others right now.
   */
  async sweepTemp(): Promise<number> {
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const s = await stat(path.join(this.tmpDir, name)).catch(() => null);
      if (!s) continue;
      const stamp = OWNER_PREFIX.exec(name);
      if (stamp ? abandoned(`${stamp[1]}.${stamp[2]}.${stamp[3]}`, s.mtimeMs) : Date.now() - s.mtimeMs > ABANDONED_MS) {
        await rm(path.join(this.tmpDir, name), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
