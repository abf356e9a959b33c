/**
 * Turns one scan into stored images: the master kept byte for byte, and per page a version folder
 * holding a tiled pyramidal TIFF (JPEG tiles) that the image server reads level by level, and its
 * extras (pre-rendered sizes, edge tiles). Behind `vankho image add` and `vankho image rebuild`.
 *
 * Order of work, so that a refused or crashed add damages nothing already stored:
 * checks on size and header (no decoding) → a new version folder built (each file through a temp
 * file) → master copied under a name of its own (its content's hash: never over the master in force)
 * → the catalogue's journal told → record written last: its presence marks the image complete, and
 * its `version` and `masterKey` are the one pointer that switches a replaced image from the old
 * master and derivatives to the new → the catalogue's pages given the new size, journal closed →
 * what the old record pointed to removed. A kill anywhere leaves the old image or the new one whole;
 * a journal entry left open is settled at the next start.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { ConflictError, InvalidInputError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { BlobStore } from '../storage/blob-store.js';
import { IMAGE_ID_RULE, imageKeys, isValidImageId, newVersionName, PYRAMID_FORMAT, readImageRecord, versionStartedAt, type ImageRecord } from '../storage/layout.js';
import { sha256File } from '../storage/hash.js';
import { abandoned, OWNER } from '../storage/owner.js';
import { storageFault, withoutPaths } from '../storage/faults.js';
import { pageIndexes, pyramidLevels, readTiffFile, TiffFormatError } from '../storage/tiff.js';
import { buildExtras } from './derivatives.js';
import { describeUnknown, detectType, EXTENSION, readHead, type DetectedType } from './detect.js';

export interface PyramidOptions {
  readonly tileSize: number;
  readonly quality: number;
  /** Alpha is flattened onto this colour (#rrggbb). */
  readonly background: string;
  readonly maxInputPixels: number;
  readonly maxFileBytes: number;
}

export interface AddImageOptions {
  /** Identifier; by default derived from the file name. A multi-page file gets `ID-p1`, `ID-p2`, … */
  readonly id?: string;
  /** Replace an image already stored under the identifier. */
  readonly replace?: boolean;
  /** Add only this page (sharp's page index) of a multi-page file, under `id` as it is. */
  readonly page?: number;
  /** The master is already kept at this key (a multi-page original kept once per item): do not copy it. */
  readonly sharedMaster?: string;
  /** Told around the switch, so that pages showing a replaced image take its new size. */
  readonly journal?: ImageChangeJournal;
}

/** The catalogue's side of a replacement (see Catalogue.beginImageChanges). */
export type ImageChangeJournal = Pick<Catalogue, 'beginImageChanges' | 'openImageChanges' | 'settleImageChanges'>;

/** Identifier from a file name: unsafe characters become `-`. */
export function idFromFileName(file: string): string {
  const base = path.basename(file, path.extname(file)).normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return base.replace(/đ/g, 'd').replace(/Đ/g, 'D').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-._]+/, '').slice(0, 120) || 'image';
}

function refuse(file: string, code: string, why: string): never {
  throw new InvalidInputError(code, `${path.basename(file)}: ${why}`);
}

async function tiffPages(file: string): Promise<number[]> {
  try {
    return pageIndexes(await readTiffFile(file));
  } catch (err) {
    if (err instanceof TiffFormatError) refuse(file, 'corrupt_file', `damaged TIFF: ${withoutPaths(err.message)}`);
    throw err;
  }
}

