/**
 * `vankho image rebuild`: brings stored images to the current derivative format and settings
 * (PYRAMID_FORMAT, image.pyramidQuality, image.tileSize) — e.g. format-1 pyramids, whose RGB-coded
 * tiles are about four times the bytes of today's.
 *
 * Each image: a new version folder is built beside the old one, then the record is rewritten to
 * point at it (one atomic rename), then the old version is removed. A kill at any moment leaves the
 * record pointing at a whole version, old or new; a half-built folder is removed by the next run.
 * Resumable by design: images already current are skipped, so running it again continues.
 *
 * Source: the master when sharp can read it (TIFF, JPEG, PNG, WebP; the recorded page of a
 * multi-page TIFF); otherwise (a PDF page, whose master is the PDF) the stored pyramid's full level.
 */
import { existsSync } from 'node:fs';
import type { BlobStore } from '../storage/blob-store.js';
import { imageKeys, isValidImageId, pyramidKey, PYRAMID_FORMAT, type ImageRecord } from '../storage/layout.js';
import { pageIndexes, readTiffFile } from '../storage/tiff.js';
import { NotFoundError } from '../errors.js';
import { detectType, readHead } from './detect.js';
import { buildVersion, readImageRecord, removeStaleVersions, versionFields, type PyramidOptions } from './pyramid.js';

export type RebuildOutcome = 'rebuilt' | 'current';

export interface RebuildResult {
  readonly id: string;
  readonly outcome: RebuildOutcome;
  /** What the new version was made from. */
  readonly from?: 'master' | 'pyramid';
}

const READABLE_MASTERS = new Set(['tiff', 'jpeg', 'png', 'webp']);

/** Identifiers of every complete image in the store, sorted. */
export async function storedImageIds(store: BlobStore): Promise<string[]> {
  const ids: string[] = [];
  for (const name of await store.list('images')) {
    if (isValidImageId(name) && (await store.stat(imageKeys(name).record))) ids.push(name);
  }
  return ids;
}

export function isCurrent(record: ImageRecord, opts: PyramidOptions): boolean {
  return record.format === PYRAMID_FORMAT && record.quality === opts.quality && record.tileSize === opts.tileSize;
}

/** The master and page to rebuild from, or null when only the stored pyramid can serve. */
async function masterSource(store: BlobStore, record: ImageRecord): Promise<{ file: string; page: number } | null> {
  const file = store.localPath(record.masterKey);
  if (!existsSync(file)) return null;
  // By the master's own bytes: a page ingested from a PDF records the page image's format, but its
  // master is the item's PDF, which sharp cannot read.
  const type = detectType(await readHead(file));
  if (type === null || !READABLE_MASTERS.has(type)) return null;
  if (record.page !== undefined) return { file, page: record.page };
  if (type !== 'tiff') return { file, page: 0 };
  // Format 1 did not record the page: a multi-page TIFF's pages are ID-p1, ID-p2, … in page order.
  const pages = pageIndexes(await readTiffFile(file));
  if (pages.length === 1) return { file, page: pages[0]! };
  const n = /-p(\d+)$/.exec(record.id);
  const page = n ? pages[Number(n[1]) - 1] : undefined;
  return page === undefined ? null : { file, page };
}

/** @throws NotFoundError (no such image), InvalidInputError (the source no longer decodes) */
export async function rebuildImage(store: BlobStore, id: string, opts: PyramidOptions, force = false): Promise<RebuildResult> {
  const record = await readImageRecord(store, id);
  if (!record) throw new NotFoundError(`no image with identifier "${id}"`, 'unknown_image');
  if (!force && isCurrent(record, opts)) {
    await removeStaleVersions(store, record);
    return { id, outcome: 'current' };
  }
  const master = await masterSource(store, record);
  const input = master ?? { file: store.localPath(pyramidKey(record)), page: 0 };
  const built = await buildVersion(store, input.file, input.page, id, opts, record.originalName);
  const next: ImageRecord = { ...record, ...(master ? { page: master.page } : {}), ...versionFields(built, opts) };
  await store.put(imageKeys(id).record, JSON.stringify(next, null, 2));
  await removeStaleVersions(store, next);
  return { id, outcome: 'rebuilt', from: master ? 'master' : 'pyramid' };
}
