/**
 * Runs ingest jobs inside the server, one job at a time (pages in parallel within it): queued uploads,
 * and at start-up any job a dead process left unfinished.
 */
import type { Logger } from 'pino';
import type { JobStore } from './jobs.js';
import type { IngestPipeline } from './pipeline.js';

export class IngestRunner {
  private loop: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly jobs: JobStore,
    private readonly logger: Logger,
  ) {}

  /** Makes sure every resumable job gets run; cheap to call often. */
  kick(): void {
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = (async () => {
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
    })().finally(() => {
      this.loop = null;
    });
  }

  /** Resolves when no job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }
}