/** Every check that needs no decoding: existence, size, real type, pixel count. */
async function inspect(file: string, opts: PyramidOptions): Promise<{ type: DetectedType; pages: number[]; bytes: number }> {
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) throw new NotFoundError(`${file}: no such file`);
  if (st.size > opts.maxFileBytes) {
    throw new PayloadTooLargeError(`${path.basename(file)}: ${st.size} bytes is over the limit of ${opts.maxFileBytes} (image.maxFileBytes)`);
  }
  const head = await readHead(file);
  const type = detectType(head);
  if (type === null) refuse(file, 'unsupported_format', `not an image we can read: ${describeUnknown(head)}`);
  if (type === 'pdf') refuse(file, 'unsupported_format', 'a PDF is not a single image; ingest it as a document');
  if (type === 'jp2' && !sharp.format.jp2?.input?.file) {
    refuse(file, 'unsupported_format', "JPEG 2000: this server's libvips cannot decode it; convert the master to TIFF first");
  }
  let meta: Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw storageFault(err) ?? refuse(file, 'corrupt_file', `cannot read the image header (${withoutPaths((err as Error).message)})`);
  }
  // Decompression bombs: refused on the header's claim, before a single pixel is decoded.
  const pixels = (meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0);
  if (!meta.width || !meta.height) refuse(file, 'corrupt_file', 'the header gives no image size');
  if (pixels > opts.maxInputPixels) {
    refuse(file, 'too_many_pixels', `${meta.width}×${meta.pageHeight ?? meta.height} = ${pixels} pixels is over the limit of ${opts.maxInputPixels} (image.maxInputPixels)`);
  }
  const pages = type === 'tiff' ? await tiffPages(file) : [0];
  return { type, pages, bytes: st.size };
}

/** The derivatives of one page, built into a new version folder that nothing points to yet. */
export interface BuiltVersion {
  readonly version: string;
  readonly width: number;
  readonly height: number;
  readonly levels: number;
  readonly sizes: ImageRecord['sizes'];
  readonly edgeTiles: ImageRecord['edgeTiles'];
}

/**
 * Pyramid (YCbCr JPEG tiles below quality 90, as libvips writes them: a quarter of the bytes of RGB
 * tiles) and extras (pre-rendered sizes, edge tiles) of one page, in a new version folder.
 * `input` is a file sharp reads (a master, or a stored pyramid being rebuilt).
 */
export async function buildVersion(store: BlobStore, input: string, page: number, id: string, opts: PyramidOptions, label = input): Promise<BuiltVersion> {
  const version = newVersionName(randomBytes(3).toString('hex'));
  const keys = imageKeys(id).version(version);
  try {
    return await buildInto(store, keys, version, input, page, opts, label);
  } catch (err) {
    // Nothing points at a version that failed: remove it now rather than leave it to the next add.
    await store.remove(keys.dir).catch(() => undefined);
    throw err;
  }
}

/**
 * Page `page` of `input` as the pyramid's full level shows it: turned by its EXIF orientation, alpha
 * flattened onto the background. OCR reads the same, so that its boxes are canvas coordinates.
 */
export function uprightPage(input: string, page: number, opts: PyramidOptions, failOn?: 'warning'): Sharp {
  return sharp(input, { page, limitInputPixels: opts.maxInputPixels, ...(failOn ? { failOn } : {}) })
    .rotate()
    .flatten({ background: opts.background });
}

async function buildInto(
  store: BlobStore,
  keys: ReturnType<ReturnType<typeof imageKeys>['version']>,
  version: string,
  input: string,
  page: number,
  opts: PyramidOptions,
  label: string,
): Promise<BuiltVersion> {
  await store.putWith(keys.pyramid, async (temp) => {
    try {
      await uprightPage(input, page, opts, 'warning')
        .toColourspace('srgb')
        .tiff({
          tile: true,
          pyramid: true,
          compression: 'jpeg',
          quality: opts.quality,
          tileWidth: opts.tileSize,
          tileHeight: opts.tileSize,
        })
        .toFile(temp);
    } catch (err) {
      // A full or read-only disk fails the write with a libvips message too: that is ours, not the file's.
      throw storageFault(err) ?? refuse(label, 'corrupt_file', `the image does not decode cleanly (${withoutPaths((err as Error).message.split('\n')[0]!)})`);
    }
  });
  const pyramid = store.localPath(keys.pyramid);
  const extras = await buildExtras(pyramid, opts.quality);
  await store.put(keys.extras, extras.data);
  const levels = pyramidLevels(await readTiffFile(pyramid));
  return { version, width: levels[0]!.width, height: levels[0]!.height, levels: levels.length, sizes: extras.sizes, edgeTiles: extras.edgeTiles };
}

