/**
 * Runs an ingest job: plan → per item: duplicate check, malware screening, pages (image + pyramid,
 * OCR → ALTO + lines, in parallel up to `concurrency`), index, catalogue row. Every step is idempotent
 * and checks storage before working, so a job killed anywhere resumes where it stopped; every write is
 * atomic, and the catalogue row is written last, so an item is visible only when complete.
 * A refused file is quarantined with its reason; the other files of the batch go on.
 */
import { programFault, storageFault, withoutPaths } from '../storage/faults.js';
import { scratchDir } from '../storage/scratch.js';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { Catalogue } from '../catalogue/catalogue.js';
import { ItemSchema } from '../catalogue/schema.js';
import { AppError, InvalidInputError, NotFoundError } from '../errors.js';
import type { SearchIndex } from '../search/index.js';
import { Indexer } from '../search/indexer.js';
import type { BlobStore } from '../storage/blob-store.js';
import { sha256File } from '../storage/hash.js';
import { itemKeys, readImageRecord } from '../storage/layout.js';
import { parseOrThrow } from '../validation.js';
import { describeUnknown, detectType, EXTENSION, readHead } from './detect.js';
import type { JobStore, PageStage } from './jobs.js';
import type { MalwareScanner } from './malware.js';
import type { ItemMetadata } from './metadata.js';
import { ocrSettings, type Ocr, type OcrSettings } from './ocr.js';
import { extractPdfPages, type PdfPage } from './pdf-images.js';
import { addImage, idFromFileName, type PyramidOptions } from './pyramid.js';
import { recognisePage } from './recognise.js';
import { parsePageSource, planSources } from './sources.js';

const run = promisify(execFile);

export interface IngestOptions {
  /** Pages worked on at once (OCR dominates: one core each). */
  readonly concurrency: number;
  readonly maxPdfPages: number;
  /** Resolution at which PDF pages that are not a single embedded scan are rasterised. */
  readonly pdfDpi: number;
  /** Rights of an item whose metadata gives none (a librarian reviews it later). */
  readonly defaultRights: string;
  readonly pyramid: PyramidOptions;
}

export interface IngestDeps {
  readonly store: BlobStore;
  readonly catalogue: Catalogue;
  readonly index: SearchIndex;
  readonly jobs: JobStore;
  readonly ocr: Ocr;
  readonly scanner: MalwareScanner | null;
  readonly logger: Logger;
  readonly options: IngestOptions;
}

/** Emitted as `progress` by IngestPipeline.events for every page stage reached (progress bars). */
export interface ProgressEvent {
  readonly jobId: string;
  readonly item: number;
  readonly itemId: string;
  readonly page: number;
  readonly pages: number;
  readonly stage: PageStage | 'item-done';
}

interface JobMetadata {
  readonly items?: ItemMetadata[];
}

/** Runs `work` over `items`, at most `limit` at a time. */
/**
 * Runs `work` over `items`, `limit` at a time. After a failure no new item starts; the call settles
 * only when every started one has (so that no work outlives the job's work folder), then throws the
 * first failure.
 */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure = null as { err: unknown } | null;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !failure) {
        try {
          await work(items[next++]!);
        } catch (err) {
          failure ??= { err };
        }
      }
    }),
  );
  if (failure) throw failure.err;
}

/** What a failure that is neither a refused input nor a storage fault tells staff: no server detail. */
function failureMessage(err: unknown): string {
  return err instanceof AppError ? err.publicMessage : `internal error (${err instanceof Error ? err.name : 'unknown'}; details in the server log)`;
}

export class IngestPipeline {
  readonly events = new EventEmitter<{ progress: [ProgressEvent] }>();

  private readonly indexer: Indexer;

  constructor(private readonly deps: IngestDeps) {
    this.indexer = new Indexer(deps.catalogue, deps.store, deps.index);
  }

