/**
 * Ingest jobs, persisted in SQLite: a job holds items, an item holds pages, each with its state.
 * A process claims a job with a lease (its owner stamp); a job whose owner died is claimed again, so a
 * restart resumes unfinished work. Input sources already ingested are remembered by sha256.
 */
import { abandoned, OWNER } from '../storage/owner.js';
import { randomUUID } from 'node:crypto';
import type { Db, Migration } from '../storage/sqlite.js';

export const INGEST_MIGRATIONS: readonly Migration[] = [
  {
    version: 3,
    name: 'ingest jobs',
    sql: `
      CREATE TABLE ingest_jobs (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        collection_id TEXT NOT NULL,
        metadata TEXT NOT NULL,
        state TEXT NOT NULL,
        owner_pid INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE ingest_items (
        job_id TEXT NOT NULL REFERENCES ingest_jobs(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        item_id TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT NOT NULL,
        message TEXT,
        PRIMARY KEY (job_id, position)
      );
      CREATE TABLE ingest_pages (
        job_id TEXT NOT NULL,
        item_position INTEGER NOT NULL,
        position INTEGER NOT NULL,
        source TEXT NOT NULL,
        stage TEXT NOT NULL,
        message TEXT,
        PRIMARY KEY (job_id, item_position, position),
        FOREIGN KEY (job_id, item_position) REFERENCES ingest_items(job_id, position) ON DELETE CASCADE
      );
      CREATE TABLE ingest_sources (
        sha256 TEXT PRIMARY KEY,
        item_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    // Leases by owner stamp (host.pid.start, storage/owner.ts), not by bare pid: a CLI container and a
    // server container both run as pid 1, and a restarted container's pid 1 is another process.
    version: 13,
    name: 'ingest job owner stamps',
    sql: `
      ALTER TABLE ingest_jobs ADD COLUMN owner TEXT;
    `,
  },
];

/** `paused`: stopped by a storage fault (disk full, read-only); resumed like a queued job. */
export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'failed';
/** An item: `pending`, `done`, `partial` (some pages refused), `duplicate` (already ingested), `failed`. */
export type ItemState = 'pending' | 'done' | 'partial' | 'duplicate' | 'failed';
export type PageStage = 'pending' | 'pyramid' | 'ocr' | 'indexed' | 'rejected';

export interface JobItemInput {
  readonly itemId: string;
  readonly source: string;
}

export interface JobStatus {
  readonly id: string;
  readonly source: string;
  readonly collection: string;
  readonly state: JobState;
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly items: {
    readonly position: number;
    readonly itemId: string;
    readonly source: string;
    readonly state: ItemState;
    readonly message: string | null;
    readonly pages: { readonly position: number; readonly source: string; readonly stage: PageStage; readonly message: string | null }[];
  }[];
}

const now = () => new Date().toISOString();

/**
 * A running job's lease is held while its owner runs. An owner on another host (another container)
 * cannot be asked: its lease holds until the job has not moved for an hour (a job touches its row at
 * every page). Leases from before owner stamps (a bare pid) count as released.
 */
const heldBy = (owner: string | null, updatedAt: string) => owner !== null && !abandoned(owner, Date.parse(updatedAt));

export class JobStore {
  constructor(private readonly db: Db) {}

  create(source: string, collection: string, metadata: unknown): string {
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO ingest_jobs (id, source, collection_id, metadata, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, source, collection, JSON.stringify(metadata ?? null), 'queued', now(), now());
    return id;
  }

  /** An unfinished job for the same source and collection, to resume rather than start again. */
  findUnfinished(source: string, collection: string): string | null {
    return (this.db.prepare("SELECT id FROM ingest_jobs WHERE source = ? AND collection_id = ? AND state IN ('queued', 'running', 'paused') ORDER BY created_at LIMIT 1").pluck().get(source, collection) as string | undefined) ?? null;
  }

  /** Claims a job for this process if it is queued, or running under a process that is gone. */
  claim(id: string, owner = OWNER): boolean {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT state, owner, updated_at FROM ingest_jobs WHERE id = ?').get(id) as { state: JobState; owner: string | null; updated_at: string } | undefined;
      if (!row || row.state === 'done' || row.state === 'failed') return false;
      if (row.state === 'running' && row.owner !== owner && heldBy(row.owner, row.updated_at)) return false;
      this.db.prepare("UPDATE ingest_jobs SET state = 'running', owner = ?, owner_pid = NULL, error = NULL, updated_at = ? WHERE id = ?").run(owner, now(), id);
      return true;
    })();
  }

  /** Jobs a new process should pick up: queued ones and those whose owner died. */
  resumable(): string[] {
    const rows = this.db.prepare("SELECT id, state, owner, updated_at FROM ingest_jobs WHERE state IN ('queued', 'running', 'paused') ORDER BY created_at").all() as { id: string; state: JobState; owner: string | null; updated_at: string }[];
    return rows.filter((r) => r.state !== 'running' || r.owner === OWNER || !heldBy(r.owner, r.updated_at)).map((r) => r.id);
  }

  /** Jobs stopped by a storage fault. */
  paused(): string[] {
    return this.db.prepare("SELECT id FROM ingest_jobs WHERE state = 'paused' ORDER BY created_at").pluck().all() as string[];
  }

  job(id: string): { source: string; collection: string; metadata: unknown; state: JobState } | null {
    const row = this.db.prepare('SELECT source, collection_id, metadata, state FROM ingest_jobs WHERE id = ?').get(id) as { source: string; collection_id: string; metadata: string; state: JobState } | undefined;
    return row ? { source: row.source, collection: row.collection_id, metadata: JSON.parse(row.metadata), state: row.state } : null;
  }

  /** Records the job's plan once: its items and their pages. Planning again is a no-op. */
  plan(id: string, items: { itemId: string; source: string; pages: string[] }[]): void {
    this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM ingest_items WHERE job_id = ?').get(id)) return;
      items.forEach((item, i) => {
        this.db.prepare("INSERT INTO ingest_items (job_id, position, item_id, source, state) VALUES (?, ?, ?, ?, 'pending')").run(id, i + 1, item.itemId, item.source);
        item.pages.forEach((p, j) => this.db.prepare("INSERT INTO ingest_pages (job_id, item_position, position, source, stage) VALUES (?, ?, ?, ?, 'pending')").run(id, i + 1, j + 1, p));
      });
    })();
  }

  setPage(id: string, item: number, page: number, stage: PageStage, message: string | null = null): void {
    this.db.prepare('UPDATE ingest_pages SET stage = ?, message = ? WHERE job_id = ? AND item_position = ? AND position = ?').run(stage, message, id, item, page);
    this.touch(id);
  }

  setItem(id: string, item: number, state: ItemState, message: string | null = null): void {
    this.db.prepare('UPDATE ingest_items SET state = ?, message = ? WHERE job_id = ? AND position = ?').run(state, message, id, item);
    this.touch(id);
  }

  /** Stops a job for a reason of ours (a storage fault): resumable, its pages untouched. */
  pause(id: string, reason: string): void {
    this.db.prepare("UPDATE ingest_jobs SET state = 'paused', error = ?, owner = NULL, updated_at = ? WHERE id = ?").run(reason, now(), id);
  }

  finish(id: string, state: 'done' | 'failed', error: string | null = null): void {
    this.db.prepare('UPDATE ingest_jobs SET state = ?, error = ?, owner = NULL, updated_at = ? WHERE id = ?').run(state, error, now(), id);
  }

  private touch(id: string): void {
    this.db.prepare('UPDATE ingest_jobs SET updated_at = ? WHERE id = ?').run(now(), id);
  }

  /** Every job's source, state and last change (for the retention of uploads and quarantine). */
  all(): { id: string; source: string; state: JobState; updatedAt: string }[] {
    return this.db.prepare('SELECT id, source, state, updated_at AS updatedAt FROM ingest_jobs').all() as { id: string; source: string; state: JobState; updatedAt: string }[];
  }

  /** The item a source (by sha256) was already ingested as, if any. */
  ingestedAs(sha256: string): string | null {
    return (this.db.prepare('SELECT item_id FROM ingest_sources WHERE sha256 = ?').pluck().get(sha256) as string | undefined) ?? null;
  }

  rememberSource(sha256: string, itemId: string, jobId: string): void {
    this.db.prepare('INSERT OR IGNORE INTO ingest_sources (sha256, item_id, job_id, created_at) VALUES (?, ?, ?, ?)').run(sha256, itemId, jobId, now());
  }

  status(id: string): JobStatus | null {
    const job = this.db.prepare('SELECT * FROM ingest_jobs WHERE id = ?').get(id) as Record<string, string> | undefined;
    if (!job) return null;
    const items = this.db.prepare('SELECT position, item_id AS itemId, source, state, message FROM ingest_items WHERE job_id = ? ORDER BY position').all(id) as JobStatus['items'][number][];
    const pages = this.db.prepare('SELECT item_position, position, source, stage, message FROM ingest_pages WHERE job_id = ? ORDER BY item_position, position').all(id) as { item_position: number; position: number; source: string; stage: PageStage; message: string | null }[];
    return {
      id,
      source: job.source!,
      collection: job.collection_id!,
      state: job.state as JobState,
      error: job.error ?? null,
      createdAt: job.created_at!,
      updatedAt: job.updated_at!,
      items: items.map((it) => ({
        ...it,
        pages: pages.filter((p) => p.item_position === it.position).map(({ position, source, stage, message }) => ({ position, source, stage, message })),
      })),
    };
  }
}