/** The fields of a record that describe a built version. */
export function versionFields(built: BuiltVersion, opts: PyramidOptions): Pick<ImageRecord, 'width' | 'height' | 'levels' | 'tileSize' | 'format' | 'version' | 'quality' | 'sizes' | 'edgeTiles'> {
  return {
    width: built.width,
    height: built.height,
    levels: built.levels,
    tileSize: opts.tileSize,
    format: PYRAMID_FORMAT,
    version: built.version,
    quality: opts.quality,
    sizes: built.sizes,
    edgeTiles: built.edgeTiles,
  };
}

/**
 * Removes what the record no longer needs: older versions (half-built ones a killed add or rebuild
 * left behind among them) and a format-1 pyramid. Versions newer than the record's are left: another
 * process may be building one right now. Version names sort by time. Call after the record is written.
 */
export async function removeStaleVersions(store: BlobStore, record: ImageRecord): Promise<void> {
  const keys = imageKeys(record.id);
  for (const name of await store.list(keys.dir)) {
    const started = versionStartedAt(name);
    // A newer one untouched for an hour is no build in progress: a killed one.
    const abandoned = started !== null && Date.now() - started > 3_600_000;
    const older = started !== null && (record.version === undefined || name < record.version || (name !== record.version && abandoned));
    const legacy = name === 'pyramid.tif' && record.version !== undefined;
    if (older || legacy) await store.remove(`${keys.dir}/${name}`);
  }
}


/**
 * Adds a scan. Returns one record per page. Throws InvalidInputError (refused file, with the reason),
 * PayloadTooLargeError, ConflictError (identifier taken, no `replace`), NotFoundError (no file).
 */
export async function addImage(
  store: BlobStore,
  file: string,
  options: AddImageOptions,
  opts: PyramidOptions,
): Promise<ImageRecord[]> {
  const baseId = options.id ?? idFromFileName(file);
  if (!isValidImageId(baseId)) refuse(file, 'invalid_identifier', IMAGE_ID_RULE);
  const inspected = await inspect(file, opts);
  const { type, bytes } = inspected;
  if (options.page !== undefined && !inspected.pages.includes(options.page)) refuse(file, 'invalid_page', `has no page ${options.page}`);
  const pages = options.page !== undefined ? [options.page] : inspected.pages;
  const ids = pages.length === 1 ? [baseId] : pages.map((_, i) => `${baseId}-p${i + 1}`);
  if (!options.replace) {
    for (const id of ids) {
      if (await store.stat(imageKeys(id).record)) throw new ConflictError(`image "${id}" already exists (use --replace)`);
    }
  }
  const digest = await sha256File(file);
  const journal = options.journal;
  // Exclusive: a second replacer of the same image (another process) is refused, not raced.
  await journal?.beginImageChanges(ids, OWNER, (c) => !abandoned(c.owner, Date.parse(c.startedAt)));
  try {
    // All pages are built before anything becomes visible: a bad page 3 leaves no record behind.
    const built: BuiltVersion[] = [];
    try {
      for (const [i, page] of pages.entries()) built.push(await buildVersion(store, file, page, ids[i]!, opts, file));
    } catch (err) {
      for (const [i, b] of built.entries()) await store.remove(imageKeys(ids[i]!).version(b.version).dir).catch(() => undefined);
      throw err;
    }
    // A multi-page master is kept once, beside its first page.
    const masterKey = options.sharedMaster ?? imageKeys(ids[0]!).masterOf(digest, EXTENSION[type]);
    if (!options.sharedMaster && !(await sameFile(store, masterKey, bytes))) await store.putFile(masterKey, file);
    const previous = await Promise.all(ids.map((id) => readImageRecord(store, id)));
    const records: ImageRecord[] = [];
    for (const [i, id] of ids.entries()) {
      const record: ImageRecord = {
        id,
        masterKey,
        masterSha256: digest,
        masterBytes: bytes,
        masterFormat: type,
        originalName: path.basename(file),
        createdAt: new Date().toISOString(),
        page: pages[i]!,
        ...versionFields(built[i]!, opts),
      };
      // The switch: the record now points at the new version and master; what it pointed to before goes after.
      await store.put(imageKeys(id).record, JSON.stringify(record, null, 2));
      records.push(record);
    }
    await removeReplaced(store, ids, previous, journal);
    return records;
  } finally {
    // Refused or done, the pages showing these images take the size their records have now. If that
    // fails (the database busy), the entry stays open and the next start settles it: the add's own
    // outcome is what the caller hears.
    await journal?.settleImageChanges(ids, OWNER).catch(() => undefined);
  }
}

