/**
 * Which process wrote something: `{host}.{pid}.{start}`, stamped on temporary files, work folders,
 * open journal entries and ingest job leases, so that what a dead process left can be removed (or
 * taken over) at once while what a live one (a CLI beside the server) is writing is left alone.
 * `start` is the process's start time (Linux: /proc/<pid>/stat, in clock ticks since boot): a
 * container restarted with the same host name runs its server as pid 1 again, and only the start time
 * tells that pid 1 from the one that died. A stamp from another host (storage shared over the network,
 * another container) is never judged dead here: its leftovers go by age alone.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const HOST = createHash('sha1').update(os.hostname()).digest('hex').slice(0, 8);

/** Start time of a process as base-36 clock ticks since boot; '0' where /proc cannot tell. */
function startOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the command name's closing parenthesis (field 2).
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]).toString(36);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && process.platform === 'linux' ? null : '0';
  }
}

/** This process's stamp. */
export const OWNER = `${HOST}.${process.pid}.${startOf(process.pid) ?? '0'}`;

/** A stamp at the start of a name: `{host}.{pid}.{start}.` */
export const OWNER_PREFIX = /^([0-9a-f]{8})\.(\d+)\.([0-9a-z]+)\./;

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
 * Whether the process a stamp (or a name starting with it) names is running: known only on its own
 * host. A pid reused within the same clock tick of its start would look alive: the safe way round.
 */
export function ownerState(stamp: string): 'alive' | 'gone' | 'unknown' {
  const m = OWNER_PREFIX.exec(`${stamp}.`);
  if (!m || m[1] !== HOST) return 'unknown';
  const pid = Number(m[2]);
  if (!processAlive(pid)) return 'gone';
  const start = startOf(pid);
  // null: the pid vanished meanwhile; '0' on either side: no /proc, the pid alone must do.
  if (start === null) return 'gone';
  return start === m[3] || start === '0' || m[3] === '0' ? 'alive' : 'gone';
}

/** Leftovers untouched this long whose owner cannot be asked (another host) are judged abandoned. */
export const ABANDONED_MS = 3_600_000;

/** True when what `stamp` wrote at `since` (ms) can no longer be in use by its writer. */
export function abandoned(stamp: string, since: number): boolean {
  const state = ownerState(stamp);
  return state === 'gone' || (state === 'unknown' && Date.now() - since > ABANDONED_MS);
}
