/**
 * plan(request, source, limits) → ImagePlan: every number the renderer needs, decided up front and frozen
 * (Cantaloupe's OperationList). Pure. `planKey()` is the derivative-cache key; `canonical()` the
 * canonical URI path. Size and area are checked here, before anything is decoded.
 */
import { BadRequestError } from '../errors.js';
import type { ApiVersion, Format, ImageRequest, Quality } from './iiif-url.js';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface Dimensions {
  readonly width: number;
  readonly height: number;
}

/** What the planner must know of a stored image: its size and its pyramid. */
export interface SourceInfo extends Dimensions {
  /** Pyramid levels, level 0 the full image, each the previous halved (rounded down). */
  readonly levels: readonly Dimensions[];
  /** Whole-image sizes stored pre-rendered, smallest first (info.json `sizes`); none for format-1 images. */
  readonly sizes?: readonly Dimensions[];
  readonly tileWidth: number;
  readonly tileHeight: number;
}

export interface Limits {
  readonly maxWidth: number;
  readonly maxHeight: number;
  readonly maxArea: number;
}

export interface ImagePlan {
  readonly id: string;
  /** Region in full-resolution pixels, clipped to the image. */
  readonly region: Rect;
  readonly fullRegion: boolean;
  /** Output size before rotation. */
  readonly width: number;
  readonly height: number;
  /** The output is the region's largest allowed size (canonical "max"/"full"). */
  readonly isMaxSize: boolean;
  readonly mirror: boolean;
  readonly rotation: number;
  readonly quality: Quality;
  readonly format: Format;
  /** Pyramid level to read, and the region in that level's pixels. */
  readonly level: number;
  readonly levelRegion: Rect;
  /** Set when the output is exactly one stored tile of `level`: it can be copied, not re-encoded. */
  readonly tile: { readonly col: number; readonly row: number } | null;
  /** Set when the output is exactly one edge tile of `level` at its true size (stored apart from the TIFF). */
  readonly edgeTile: { readonly col: number; readonly row: number } | null;
  /**
   * Index in `sizes` of the pre-rendered size to read instead of the pyramid (a whole-image request no
   * larger than it), or null. `sizeExact`: the output is that size as stored, to be copied.
   */
  readonly size: number | null;
  readonly sizeExact: boolean;
}

function bad(code: string, message: string): never {
  throw new BadRequestError(code, message);
}

function resolveRegion(req: ImageRequest, src: Dimensions): Rect {
  const { width: W, height: H } = src;
  const r = req.region;
  switch (r.kind) {
    case 'full':
      return { x: 0, y: 0, w: W, h: H };
    case 'square': {
      const s = Math.min(W, H);
      return { x: Math.floor((W - s) / 2), y: Math.floor((H - s) / 2), w: s, h: s };
    }
    case 'pixels': {
      // Image API 3.0 §4.1: a region entirely outside the image is an error; a partly outside one is cropped.
      if (r.x >= W || r.y >= H) bad('region_outside', `region ${r.x},${r.y},${r.w},${r.h} lies outside the ${W}×${H} image`);
      return { x: r.x, y: r.y, w: Math.min(r.w, W - r.x), h: Math.min(r.h, H - r.y) };
    }
    case 'percent': {
      const x = Math.round((r.x * W) / 100);
      const y = Math.round((r.y * H) / 100);
      const x1 = Math.min(W, Math.round(((r.x + r.w) * W) / 100));
      const y1 = Math.min(H, Math.round(((r.y + r.h) * H) / 100));
      if (x >= W || y >= H) bad('region_outside', `region pct:${r.x},${r.y},${r.w},${r.h} lies outside the image`);
      if (x1 <= x || y1 <= y) bad('invalid_region', `region pct:${r.x},${r.y},${r.w},${r.h} is smaller than one pixel`);
      return { x, y, w: x1 - x, h: y1 - y };
    }
  }
}

/** The largest size of a w×h region allowed by the limits; without `upscale`, never above the region's own size. */
function maxSize(w: number, h: number, limits: Limits, upscale: boolean): [number, number] {
  let scale = Math.min(limits.maxWidth / w, limits.maxHeight / h, Math.sqrt(limits.maxArea / (w * h)));
  if (!upscale) scale = Math.min(1, scale);
  if (scale === 1) return [w, h];
  return [Math.max(1, Math.floor(w * scale)), Math.max(1, Math.floor(h * scale))];
}

