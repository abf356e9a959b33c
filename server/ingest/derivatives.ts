/**
 * What is stored beside a pyramid so that the requests readers make most are file copies, not renders
 * (Image API 3.0 §5.6 `sizes`: "sizes that the server can deliver efficiently"):
 * - **sizes**: the whole image pre-rendered at quarter-octave steps (scale 2^(−j/4): every pyramid
 *   level's size and three between each pair) from SIZE_MAX_LONG down to about SIZE_MIN_LONG px on the
 *   long side. A request for one is a copy; any other whole-image view is resized from the smallest one
 *   that is large enough, at most 2^(1/4) ≈ 1.19× its size, instead of from a whole pyramid level.
 * - **edge tiles**: the right column and bottom row of every level at their true size. TIFF tiles are
 *   all full-size, so an edge tile in the TIFF is padded and a viewer's request for it used to be a
 *   decode and re-encode; now it is a copy too.
 * All are JPEG at the pyramid's quality, written end to end into one file (one file per version, not
 * hundreds) and indexed in the image record.
 */
import sharp, { type Sharp } from 'sharp';
import type { StoredEdgeTile, StoredSize } from '../storage/layout.js';
import { preRenderedSizes } from '../storage/sizes.js';
import { pyramidLevels, readTiffFile, type TiffDirectory } from '../storage/tiff.js';

export interface Extras {
  readonly data: Buffer;
  readonly sizes: StoredSize[];
  readonly edgeTiles: StoredEdgeTile[];
}

function edgeTilesOf(d: TiffDirectory, level: number): { level: number; col: number; row: number; x: number; y: number; w: number; h: number }[] {
  const T = d.tileWidth;
  const cols = Math.ceil(d.width / T);
  const rows = Math.ceil(d.height / d.tileHeight);
  const out = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const w = Math.min(T, d.width - col * T);
      const h = Math.min(d.tileHeight, d.height - row * d.tileHeight);
      if (w < T || h < d.tileHeight) out.push({ level, col, row, x: col * T, y: row * d.tileHeight, w, h });
    }
  }
  return out;
}


type Raw = { data: Buffer; info: { width: number; height: number; channels: 1 | 2 | 3 | 4 } };

/** Builds the extras of the pyramid at `pyramidPath`: each level read once at most. */
export async function buildExtras(pyramidPath: string, quality: number): Promise<Extras> {
  const levels = pyramidLevels(await readTiffFile(pyramidPath));
  const parts: Buffer[] = [];
  let offset = 0;
  const add = (jpeg: Buffer) => {
    parts.push(jpeg);
    const at = { offset, length: jpeg.length };
    offset += jpeg.length;
    return at;
  };
  // Same settings as the tiles, plus optimised Huffman tables (paid once here, smaller on every copy).
  const jpeg = { quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0', optimiseCoding: true, mozjpeg: false } as const;
  // Sizes: each source level decoded once (they are at most 2 × SIZE_MAX_LONG on the long side).
  const decoded = new Map<number, Raw>();
  const level = async (page: number): Promise<Sharp> => {
    let raw = decoded.get(page);
    if (!raw) {
      raw = (await sharp(pyramidPath, { page, limitInputPixels: false }).raw().toBuffer({ resolveWithObject: true })) as Raw;
      decoded.set(page, raw);
    }
    return sharp(raw.data, { raw: { width: raw.info.width, height: raw.info.height, channels: raw.info.channels } });
  };

  const sizes: StoredSize[] = [];
  for (const s of preRenderedSizes(levels[0]!.width, levels[0]!.height)) {
    // The smallest level that holds the size: resizing by less than 2× with lanczos3.
    let page = 0;
    while (page + 1 < levels.length && levels[page + 1]!.width >= s.width && levels[page + 1]!.height >= s.height) page++;
    const data = await (await level(page)).resize(s.width, s.height, { fit: 'fill', kernel: 'lanczos3' }).jpeg(jpeg).toBuffer();
    sizes.push({ ...s, ...add(data) });
  }

  // Edge tiles: only the tiles under each (random access), not the whole level.
  const edgeTiles: StoredEdgeTile[] = [];
  for (const [k, d] of levels.entries()) {
    for (const t of edgeTilesOf(d, k)) {
      const tile = decoded.has(k) ? await level(k) : sharp(pyramidPath, { page: k, sequentialRead: false, limitInputPixels: false });
      const data = await tile.extract({ left: t.x, top: t.y, width: t.w, height: t.h }).jpeg(jpeg).toBuffer();
      edgeTiles.push({ level: k, col: t.col, row: t.row, ...add(data) });
    }
  }
  return { data: Buffer.concat(parts), sizes, edgeTiles };
}