  /** Runs (or resumes) a job to its end. Returns false when another live process holds it. */
  async run(jobId: string): Promise<boolean> {
    const { jobs, logger } = this.deps;
    if (!jobs.claim(jobId)) return false;
    const job = jobs.job(jobId)!;
    try {
      if (jobs.status(jobId)!.items.length === 0) {
        const planned = await planSources(job.source, { maxPdfPages: this.deps.options.maxPdfPages });
        jobs.plan(jobId, planned.map((p) => ({ itemId: this.metadataFor(job.metadata as JobMetadata, p.name)?.id ?? p.itemId, source: p.source, pages: p.pages })));
      }
      const work = await scratchDir('ingest', jobId.slice(0, 8));
      try {
        for (const item of jobs.status(jobId)!.items) {
          if (item.state !== 'pending') continue;
          try {
            await this.item(jobId, job.collection, job.metadata as JobMetadata, item, work);
          } catch (err) {
            // Our disk, not the item: the whole job waits (below).
            const fault = storageFault(err);
            if (fault) throw fault;
            logger.error({ err, jobId, item: item.itemId }, 'ingest item failed');
            jobs.setItem(jobId, item.position, 'failed', failureMessage(err));
          }
        }
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      const items = jobs.status(jobId)!.items;
      jobs.finish(jobId, items.length > 0 && items.every((i) => i.state === 'failed') ? 'failed' : 'done');
    } catch (err) {
      const fault = storageFault(err);
      if (fault) {
        // Full or read-only storage: nothing was refused; the job waits and is resumed (IngestRunner, --resume).
        logger.error({ err, jobId }, 'ingest job paused: storage fault');
        jobs.pause(jobId, fault.publicMessage);
      } else {
        logger.error({ err, jobId }, 'ingest job failed');
        jobs.finish(jobId, 'failed', failureMessage(err));
      }
    }
    return true;
  }

  private metadataFor(meta: JobMetadata | null, name: string): ItemMetadata | undefined {
    return meta?.items?.find((m) => m.path === name || path.basename(m.path) === name);
  }

  private async item(jobId: string, collection: string, meta: JobMetadata, item: { position: number; itemId: string; source: string; pages: { position: number; source: string; stage: PageStage }[] }, work: string): Promise<void> {
    const { jobs, store, catalogue } = this.deps;
    const name = path.basename(item.source);
    const m = this.metadataFor(meta, name);
    // The description is checked before any work, so a bad metadata row costs nothing.
    const description = { title: { vi: name }, languages: ['vi'], rights: this.deps.options.defaultRights, ...(m?.description ?? {}) };
    const record = parseOrThrow(ItemSchema, { id: item.itemId, collection, kind: m?.kind ?? 'book', accessLevel: m?.accessLevel ?? 'public', description, canvases: [{ image: 'placeholder' }] }, `metadata of ${name}`);

    // A PDF or TIFF is one document file; anything else is a folder of page files.
    const documentType = await this.documentType(item.source);
    const documentFile = documentType ? item.source : null;
    // The same input twice is not ingested twice.
    const sourceSha = await this.sourceSha(documentFile, item.pages.map((p) => p.source));
    const already = jobs.ingestedAs(sourceSha);
    if (already && already !== item.itemId && (await this.exists(already))) {
      jobs.setItem(jobId, item.position, 'duplicate', `already ingested as item "${already}"`);
      return;
    }

    if (documentFile && this.deps.scanner) await this.screen(jobId, item.position, documentFile, item.pages.map((p) => p.position));
    const sharedMaster = documentType ? itemKeys(item.itemId).original(EXTENSION[documentType]) : undefined;
    // The document is kept once, as the item's original (its pages' images point at it).
    if (sharedMaster && !(await store.stat(sharedMaster))) await store.putFile(sharedMaster, item.source);

    const settings = ocrSettings(record.description);
    let pdfPages: Promise<PdfPage[]> | undefined;
    await pool(item.pages, this.deps.options.concurrency, async (page) => {
      if (page.stage === 'rejected' || page.stage === 'indexed') return;
      const imageId = `${item.itemId}-p${page.position}`;
      try {
        const src = parsePageSource(page.source);
        let file = src.file;
        if (src.kind === 'pdf') {
          pdfPages ??= extractPdfPages(src.file, this.deps.options.maxPdfPages);
          file = await this.pdfPage(src.file, src.index, await pdfPages, work, item.position);
        } else if (!documentFile && this.deps.scanner) {
          await this.screen(jobId, item.position, file, [page.position]);
        }
        await this.image(file, imageId, src.kind === 'tiff' ? src.index : undefined, sharedMaster);
        this.progress(jobId, item, page.position, 'pyramid');
        await this.recognise(imageId, settings, { file, page: src.kind === 'tiff' ? src.index : 0 });
        this.progress(jobId, item, page.position, 'ocr');
      } catch (err) {
        // Only the page's own fault refuses it; ours (disk full, a bug) and a conflict with another
        // process (the image being replaced there: 409) stop the item or the job.
        if (!(err instanceof AppError) || err.status >= 500 || err.status === 409) throw err;
        await this.quarantine(jobId, item.position, page.position, page.source, err.publicMessage);
        jobs.setPage(jobId, item.position, page.position, 'rejected', err.publicMessage);
      }
    });

    const pages = jobs.status(jobId)!.items.find((i) => i.position === item.position)!.pages;
    const accepted = pages.filter((p) => p.stage !== 'rejected');
    if (accepted.length === 0) {
      jobs.setItem(jobId, item.position, 'failed', 'no page could be used: ' + pages.map((p) => p.message).join('; '));
      return;
    }
    // The catalogue row, then the index from it (pages from the stored OCR, then the record).
    await catalogue.putItem({ ...record, canvases: accepted.map((p, i) => ({ image: `${item.itemId}-p${p.position}`, label: `Trang ${i + 1}` })) });
    await this.indexer.item(item.itemId, { pages: true });
    for (const p of accepted) jobs.setPage(jobId, item.position, p.position, 'indexed');
    jobs.rememberSource(sourceSha, item.itemId, jobId);
    const rejected = pages.length - accepted.length;
    jobs.setItem(jobId, item.position, rejected > 0 ? 'partial' : 'done', rejected > 0 ? `${rejected} of ${pages.length} pages refused` : null);
    this.events.emit('progress', { jobId, item: item.position, itemId: item.itemId, page: pages.length, pages: pages.length, stage: 'item-done' });
  }

  private progress(jobId: string, item: { position: number; itemId: string; pages: unknown[] }, page: number, stage: PageStage): void {
    this.deps.jobs.setPage(jobId, item.position, page, stage);
    this.events.emit('progress', { jobId, item: item.position, itemId: item.itemId, page, pages: item.pages.length, stage });
  }

  private async exists(itemId: string): Promise<boolean> {
    try {
      await this.deps.catalogue.getItemVersion(itemId);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /** `pdf` or `tiff` when the source is such a file (one document); null for a folder or an image. */
  private async documentType(source: string): Promise<'pdf' | 'tiff' | null> {
    if (!(await stat(source).catch(() => null))?.isFile()) return null;
    const type = detectType(await readHead(source));
    return type === 'pdf' || type === 'tiff' ? type : null;
  }

  /** sha256 of the document file, or of a folder's page files' hashes in order. */
  private async sourceSha(documentFile: string | null, pages: string[]): Promise<string> {
    if (documentFile) return sha256File(documentFile);
    const hash = createHash('sha256');
    for (const p of pages) hash.update(`${await sha256File(parsePageSource(p).file).catch(() => 'unreadable')}\n`);
    return hash.digest('hex');
  }

  private async screen(jobId: string, item: number, file: string, pages: number[]): Promise<void> {
    const result = await this.deps.scanner!.scan(file);
    if (!result.infected) return;
    const message = `${path.basename(file)}: infected (${result.signature}); quarantined`;
    for (const p of pages) {
      await this.quarantine(jobId, item, p, `file:${file}`, message);
      this.deps.jobs.setPage(jobId, item, p, 'rejected', message);
    }
    throw new InvalidInputError('infected', message);
  }

  private async pdfPage(file: string, page: number, pages: PdfPage[], work: string, item: number): Promise<string> {
    const out = path.join(work, `${item}-${page}`);
    const p = pages[page - 1];
    if (p?.jpeg) {
      await writeFile(`${out}.jpg`, p.jpeg);
      return `${out}.jpg`;
    }
    // A page box of a few bytes can ask for an image of any size: what it would make at the configured
    // resolution is checked against the bomb limit before poppler makes it.
    if (p) {
      const dpi = this.deps.options.pdfDpi;
      const [w, h] = [Math.ceil((p.widthPt / 72) * dpi), Math.ceil((p.heightPt / 72) * dpi)];
      const limit = this.deps.options.pyramid.maxInputPixels;
      if (w * h > limit) {
        const inches = (pt: number) => (pt / 72).toFixed(1);
        throw new InvalidInputError(
          'page_too_large',
          `${path.basename(file)}, page ${page}: ${inches(p.widthPt)} × ${inches(p.heightPt)} in at ${dpi} dpi would be ${w}×${h} = ${w * h} pixels, over the limit of ${limit} (image.maxInputPixels)`,
        );
      }
    }
    // Not a single embedded scan: rasterise with poppler at the configured resolution.
    try {
      await run('pdftoppm', ['-r', String(this.deps.options.pdfDpi), '-f', String(page), '-l', String(page), '-singlefile', '-png', file, out]);
    } catch (err) {
      // A full or read-only TMPDIR first: poppler may even crash on it (SIGSEGV) rather than say so.
      const fault = await programFault(err, work);
      if (fault) throw fault;
      // Stopped by a signal otherwise (out of memory, a shutdown): ours, not the page's.
      const signal = (err as { signal?: string | null }).signal;
      if (signal) throw new Error(`pdftoppm was stopped by ${signal}`);
      const stderr = `${(err as { stderr?: string }).stderr ?? ''}`;
      throw new InvalidInputError('corrupt_file', `${path.basename(file)}, page ${page}: poppler could not rasterise it (${withoutPaths(stderr.split('\n')[0] ?? '').slice(0, 200)})`);
    }
    return `${out}.png`;
  }

  /** Adds the page image unless the same bytes are already stored under its identifier. */
  private async image(file: string, imageId: string, page: number | undefined, sharedMaster: string | undefined): Promise<void> {
    const { store } = this.deps;
    const existing = await readImageRecord(store, imageId);
    if (existing && existing.masterSha256 === (await sha256File(file))) return;
    const head = await readHead(file);
    if (detectType(head) === null) {
      throw new InvalidInputError('unsupported_format', `${path.basename(file)}: not an image we can read: ${describeUnknown(head)}`);
    }
    await addImage(store, file, { id: imageId, replace: true, ...(page !== undefined ? { page } : {}), ...(sharedMaster ? { sharedMaster } : {}), journal: this.deps.catalogue }, this.deps.options.pyramid);
  }

  private recognise(imageId: string, settings: OcrSettings, source: { file: string; page: number }): Promise<void> {
    return recognisePage(this.deps.store, this.deps.ocr, imageId, settings, source, this.deps.options.pyramid);
  }

  private async quarantine(jobId: string, item: number, page: number, source: string, reason: string): Promise<void> {
    const file = parsePageSource(source).file;
    const base = `quarantine/${jobId}/${item}-${page}-${idFromFileName(file)}`;
    if (await this.deps.store.stat(`${base}.reason.txt`)) return;
    await this.deps.store.putFile(`${base}.bin`, file).catch(() => undefined);
    await this.deps.store.put(`${base}.reason.txt`, `${file}\n${reason}\n`);
  }
}

