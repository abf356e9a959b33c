/**
 * Retention of what ingest keeps for staff beyond the catalogue: uploads (`storage/uploads/`, the
 * files of `POST /api/ingest` as they arrived) and refused files (`storage/quarantine/<job>/`, with
 * their reasons). Both are kept while their job runs and for a configured time after it ends
 * (`ingest.retention`), then removed. Masters are not affected: an ingested page's master is copied
 * into `images/` (or the item's original into `items/`) before its job ends.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../storage/blob-store.js';
import { ABANDONED_MS } from '../storage/owner.js';
import type { JobState, JobStore } from './jobs.js';

export interface Retention {
  readonly uploadsDays: number;
  readonly quarantineDays: number;
}

const DAY = 86_400_000;
/** Queued, running and paused jobs keep what they read and refused. */
const ENDED: readonly JobState[] = ['done', 'failed'];

/** Removes uploads and quarantined files past their time. Returns how many folders of each. */
export async function sweepKept(store: BlobStore, jobs: JobStore, retention: Retention, now = Date.now()): Promise<{ uploads: number; quarantine: number }> {
  const all = jobs.all();
  const removed = { uploads: 0, quarantine: 0 };
  const folderTime = async (key: string) => (await stat(store.localPath(key)).catch(() => null))?.mtimeMs ?? now;
  // An upload's folder: the jobs reading from it. None yet (written, job not created): by age alone,
  // and never within the hour (the job is created right after the upload lands).
  for (const name of await store.list('uploads')) {
    const dir = store.localPath(`uploads/${name}`);
    const of = all.filter((j) => j.source === dir || j.source.startsWith(dir + path.sep));
    if (of.some((j) => !ENDED.includes(j.state))) continue;
    const ended = of.length > 0 ? Math.max(...of.map((j) => Date.parse(j.updatedAt))) : await folderTime(`uploads/${name}`);
    const keep = Math.max(retention.uploadsDays * DAY, of.length > 0 ? 0 : ABANDONED_MS);
    if (now - ended > keep) {
      await store.remove(`uploads/${name}`);
      removed.uploads++;
    }
  }
  for (const jobId of await store.list('quarantine')) {
    const job = all.find((j) => j.id === jobId);
    if (job && !ENDED.includes(job.state)) continue;
    const ended = job ? Date.parse(job.updatedAt) : await folderTime(`quarantine/${jobId}`);
    if (now - ended > retention.quarantineDays * DAY) {
      await store.remove(`quarantine/${jobId}`);
      removed.quarantine++;
    }
  }
  return removed;
}
