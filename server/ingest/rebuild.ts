/**
 * `vankho image rebuild`: brings stored images to the current derivative format and settings
 * (PYRAMID_FORMAT, image.pyramidQuality, image.tileSize) — e.g. format-1 pyramids, whose RGB-coded
 * tiles are about four times the bytes of today's.
 *
 * Each image: a new version folder is built beside the old one, then the record is rewritten to
 * point at it (one atomic rename), then the old version is removed. A kill at any moment leaves the
 * record pointing at a whole version, old or new; a half-built folder is removed by the next run.
 * Resumable by design: images already current are skipped, so running it again continues.
 * Beside other writers: a rebuild re-reads the record just before switching and gives way if the image
 * was replaced meanwhile; only versions older than the current one are removed (version names sort by
 * time), so a version another process is still building is left alone.
 *
 * Source: the master when sharp can read it (TIFF, JPEG, PNG, WebP; the recorded page of a
 * multi-page TIFF); otherwise (a PDF page, whose master is the PDF) the stored pyramid's full level.
 */
import { abandoned, OWNER } from '../storage/owner.js';
import { existsSync } from 'node:fs';
import type { BlobStore } from '../storage/blob-store.js';
import { imageKeys, isValidImageId, pyramidKey, PYRAMID_FORMAT, readImageRecord, type ImageRecord } from '../storage/layout.js';
import { pageIndexes, readTiffFile } from '../storage/tiff.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { detectType, readHead } from './detect.js';
import { buildVersion, removeStaleVersions, versionFields, type ImageChangeJournal, type PyramidOptions } from './pyramid.js';

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

/** Built in today's format with today's settings, and its files are there. */
export async function isCurrent(store: BlobStore, record: ImageRecord, opts: PyramidOptions): Promise<boolean> {
  if (record.format !== PYRAMID_FORMAT || record.quality !== opts.quality || record.tileSize !== opts.tileSize || !record.version) return false;
  const keys = imageKeys(record.id).version(record.version);
  return Boolean((await store.stat(keys.pyramid)) && (await store.stat(keys.extras)));
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
  // Format 1 did not record the page. Only `image add` of a multi-page TIFF (its master kept beside
  // page 1, `images/ID-p1/master.tif`) names its pages ID-p1, ID-p2, … in page order; an ingested
  // item numbers pages across all its files, so there the page is unknown: use the pyramid.
  const pages = pageIndexes(await readTiffFile(file));
  if (pages.length === 1) return { file, page: pages[0]! };
  const n = /^(.*)-p(\d+)$/.exec(record.id);
  if (!n || !record.masterKey.startsWith(`${imageKeys(`${n[1]}-p1`).dir}/`)) return null;
  const page = pages[Number(n[2]) - 1];
  return page === undefined ? null : { file, page };
}

/**
 * @throws NotFoundError (no such image), InvalidInputError (the source no longer decodes, or is not
 * the same picture), ConflictError (the image was replaced while it was being rebuilt).
 */
export async function rebuildImage(store: BlobStore, id: string, opts: PyramidOptions, force = false, journal?: ImageChangeJournal): Promise<RebuildResult> {
  if (!(await readImageRecord(store, id))) throw new NotFoundError(`no image with identifier "${id}"`, 'unknown_image');
  // The journal makes it exclusive with a replacement in another process (ConflictError), whose
  // version folder this rebuild's cleanup would otherwise remove.
  await journal?.beginImageChanges([id], OWNER, (c) => !abandoned(c.owner, Date.parse(c.startedAt)));
  try {
    return await rebuild(store, id, opts, force);
  } finally {
    await journal?.settleImageChanges([id], OWNER).catch(() => undefined);
  }
}

async function rebuild(store: BlobStore, id: string, opts: PyramidOptions, force: boolean): Promise<RebuildResult> {
  const record = await readImageRecord(store, id);
  if (!record) throw new NotFoundError(`no image with identifier "${id}"`, 'unknown_image');
  const master = await masterSource(store, record);
  // --force does not re-encode what can only come from the pyramid again (each pass would lose a little).
  if ((await isCurrent(store, record, opts)) && (!force || !master)) {
    await removeStaleVersions(store, record);
    return { id, outcome: 'current' };
  }
  const input = master ?? { file: store.localPath(pyramidKey(record)), page: 0 };
  const built = await buildVersion(store, input.file, input.page, id, opts, record.originalName);
  const discard = () => store.remove(imageKeys(id).version(built.version).dir);
  if (built.width !== record.width || built.height !== record.height) {
    await discard();
    throw new InvalidInputError('not_the_same_image', `${id}: its master gives ${built.width}×${built.height}, the stored image is ${record.width}×${record.height}; left as it was`);
  }
  // Another writer (an ingest replacing the image, another rebuild) may have switched it meanwhile.
  const now = await readImageRecord(store, id);
  if (!now || now.version !== record.version || now.masterSha256 !== record.masterSha256) {
    await discard();
    throw new ConflictError(`${id}: replaced while it was being rebuilt; left as the other writer made it`);
  }
  const next: ImageRecord = { ...record, ...(master ? { page: master.page } : {}), ...versionFields(built, opts) };
  await store.put(imageKeys(id).record, JSON.stringify(next, null, 2));
  await removeStaleVersions(store, next);
  return { id, outcome: 'rebuilt', from: master ? 'master' : 'pyramid' };
}
