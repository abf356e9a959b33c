/**
 * Ingest over HTTP for librarians (staff only): a streaming upload of one scan, multi-page TIFF or PDF
 * becomes a job; its status as JSON and its progress as server-sent events.
 *
 *   POST /api/ingest?collection=ID[&item=ID][&filename=NAME][&title=…]   body: the file → 202 {job}
 *   GET  /api/ingest/jobs/{job}            GET /api/ingest/jobs/{job}/events
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Archive } from '../archive/service.js';
import { identityOf } from '../auth/identity.js';
import { Id } from '../catalogue/schema.js';
import { NotFoundError, PayloadTooLargeError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { withoutPaths } from '../storage/faults.js';
import { INGEST_ITEM_ID_RULE, isValidIngestItemId } from '../storage/layout.js';
import { parseOrThrow } from '../validation.js';
import type { JobStatus, JobStore } from './jobs.js';
import { idFromFileName } from './pyramid.js';
import type { IngestRunner } from './runner.js';

const UploadQuery = z.object({
  collection: Id,
  item: Id.refine(isValidIngestItemId, INGEST_ITEM_ID_RULE).optional(),
  filename: z.string().min(1).max(255).default('upload'),
  title: z.string().trim().min(1).max(500).optional(),
});

export interface IngestRoutesDeps {
  readonly store: BlobStore;
  readonly jobs: JobStore;
  readonly runner: IngestRunner;
  readonly archive: Archive;
  readonly maxUploadBytes: number;
}

/** Counts bytes and fails the stream past the limit. */
function limit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) done(new PayloadTooLargeError(`the upload is over the limit of ${max} bytes (ingest.maxUploadBytes)`));
      else done(null, chunk);
    },
  });
}

/** A source as staff see it over HTTP: its file or folder name (and page), never the server's path. */
function sourceName(source: string): string {
  const page = /^(file|tiff|pdf):(.*?)(?:#(\d+))?$/.exec(source);
  if (!page) return path.basename(source);
  return `${path.basename(page[2]!)}${page[3] ? `#${page[3]}` : ''}`;
}

/** The job as answered over HTTP: every source named, not located. */
export function publicStatus(s: JobStatus): JobStatus {
  const said = (m: string | null) => m && withoutPaths(m);
  return {
    ...s,
    source: sourceName(s.source),
    error: said(s.error),
    items: s.items.map((i) => ({ ...i, source: sourceName(i.source), message: said(i.message), pages: i.pages.map((p) => ({ ...p, source: sourceName(p.source), message: said(p.message) })) })),
  };
}

function summary(s: JobStatus) {
  return {
    state: s.state,
    error: s.error,
    items: s.items.map((i) => ({
      itemId: i.itemId,
      state: i.state,
      message: i.message,
      pages: i.pages.length,
      pagesDone: i.pages.filter((p) => p.stage === 'ocr' || p.stage === 'indexed').length,
      pagesRefused: i.pages.filter((p) => p.stage === 'rejected').length,
    })),
  };
}

export function ingestRoutes(deps: IngestRoutesDeps): Router {
  const router = new Router({ prefix: '/api/ingest' });
  // Uploads: staff of the target collection's library; job status: any staff.
  const staff: Koa.Middleware = async (ctx, next) => {
    deps.archive.requireAnyStaff(identityOf(ctx));
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
  const status = (id: string) => {
    const s = deps.jobs.status(id);
    if (!s) throw new NotFoundError(`no ingest job "${id}"`, 'unknown_job');
    return publicStatus(s);
  };

  router.post('/', staff, async (ctx) => {
    ctx.state.route = 'api_ingest_upload';
    const q = parseOrThrow(UploadQuery, ctx.query, 'query');
    await deps.archive.requireStaffOfCollection(identityOf(ctx), q.collection);
    await deps.archive.collection(identityOf(ctx), q.collection);
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > deps.maxUploadBytes) throw new PayloadTooLargeError(`the upload (${declared} bytes) is over the limit of ${deps.maxUploadBytes} bytes (ingest.maxUploadBytes)`);
    const dot = q.filename.lastIndexOf('.');
    const ext = dot > 0 ? q.filename.slice(dot + 1).toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 5) : '';
    const name = `${idFromFileName(q.filename)}${ext ? `.${ext}` : ''}`;
    const itemId = q.item ?? idFromFileName(q.filename);
    const folder = `uploads/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const key = `${folder}/${name}`;
    await deps.store.putWith(key, (temp) => pipeline(ctx.req, limit(deps.maxUploadBytes), createWriteStream(temp)));
    const metadata = { items: [{ path: name, id: itemId, description: q.title ? { title: { vi: q.title } } : {} }] };
    const job = deps.jobs.create(deps.store.localPath(key), q.collection, metadata);
    deps.runner.kick();
    ctx.status = 202;
    ctx.body = { job, status: `/api/ingest/jobs/${job}`, events: `/api/ingest/jobs/${job}/events` };
  });

  router.get('/jobs/:id', staff, (ctx) => {
    ctx.state.route = 'api_ingest_job';
    ctx.body = status(String(ctx.params.id));
  });

  // Progress as server-sent events, read from the job store, so jobs run by another process show too.
  router.get('/jobs/:id/events', staff, async (ctx) => {
    ctx.state.route = 'api_ingest_events';
    const id = String(ctx.params.id);
    status(id);
    ctx.req.socket.setTimeout(0);
    ctx.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    ctx.status = 200;
    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200);
    let last = '';
    let closed = false;
    ctx.req.on('close', () => (closed = true));
    const deadline = Date.now() + 6 * 3600_000;
    while (!closed && Date.now() < deadline) {
      const s = status(id);
      const data = JSON.stringify(summary(s));
      if (data !== last) {
        res.write(`event: progress\ndata: ${data}\n\n`);
        last = data;
      }
      // A paused job (our storage failed) ends the stream too: it resumes on its own, watch it again later.
      if (s.state === 'done' || s.state === 'failed' || s.state === 'paused') {
        res.write(`event: end\ndata: ${JSON.stringify({ state: s.state })}\n\n`);
        break;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    res.end();
  });
  return router;
}
