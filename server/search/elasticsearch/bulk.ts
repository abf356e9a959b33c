/**
 * The sink of a rebuild: documents are buffered and written with the bulk API into the new index, in
 * batches of `maxDocs` documents or about `maxBytes` of source, whichever comes first. Items the
 * cluster rejects for load (429) are sent again after a pause; any other rejected item fails the rebuild,
 * naming the documents.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { ServiceUnavailableError } from '../../errors.js';
import type { IndexSink, PageDoc, RecordDoc } from '../index.js';
import { call } from './errors.js';
import { pageId, pageSource, recordId, recordSource } from './mapping.js';

export interface BulkOptions {
  maxDocs: number;
  maxBytes: number;
  /** Attempts after the first for items rejected with 429. */
  retries: number;
  retryDelayMs: number;
}

export const BULK_DEFAULTS: BulkOptions = { maxDocs: 500, maxBytes: 5 * 1024 * 1024, retries: 3, retryDelayMs: 500 };

interface Op {
  readonly id: string;
  readonly routing: string;
  /** The source, serialised once. */
  readonly json: string;
}

/** A bulk response with items refused for a reason other than load. */
export class BulkWriteError extends Error {
  constructor(readonly failures: readonly { id: string; status: number; reason: string }[]) {
    const shown = failures.slice(0, 5).map((f) => `${f.id} (${f.status} ${f.reason})`);
    super(`Elasticsearch refused ${failures.length} document(s) of a bulk write: ${shown.join('; ')}${failures.length > 5 ? '; …' : ''}`);
    this.name = 'BulkWriteError';
  }
}

const reasonOf = (e: estypes.ErrorCause | undefined) => (e ? `${e.type}: ${e.reason ?? ''}`.trim() : 'unknown error');

export class BulkWriter implements IndexSink {
  private ops: Op[] = [];
  private bytes = 0;
  /** Documents written so far. */
  written = 0;

  constructor(
    private readonly client: Client,
    private readonly index: string,
    private readonly opts: BulkOptions = BULK_DEFAULTS,
  ) {}

  async putRecord(doc: RecordDoc): Promise<void> {
    await this.add({ id: recordId(doc.itemId), routing: doc.itemId, json: JSON.stringify(recordSource(doc)) });
  }

  async putPage(doc: PageDoc): Promise<void> {
    await this.add({ id: pageId(doc.itemId, doc.canvas), routing: doc.itemId, json: JSON.stringify(pageSource(doc)) });
  }

  private async add(op: Op): Promise<void> {
    this.ops.push(op);
    this.bytes += op.json.length;
    if (this.ops.length >= this.opts.maxDocs || this.bytes >= this.opts.maxBytes) await this.flush();
  }

  /** Writes what is buffered. */
  async flush(): Promise<void> {
    let ops = this.ops;
    this.ops = [];
    this.bytes = 0;
    for (let attempt = 0; ops.length > 0; attempt++) {
      const batch = ops;
      const operations = batch.flatMap((o) => [{ index: { _id: o.id, routing: o.routing } }, o.json]);
      const res = await call(() => this.client.bulk<string>({ index: this.index, operations }));
      if (!res.errors) {
        this.written += batch.length;
        return;
      }
      const retry: Op[] = [];
      const failures: { id: string; status: number; reason: string }[] = [];
      res.items.forEach((item, i) => {
        const r = Object.values(item)[0];
        if (!r?.error) return;
        if (r.status === 429) retry.push(batch[i]!);
        else failures.push({ id: r._id ?? batch[i]?.id ?? '?', status: r.status, reason: reasonOf(r.error) });
      });
      if (failures.length > 0) throw new BulkWriteError(failures);
      this.written += batch.length - retry.length;
      if (attempt >= this.opts.retries) {
        throw new ServiceUnavailableError(`Search is unavailable: Elasticsearch is overloaded (429 on ${retry.length} document(s) after ${attempt + 1} attempts)`);
      }
      await new Promise((res) => setTimeout(res, this.opts.retryDelayMs * (attempt + 1)));
      ops = retry;
    }
  }
}
