/**
 * Telling "our disk is full or read-only" from "your file is bad". Node and SQLite say it with error
 * codes; libvips, poppler and Tesseract only in their messages (`system error: No space left on
 * device`), which carry the strerror text of the C library (English: the server runs them with its
 * own locale, and libvips always appends it in this form).
 */
import { rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, StorageFaultError } from '../errors.js';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const READ_ONLY = new Set(['EROFS', 'SQLITE_READONLY']);
const FAILED = new Set(['EIO', 'SQLITE_IOERR', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN']);

/** The C library's words, as a program ends a line with them (`…: No space left on device.`). */
const MESSAGES: readonly [RegExp, 'full' | 'read_only' | 'failed'][] = [
  [/(?:^|: )(?:No space left on device|Disk quota exceeded)\.?$/m, 'full'],
  [/(?:^|: )Read-only file system\.?$/m, 'read_only'],
  [/(?:^|: )Input\/output error\.?$/m, 'failed'],
];

function fault(kind: 'full' | 'read_only' | 'failed'): StorageFaultError {
  switch (kind) {
    case 'full':
      return new StorageFaultError(507, 'storage_full', "the server's storage is full: nothing was lost or refused; try again once space has been freed");
    case 'read_only':
      return new StorageFaultError(503, 'storage_read_only', "the server's storage is read-only just now: nothing was lost or refused; try again later");
    case 'failed':
      return new StorageFaultError(503, 'storage_failed', "the server's storage failed to read or write: nothing was refused; try again later");
  }
}

/**
 * The StorageFaultError an error stands for, or null when it is no storage failure (a bad input, a
 * bug). SQLite's extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED…) count as their base.
 */
export function storageFault(err: unknown): StorageFaultError | null {
  if (err instanceof StorageFaultError) return err;
  if (err instanceof AppError || !(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    const base = code.startsWith('SQLITE_') ? code.split('_').slice(0, 2).join('_') : code;
    if (FULL.has(base)) return fault('full');
    if (READ_ONLY.has(base)) return fault('read_only');
    if (FAILED.has(base)) return fault('failed');
  }
  // Paths taken out first: a file may be named after an error.
  const message = withoutPaths(err.message);
  for (const [pattern, kind] of MESSAGES) if (pattern.test(message)) return fault(kind);
  return null;
}

/** `message` (a library's, about a file of ours) without the server's paths: each absolute path becomes its file name. */
export function withoutPaths(message: string): string {
  return message.replace(/(?<![\w:/.])(?:\/[^\s/:'"()]+)+\/([^\s/:'"()]+)/g, '$1');
}

/**
 * A program (poppler, Tesseract) that wrote into `dir` failed (`err`: execFile's error, its stderr
 * kept): the storage fault its words or its disk show, or null when the disk is fine.
 */
export async function programFault(err: unknown, dir: string): Promise<StorageFaultError | null> {
  const e = err as { stderr?: unknown; code?: unknown };
  return storageFault(Object.assign(new Error(`${e.stderr ?? ''}`), { code: e.code })) ?? (await diskFault(dir));
}

/** Below this much free space, a write that failed is taken to have failed for want of room. */
const NEARLY_FULL = 1 << 20;

/**
 * After a program that wrote into `dir` failed without saying why in words we know (poppler's
 * `libpng error: Write Error`, Tesseract's): is `dir`'s file system full or read-only? Asked at once,
 * before the program's partial output is removed. Null: the disk is fine, the input was the cause.
 */
export async function diskFault(dir: string): Promise<StorageFaultError | null> {
  try {
    const s = await statfs(dir);
    if (s.bavail * s.bsize < NEARLY_FULL) return fault('full');
    const probe = path.join(dir, `.vankho-probe-${process.pid}`);
    await writeFile(probe, 'probe');
    await rm(probe, { force: true });
    return null;
  } catch (err) {
    return storageFault(err);
  }
}