/**
 * Replacements a killed process left open in the journal: what the old records pointed to is removed
 * and the pages take the size of the record in force (old or new: either is whole). Entries of a live
 * process (a CLI beside the server) are left to it. Call at start, before serving.
 */
export async function finishInterruptedChanges(store: BlobStore, journal: ImageChangeJournal): Promise<number> {
  let settled = 0;
  for (const change of await journal.openImageChanges()) {
    if (!abandoned(change.owner, Date.parse(change.startedAt))) continue;
    const record = await readImageRecord(store, change.imageId);
    if (record) await removeReplaced(store, [change.imageId], [null], journal, change.owner);
    settled += await journal.settleImageChanges([change.imageId], change.owner);
  }
  return settled;
}

/** A master already stored under its content's name (the same scan added again): not copied twice. */
async function sameFile(store: BlobStore, key: string, bytes: number): Promise<boolean> {
  return (await store.stat(key))?.size === bytes;
}

const MASTER_NAME = /^master(-[0-9a-f]{16})?\.[a-z0-9]+$/;

/**
 * After a switch: versions older than each record's (removeStaleVersions), and masters of this image
 * that no record of it points to any more (the pages of a multi-page master all hold it). With the
 * journal, any unreferenced master goes (a killed add's included), unless another process is replacing
 * these images; without it, only the masters the replaced records pointed to.
 */
async function removeReplaced(store: BlobStore, ids: readonly string[], previous: readonly (ImageRecord | null)[], journal: ImageChangeJournal | undefined, self = OWNER): Promise<void> {
  const replaced = new Set(previous.flatMap((r) => (r ? [r.masterKey] : [])));
  const dirs = new Set([imageKeys(ids[0]!).dir, ...[...replaced].map((k) => k.slice(0, k.lastIndexOf('/')))]);
  // A multi-page master sits in its first page's folder (`B-p1`) and every page B-pN points to it:
  // all of them, however numbered, hold what is in such a folder.
  const holders = new Set(ids);
  const firstPages = [...dirs].flatMap((d) => /^images\/(.+)-p1$/.exec(d)?.slice(1, 2) ?? []);
  if (firstPages.length > 0) {
    for (const name of await store.list('images')) {
      if (firstPages.some((b) => name.startsWith(`${b}-p`) && /^\d+$/.test(name.slice(b.length + 2)))) holders.add(name);
    }
  }
  // Another process replacing these images (the journal says so; null: no journal, cannot tell).
  const others = journal
    ? (await journal.openImageChanges()).some((c) => c.owner !== self && ids.includes(c.imageId) && !abandoned(c.owner, Date.parse(c.startedAt)))
    : null;
  if (others === true) return; // its files are its own to clean
  const inForce = new Set<string>();
  for (const id of holders) {
    const r = await readImageRecord(store, id);
    if (!r) continue;
    inForce.add(r.masterKey);
    if (ids.includes(id)) await removeStaleVersions(store, r);
  }
  for (const dir of dirs) {
    if (!dir.startsWith('images/')) continue; // an item's original (items/…) belongs to the item
    for (const name of (await store.list(dir)).filter((n) => MASTER_NAME.test(n))) {
      const key = `${dir}/${name}`;
      if (!inForce.has(key) && (others === false || replaced.has(key))) await store.remove(key);
    }
  }
}
