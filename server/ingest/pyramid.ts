/**
 * Turns one scan into stored images: the master kept byte for byte, and per page a tiled pyramidal
 * TIFF (JPEG tiles) that the image server reads level by level. Behind `vankho image add`.
 *
 * Order of work, so that a refused or crashed add damages nothing already stored:
 * checks on size and header (no decoding) → pyramid decoded into a temp file → renamed into place
 * → master copied → record written last (its presence marks the image complete).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { ConflictError, InvalidInputError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { IMAGE_ID_RULE, imageKeys, isValidImageId, type ImageRecord } from '../storage/layout.js';
import { sha256File } from '../storage/hash.js';
import { pageIndexes, readTiffFile, TiffFormatError } from '../storage/tiff.js';
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
}

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
    if (err instanceof TiffFormatError) refuse(file, 'corrupt_file', `damaged TIFF: ${err.message}`);
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
    refuse(file, 'corrupt_file', `cannot read the image header (${(err as Error).message})`);
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

async function buildPyramid(store: BlobStore, file: string, page: number, key: string, opts: PyramidOptions) {
  await store.putWith(key, async (temp) => {
    try {
      // rotate(): EXIF orientation; flatten(): alpha onto the background (no-op without alpha).
      await sharp(file, { page, limitInputPixels: opts.maxInputPixels, failOn: 'warning' })
        .rotate()
        .flatten({ background: opts.background })
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
      refuse(file, 'corrupt_file', `the image does not decode cleanly (${(err as Error).message.split('\n')[0]})`);
    }
  });
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
  // All pages are decoded before anything becomes visible: a bad page 3 leaves no record behind.
  for (const [i, page] of pages.entries()) await buildPyramid(store, file, page, imageKeys(ids[i]!).pyramid, opts);
  // A multi-page master is kept once, beside its first page.
  const masterKey = options.sharedMaster ?? imageKeys(ids[0]!).master(EXTENSION[type]);
  if (!options.sharedMaster) await store.putFile(masterKey, file);
  const records: ImageRecord[] = [];
  for (const id of ids) {
    const keys = imageKeys(id);
    const levels = await readTiffFile(store.localPath(keys.pyramid));
    const record: ImageRecord = {
      id,
      width: levels[0]!.width,
      height: levels[0]!.height,
      masterKey,
      masterSha256: digest,
      masterBytes: bytes,
      masterFormat: type,
      originalName: path.basename(file),
      tileSize: opts.tileSize,
      levels: levels.length,
      createdAt: new Date().toISOString(),
    };
    await store.put(keys.record, JSON.stringify(record, null, 2));
    records.push(record);
  }
  return records;
}
