/**
 * Work folders outside storage (the system's temporary folder, TMPDIR): pages rasterised from a PDF,
 * images handed to Tesseract. Each is named after its kind and its writer's stamp
 * (`vankho-ingest-{host}.{pid}.…`), so that what a killed process left is removed at the next start or
 * sweep, while another process's folders in use (a CLI beside the server) are left alone.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { abandoned, ABANDONED_MS, OWNER } from './owner.js';

export type ScratchKind = 'ingest' | 'page' | 'ocr';

/** A new, empty work folder of this process; the caller removes it when done. */
export function scratchDir(kind: ScratchKind, label = ''): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `vankho-${kind}-${OWNER}.${label ? `${label}-` : ''}`));
}

const STAMPED = /^vankho-(?:ingest|page|ocr)-([0-9a-f]{8}\.\d+\.[0-9a-z]+)\./;
/** Folders of versions before the stamp: judged by age alone. */
const UNSTAMPED = /^vankho-(?:ingest|page|ocr)-/;

/** Removes the work folders of dead processes. Returns how many. */
export async function sweepScratch(dir = os.tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!UNSTAMPED.test(name)) continue;
    const s = await stat(path.join(dir, name)).catch(() => null);
    if (!s) continue;
    const m = STAMPED.exec(name);
    if (m ? abandoned(m[1]!, s.mtimeMs) : Date.now() - s.mtimeMs > ABANDONED_MS) {
      await rm(path.join(dir, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
