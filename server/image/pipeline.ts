/**
 * ImagePlan → bytes. Two ways:
 * - `copyTile`: the plan is exactly one stored JPEG tile; its bytes are copied out of the TIFF
 *   (no decode, no re-encode), as IIPImage serves tiles.
 * - `render`: sharp reads only the plan's pyramid level and only the tiles under the region
 *   (random access, not sequential), then applies the spec's steps in order (Image API 3.0 §4):
 *   region → size → mirror/rotation → quality → format.
 */
import { open } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { readJpegTile } from '../storage/tiff.js';
import type { Format } from './iiif-url.js';
import type { ImagePlan } from './plan.js';
import type { StoredImage } from './source.js';

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

/** The plan names a stored tile (`plan.tile`) of a level whose tiles are plain JPEG. */
export function canCopyTile(image: StoredImage, plan: ImagePlan): boolean {
  return plan.tile !== null && image.copyable[plan.level] === true;
}

export async function copyTile(image: StoredImage, plan: ImagePlan): Promise<Buffer> {
  const fh = await open(image.path, 'r');
  try {
    return await readJpegTile(fh, image.directories[plan.level]!, plan.tile!.col, plan.tile!.row);
  } finally {
    await fh.close();
  }
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

export async function render(image: StoredImage, plan: ImagePlan, opts: RenderOptions): Promise<Buffer> {
  const lr = plan.levelRegion;
  let img = sharp(image.path, { page: plan.level, sequentialRead: false, limitInputPixels: false })
    .extract({ left: lr.x, top: lr.y, width: lr.w, height: lr.h });
  if (lr.w !== plan.width || lr.h !== plan.height) img = img.resize(plan.width, plan.height, { fit: 'fill' });

  if (plan.mirror || plan.rotation !== 0) {
    // sharp applies rotation before resizing within one pipeline; the spec wants it after, so the
    // sized region is handed to a second pipeline.
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
    if (plan.mirror) img = img.flop();
    if (plan.rotation !== 0) {
      // Image API 3.0 §4.3: the area outside the rotated image is transparent where the format allows.
      const transparent = plan.format === 'png' || plan.format === 'webp' || plan.format === 'gif' || plan.format === 'tif';
      img = img.rotate(plan.rotation, { background: transparent ? { r: 0, g: 0, b: 0, alpha: 0 } : opts.background });
    }
  }
  return encode(applyQuality(img, plan.quality), plan.format, opts.quality).toBuffer();
}
