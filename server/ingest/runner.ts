/**
 * Runs ingest jobs inside the server, one job at a time (pages in parallel within it): queued uploads,
 * at start-up any job a dead process left unfinished, and every few minutes jobs paused by a full or
 * read-only disk.
 */
import type { Logger } from 'pino';
import type { JobStore } from './jobs.js';
import type { IngestPipeline } from './pipeline.js';

export class IngestRunner {
  private loop: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly jobs: JobStore,
    private readonly logger: Logger,
    /** Wait before paused jobs are tried again. */
    private readonly retryMs = 300_000,
  ) {}

  /** Makes sure every resumable job gets run; cheap to call often. */
  kick(): void {
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = (async () => {
      // Everything in here is caught: a rejection would have no one awaiting it (and end the process).
      let later = false;
      try {
        do {
          this.again = false;
          for (const id of this.jobs.resumable()) {
            try {
              await this.pipeline.run(id);
            } catch (err) {
              this.logger.error({ err, job: id }, 'ingest job crashed');
            }
          }
        } while (this.again);
        // Jobs paused by a storage fault are tried again a while later (and by every upload meanwhile).
        later = this.jobs.paused().length > 0;
      } catch (err) {
        // The job table itself could not be read (SQLITE_BUSY under a long reindex, a disk fault).
        this.logger.error({ err }, 'ingest jobs could not be read; trying again later');
        later = true;
      }
      if (later && !this.retry) {
        this.retry = setTimeout(() => {
          this.retry = null;
          this.kick();
        }, this.retryMs).unref();
      }
    })().finally(() => {
      this.loop = null;
    });
  }

  /** Stops the retry timer (shutdown). */
  close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  /** Resolves when no job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }
}
