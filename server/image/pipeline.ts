/**
 * ImagePlan → bytes. Two ways:
 * - `copyTile`: the plan is exactly one stored JPEG tile; its bytes are copied out of the TIFF
 *   (no decode, no re-encode), as IIPImage serves tiles.
 * - `render`: sharp reads only the plan's pyramid level and only the tiles under the region
 *   (random access, not sequential), then applies the spec's steps in order (Image API 3.0 §4):
 *   region → size → mirror/rotation → quality → format.
 */
import sharp, { type Sharp } from 'sharp';
import { readJpegTile } from '../storage/tiff.js';
import type { Format } from './iiif-url.js';
import type { ImagePlan } from './plan.js';
import type { ExtraJpeg } from '../storage/layout.js';
import type { OpenFiles } from './open-files.js';
import { edgeKey, type StoredImage } from './source.js';

export const CONTENT_TYPES: Readonly<Record<Format, string>> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  tif: 'image/tiff',
  gif: 'image/gif',
};

export interface RenderOptions {
  /** JPEG/WebP quality of rendered output. */
  readonly quality: number;
  /** Fill outside an arbitrarily rotated image, for formats without transparency (#rrggbb). */
  readonly background: string;
}

/** How a plan's output can be had without decoding: which stored JPEG is exactly it. */
export type StoredCopy = 'tile_copy' | 'edge_copy' | 'size_copy';

export function storedCopy(image: StoredImage, plan: ImagePlan): StoredCopy | null {
  if (plan.tile !== null && image.copyable[plan.level] === true) return 'tile_copy';
  if (plan.edgeTile !== null && image.edgeTiles.has(edgeKey(plan.level, plan.edgeTile.col, plan.edgeTile.row))) return 'edge_copy';
  if (plan.sizeExact && plan.size !== null && image.sizes[plan.size]) return 'size_copy';
  return null;
}

function readExtra(image: StoredImage, at: ExtraJpeg, files: OpenFiles): Promise<Buffer> {
  return files.read(image.extrasPath!, at.offset, at.length);
}

/** The stored bytes `storedCopy` named: no decode, no re-encode. */
export async function copyStored(image: StoredImage, plan: ImagePlan, kind: StoredCopy, files: OpenFiles): Promise<Buffer> {
  if (kind === 'edge_copy') return readExtra(image, image.edgeTiles.get(edgeKey(plan.level, plan.edgeTile!.col, plan.edgeTile!.row))!, files);
  if (kind === 'size_copy') return readExtra(image, image.sizes[plan.size!]!, files);
  return files.use(image.path, (fh) => readJpegTile(fh, image.directories[plan.level]!, plan.tile!.col, plan.tile!.row));
}

function applyQuality(img: Sharp, quality: ImagePlan['quality']): Sharp {
  if (quality === 'gray') return img.toColourspace('b-w');
  // Image API 3.0 §4.4 bitonal: every pixel black or white.
  if (quality === 'bitonal') return img.threshold(128);
  return img;
}

function encode(img: Sharp, format: Format, quality: number): Sharp {
  switch (format) {
    case 'jpg':
      return img.jpeg({ quality, mozjpeg: false });
    case 'png':
      return img.png({ compressionLevel: 6, effort: 1 });
    case 'webp':
      return img.webp({ quality, effort: 2 });
    case 'tif':
      return img.tiff({ compression: 'lzw' });
    case 'gif':
      return img.gif();
  }
}

/**
 * The plan's region at its output size: from the smallest pre-rendered size that holds it when the
 * request is for the whole image (one small JPEG decoded, resized by less than 1.19×), else from the
 * plan's pyramid level (only the tiles under the region).
 */
async function sized(image: StoredImage, plan: ImagePlan, files: OpenFiles): Promise<Sharp> {
  const stored = plan.size !== null ? image.sizes[plan.size] : undefined;
  if (stored && image.extrasPath) {
    // Never more pixels than the record says the stored JPEG has: a damaged or swapped file is refused, not decoded.
    const img = sharp(await readExtra(image, stored, files), { limitInputPixels: stored.width * stored.height });
    return stored.width === plan.width && stored.height === plan.height ? img : img.resize(plan.width, plan.height, { fit: 'fill' });
  }
  const lr = plan.levelRegion;
  // The level's own size is the limit (its record, checked when it was stored): a level larger than
  // sharp's default (268 MP) is read, a file that claims more than its record is refused.
  const level = image.info.levels[plan.level]!;
  const img = sharp(image.path, { page: plan.level, sequentialRead: false, limitInputPixels: level.width * level.height })
    .extract({ left: lr.x, top: lr.y, width: lr.w, height: lr.h });
  return lr.w !== plan.width || lr.h !== plan.height ? img.resize(plan.width, plan.height, { fit: 'fill' }) : img;
}

export async function render(image: StoredImage, plan: ImagePlan, opts: RenderOptions, files: OpenFiles): Promise<Buffer> {
  let img = await sized(image, plan, files);

  if (plan.mirror || plan.rotation !== 0) {
    // sharp applies rotation before resizing within one pipeline; the spec wants it after, so the
    // sized region is handed to a second pipeline.
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels }, limitInputPixels: info.width * info.height });
    if (plan.mirror) img = img.flop();
    if (plan.rotation !== 0) {
      // Image API 3.0 §4.3: the area outside the rotated image is transparent where the format allows.
      const transparent = plan.format === 'png' || plan.format === 'webp' || plan.format === 'gif' || plan.format === 'tif';
      img = img.rotate(plan.rotation, { background: transparent ? { r: 0, g: 0, b: 0, alpha: 0 } : opts.background });
    }
  }
  return encode(applyQuality(img, plan.quality), plan.format, opts.quality).toBuffer();
}
