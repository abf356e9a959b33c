/**
 * Which process wrote something: `{host}.{pid}`, stamped on temporary files, work folders and open
 * journal entries, so that what a dead process left can be removed at once while what a live one (a
 * CLI beside the server) is writing is left alone. A stamp from another host (storage shared over the
 * network, another container) is never judged dead here: its leftovers go by age alone.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';

const HOST = createHash('sha1').update(os.hostname()).digest('hex').slice(0, 8);

/** This process's stamp. */
export const OWNER = `${HOST}.${process.pid}`;

/** A stamp at the start of a name: `{host}.{pid}.` */
export const OWNER_PREFIX = /^([0-9a-f]{8})\.(\d+)\./;

export function processAlive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process a stamp (`{host}.{pid}`, or a name starting with it) names is running: known
 * only on its own host. A reused pid makes a dead owner look alive: the safe way round.
 */
export function ownerState(stamp: string): 'alive' | 'gone' | 'unknown' {
  const m = OWNER_PREFIX.exec(`${stamp}.`);
  if (!m || m[1] !== HOST) return 'unknown';
  return processAlive(Number(m[2])) ? 'alive' : 'gone';
}

/** Leftovers untouched this long whose owner cannot be asked (another host) are judged abandoned. */
export const ABANDONED_MS = 3_600_000;

/** True when what `stamp` wrote at `since` (ms) can no longer be in use by its writer. */
export function abandoned(stamp: string, since: number): boolean {
  const state = ownerState(stamp);
  return state === 'gone' || (state === 'unknown' && Date.now() - since > ABANDONED_MS);
}