function resolveSize(req: ImageRequest, rw: number, rh: number, limits: Limits): [number, number, boolean] {
  const s = req.size;
  let w: number;
  let h: number;
  switch (s.kind) {
    case 'max': {
      [w, h] = maxSize(rw, rh, limits, s.upscale);
      return [w, h, !s.upscale || (w === rw && h === rh)];
    }
    case 'full':
      [w, h] = [rw, rh];
      break;
    case 'width':
      [w, h] = [s.w, Math.max(1, Math.round((rh * s.w) / rw))];
      break;
    case 'height':
      [w, h] = [Math.max(1, Math.round((rw * s.h) / rh)), s.h];
      break;
    case 'percent':
      [w, h] = [Math.max(1, Math.round((rw * s.pct) / 100)), Math.max(1, Math.round((rh * s.pct) / 100))];
      break;
    case 'exact':
      [w, h] = [s.w, s.h];
      break;
    case 'confined': {
      // Image API 3.0 §4.2 !w,h: the largest size that fits inside w×h keeping the aspect ratio.
      const scale = Math.min(s.w / rw, s.h / rh);
      w = Math.min(s.w, Math.max(1, Math.round(rw * scale)));
      h = Math.min(s.h, Math.max(1, Math.round(rh * scale)));
      break;
    }
  }
  // Image API 3.0 §4.2: without "^", a size larger than the region is an error. 2.1 allows it.
  if (req.version === 3 && !s.upscale && (w > rw || h > rh)) {
    bad('upscale_not_allowed', `size ${w}×${h} is larger than the ${rw}×${rh} region: prefix the size with ^ to upscale`);
  }
  if (w > limits.maxWidth || h > limits.maxHeight || w * h > limits.maxArea) {
    bad(
      'size_over_limit',
      `size ${w}×${h} is over this server's limits (maxWidth ${limits.maxWidth}, maxHeight ${limits.maxHeight}, maxArea ${limits.maxArea})`,
    );
  }
  const [mw, mh] = maxSize(rw, rh, limits, false);
  return [w, h, w === mw && h === mh];
}

/** Coarsest pyramid level that still holds at least the output's resolution (one pixel of slack). */
function chooseLevel(src: SourceInfo, region: Rect, w: number, h: number): number {
  let level = 0;
  for (let k = 1; k < src.levels.length; k++) {
    const s = 2 ** k;
    if (region.w / s + 1 >= w && region.h / s + 1 >= h) level = k;
    else break;
  }
  return level;
}

function levelRect(src: SourceInfo, level: number, r: Rect): Rect {
  const s = 2 ** level;
  const L = src.levels[level]!;
  const x = Math.min(Math.floor(r.x / s), L.width - 1);
  const y = Math.min(Math.floor(r.y / s), L.height - 1);
  const x1 = Math.max(x + 1, Math.min(L.width, Math.ceil((r.x + r.w) / s)));
  const y1 = Math.max(y + 1, Math.min(L.height, Math.ceil((r.y + r.h) / s)));
  return { x, y, w: x1 - x, h: y1 - y };
}

function alignedTile(src: SourceInfo, level: number, r: Rect, lr: Rect, w: number, h: number) {
  const s = 2 ** level;
  const exact = lr.x * s === r.x && lr.y * s === r.y && lr.w * s === r.w && lr.h * s === r.h;
  const whole = lr.w === src.tileWidth && lr.h === src.tileHeight && w === lr.w && h === lr.h;
  const onGrid = lr.x % src.tileWidth === 0 && lr.y % src.tileHeight === 0;
  return exact && whole && onGrid ? { col: lr.x / src.tileWidth, row: lr.y / src.tileHeight } : null;
}

/**
 * An edge tile (right column or bottom row of a level) asked for as viewers ask: the region is the
 * tile's area at full resolution, clipped by the image (Image API 3.0 §4.1), the size its true size.
 */
function edgeTile(src: SourceInfo, level: number, r: Rect, lr: Rect, w: number, h: number) {
  const L = src.levels[level]!;
  const s = 2 ** level;
  const { tileWidth: tw, tileHeight: th } = src;
  if (lr.x % tw !== 0 || lr.y % th !== 0 || r.x !== lr.x * s || r.y !== lr.y * s) return null;
  const tileW = Math.min(tw, L.width - lr.x);
  const tileH = Math.min(th, L.height - lr.y);
  if (tileW === tw && tileH === th) return null;
  // The region covers the tile's full-resolution area as far as the image goes.
  const covers = r.w === Math.min(tw * s, src.width - r.x) && r.h === Math.min(th * s, src.height - r.y);
  return covers && lr.w === tileW && lr.h === tileH && w === tileW && h === tileH ? { col: lr.x / tw, row: lr.y / th } : null;
}

/** The smallest pre-rendered size that holds a whole-image output of w×h (one pixel of slack). */
function chooseSize(src: SourceInfo, w: number, h: number): number | null {
  const i = (src.sizes ?? []).findIndex((s) => s.width + 1 >= w && s.height + 1 >= h);
  return i === -1 ? null : i;
}

/**
 * The output's size after rotation: the bounding box of the w×h image turned by `degrees` (rounded up,
 * as libvips makes it at most).
 */
export function rotatedBox(w: number, h: number, degrees: number): [number, number] {
  if (degrees % 180 === 0) return [w, h];
  if (degrees % 90 === 0) return [h, w];
  const r = (degrees % 360) * (Math.PI / 180);
  const c = Math.abs(Math.cos(r));
  const s = Math.abs(Math.sin(r));
  return [Math.ceil(w * c + h * s), Math.ceil(w * s + h * c)];
}

const withinLimits = ([w, h]: [number, number], limits: Limits) => w <= limits.maxWidth && h <= limits.maxHeight && w * h <= limits.maxArea;

/**
 * The size step's output, kept within the limits after rotation too: the limits (info.json's maxWidth,
 * maxHeight, maxArea) hold for the image sent, whatever its rotation. `max` is then the largest size whose
 * rotated bounding box fits them (45° on a 12 800 × 9 600 image at 50 MP: 5 713 × 4 285, a 7 070 × 7 070 box;
 * unrotated it was 8 164 × 6 123, a 10 102 × 10 102 box); any other size whose box does not fit is refused.
 */
function sizeAfterRotation(req: ImageRequest, size: [number, number, boolean], limits: Limits): [number, number, boolean] {
  const [w, h, isMax] = size;
  if (req.rotation === 0) return size;
  const [bw, bh] = rotatedBox(w, h, req.rotation);
  if (withinLimits([bw, bh], limits)) return size;
  if (req.size.kind !== 'max') {
    bad('size_over_limit', `size ${w}×${h} rotated by ${req.rotation}° is ${bw}×${bh}, over this server's limits (maxWidth ${limits.maxWidth}, maxHeight ${limits.maxHeight}, maxArea ${limits.maxArea})`);
  }
  // The box scales with the image: shrink by the factor that fits, then step down for rounding.
  let f = Math.min(limits.maxWidth / bw, limits.maxHeight / bh, Math.sqrt(limits.maxArea / (bw * bh)));
  // Both sides shrink by the same factor (a side already at 1 px stays there), a bounded number of steps.
  for (let step = 0; step < 64; step++, f *= 0.995) {
    const size: [number, number] = [Math.max(1, Math.floor(w * f)), Math.max(1, Math.floor(h * f))];
    if (withinLimits(rotatedBox(size[0], size[1], req.rotation), limits)) return [size[0], size[1], isMax];
  }
  return bad('size_over_limit', `no size of this ${w}×${h} region rotated by ${req.rotation}° fits this server's limits (maxWidth ${limits.maxWidth}, maxHeight ${limits.maxHeight}, maxArea ${limits.maxArea})`);
}

export function plan(req: ImageRequest, src: SourceInfo, limits: Limits): ImagePlan {
  const region = resolveRegion(req, src);
  const [width, height, isMaxSize] = sizeAfterRotation(req, resolveSize(req, region.w, region.h, limits), limits);
  const level = chooseLevel(src, region, width, height);
  const levelRegion = levelRect(src, level, region);
  const plain = req.rotation === 0 && !req.mirror && req.format === 'jpg' && (req.quality === 'default' || req.quality === 'color');
  const fullRegion = region.x === 0 && region.y === 0 && region.w === src.width && region.h === src.height;
  const size = fullRegion ? chooseSize(src, width, height) : null;
  const stored = size === null ? null : src.sizes![size]!;
  return Object.freeze({
    id: req.id,
    region,
    fullRegion,
    width,
    height,
    isMaxSize,
    mirror: req.mirror,
    rotation: req.rotation,
    quality: req.quality,
    format: req.format,
    level,
    levelRegion,
    tile: plain ? alignedTile(src, level, region, levelRegion, width, height) : null,
    edgeTile: plain ? edgeTile(src, level, region, levelRegion, width, height) : null,
    size,
    sizeExact: plain && stored !== null && stored.width === width && stored.height === height,
  });
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
}

/** Canonical URI path after the identifier (Image API 3.0 §4.7, 2.1 §4.7). */
export function canonical(p: ImagePlan, version: ApiVersion): string {
  const r = p.region;
  const region = p.fullRegion ? 'full' : `${r.x},${r.y},${r.w},${r.h}`;
  const size =
    version === 3
      ? p.isMaxSize ? 'max' : `${p.width},${p.height}`
      : p.width === r.w && p.height === r.h
        ? 'full'
        : p.height === Math.max(1, Math.round((r.h * p.width) / r.w)) ? `${p.width},` : `${p.width},${p.height}`;
  return `${region}/${size}/${p.mirror ? '!' : ''}${num(p.rotation)}/${p.quality}.${p.format}`;
}

/**
 * Cache key: the operations that decide the output's bytes; `color` is our `default`. The pyramid level
 * read is part of it: the reduced variant reads a coarser level for the same region and size, and its
 * (blurred) answer must never be served for a full request, nor the other way round.
 */
export function planKey(p: ImagePlan): string {
  const r = p.region;
  const quality = p.quality === 'color' ? 'default' : p.quality;
  return `${p.id}/${r.x},${r.y},${r.w},${r.h}/${p.width},${p.height}/${p.mirror ? '!' : ''}${num(p.rotation)}/${quality}.${p.format}/L${p.level}`;
}
