/**
 * Parses the four parameters of an IIIF image request into an ImageRequest. Pure: no I/O, no Koa.
 * Every rejection is a BadRequestError whose message says which parameter is wrong and why.
 * Image API 3.0 §4 and 2.1 §4 differ only in the size forms accepted (`full` vs `max` and `^`).
 */
import { BadRequestError, NotFoundError } from '../errors.js';
import { IMAGE_ID_RULE, isValidImageId } from '../storage/layout.js';

export type ApiVersion = 2 | 3;
export const QUALITIES = ['default', 'color', 'gray', 'bitonal'] as const;
export const FORMATS = ['jpg', 'png', 'webp', 'tif', 'gif'] as const;
export type Quality = (typeof QUALITIES)[number];
export type Format = (typeof FORMATS)[number];

export type RegionRequest =
  | { readonly kind: 'full' }
  | { readonly kind: 'square' }
  | { readonly kind: 'pixels' | 'percent'; readonly x: number; readonly y: number; readonly w: number; readonly h: number };

export type SizeRequest = { readonly upscale: boolean } & (
  | { readonly kind: 'max' }
  /** 2.1 only: the region at its full size, not scaled. */
  | { readonly kind: 'full' }
  | { readonly kind: 'width'; readonly w: number }
  | { readonly kind: 'height'; readonly h: number }
  | { readonly kind: 'percent'; readonly pct: number }
  | { readonly kind: 'exact' | 'confined'; readonly w: number; readonly h: number }
);

export interface ImageRequest {
  readonly version: ApiVersion;
  readonly id: string;
  readonly region: RegionRequest;
  readonly size: SizeRequest;
  readonly mirror: boolean;
  readonly rotation: number;
  readonly quality: Quality;
  readonly format: Format;
}

/** Largest number we accept in any parameter: beyond it no image exists and arithmetic gets unsafe. */
const MAX_INT = 1_000_000_000;
const INT = /^\d{1,10}$/;
const FLOAT = /^(\d{1,10}(\.\d{1,10})?|\.\d{1,10})$/;

function bad(code: string, message: string): never {
  throw new BadRequestError(code, message);
}

function int(s: string, what: string, code: string): number {
  if (!INT.test(s)) bad(code, `${what} must be a non-negative whole number, got "${s}"`);
  const n = Number(s);
  if (n > MAX_INT) bad(code, `${what} ${s} is too large`);
  return n;
}

function float(s: string, what: string, code: string): number {
  if (!FLOAT.test(s)) bad(code, `${what} must be a non-negative number, got "${s}"`);
  const n = Number(s);
  if (n > MAX_INT) bad(code, `${what} ${s} is too large`);
  return n;
}

export function parseRegion(s: string): RegionRequest {
  if (s === 'full') return { kind: 'full' };
  if (s === 'square') return { kind: 'square' };
  const percent = s.startsWith('pct:');
  const parts = (percent ? s.slice(4) : s).split(',');
  if (parts.length !== 4) {
    bad('invalid_region', `region "${s}" must be full, square, x,y,w,h or pct:x,y,w,h`);
  }
  const [x, y, w, h] = parts.map((p, i) =>
    (percent ? float : int)(p, `region ${'xywh'[i]}`, 'invalid_region'),
  ) as [number, number, number, number];
  // Image API 3.0 §4.1: a region of zero width or height is an error.
  if (w === 0 || h === 0) bad('invalid_region', `region "${s}" has zero width or height`);
  if (percent && (x >= 100 || y >= 100)) bad('invalid_region', `region "${s}" starts outside the image`);
  return { kind: percent ? 'percent' : 'pixels', x, y, w, h };
}

export function parseSize(s: string, version: ApiVersion): SizeRequest {
  let rest = s;
  const upscale = version === 3 && rest.startsWith('^');
  if (upscale) rest = rest.slice(1);
  if (rest === 'max') return { upscale, kind: 'max' };
  if (rest === 'full') {
    if (version === 3) bad('invalid_size', 'size "full" was removed in Image API 3.0: use "max"');
    return { upscale, kind: 'full' };
  }
  if (rest.startsWith('pct:')) {
    const pct = float(rest.slice(4), 'size percentage', 'invalid_size');
    if (pct === 0) bad('invalid_size', `size "${s}" is zero`);
    return { upscale, kind: 'percent', pct };
  }
  const confined = rest.startsWith('!');
  if (confined) rest = rest.slice(1);
  const m = /^([^,]*),([^,]*)$/.exec(rest);
  if (!m) bad('invalid_size', `size "${s}" is not one of max, w, ,h, pct:n, w,h, !w,h`);
  const [, ws, hs] = m as unknown as [string, string, string];
  if (ws !== '' && hs !== '') {
    const w = int(ws, 'size width', 'invalid_size');
    const h = int(hs, 'size height', 'invalid_size');
    if (w === 0 || h === 0) bad('invalid_size', `size "${s}" has zero width or height`);
    return { upscale, kind: confined ? 'confined' : 'exact', w, h };
  }
  if (confined) bad('invalid_size', `size "${s}": !w,h needs both a width and a height`);
  if (ws !== '') {
    const w = int(ws, 'size width', 'invalid_size');
    if (w === 0) bad('invalid_size', `size "${s}" has zero width`);
    return { upscale, kind: 'width', w };
  }
  if (hs !== '') {
    const h = int(hs, 'size height', 'invalid_size');
    if (h === 0) bad('invalid_size', `size "${s}" has zero height`);
    return { upscale, kind: 'height', h };
  }
  bad('invalid_size', `size "${s}" gives neither a width nor a height`);
}

export function parseRotation(s: string): { mirror: boolean; rotation: number } {
  const mirror = s.startsWith('!');
  const deg = float(mirror ? s.slice(1) : s, 'rotation', 'invalid_rotation');
  if (deg > 360) bad('invalid_rotation', `rotation ${deg} is outside 0–360`);
  return { mirror, rotation: deg % 360 };
}

export function parseQualityFormat(s: string): { quality: Quality; format: Format } {
  const dot = s.lastIndexOf('.');
  if (dot < 0) bad('invalid_format', `"${s}" must be quality.format, e.g. default.jpg`);
  const quality = s.slice(0, dot);
  const format = s.slice(dot + 1);
  if (!(QUALITIES as readonly string[]).includes(quality)) {
    bad('invalid_quality', `quality "${quality}" is not one of ${QUALITIES.join(', ')}`);
  }
  if (!(FORMATS as readonly string[]).includes(format)) {
    bad('invalid_format', `format "${format}" is not supported; use one of ${FORMATS.join(', ')}`);
  }
  return { quality: quality as Quality, format: format as Format };
}

export interface RawParams {
  readonly region: string;
  readonly size: string;
  readonly rotation: string;
  readonly qualityFormat: string;
}

export function parseImageRequest(id: string, p: RawParams, version: ApiVersion): ImageRequest {
  return {
    version,
    id,
    region: parseRegion(p.region),
    size: parseSize(p.size, version),
    ...parseRotation(p.rotation),
    ...parseQualityFormat(p.qualityFormat),
  };
}

/**
 * An identifier outside the alphabet we mint names no image we could hold: 404 (Image API 3.0 §7
 * "the image resource specified by identifier does not exist"; the official validator's
 * id_error_escapedslash wants 404 for `a%2Fb`), with the rule in the message. Nothing is looked up.
 */
export function parseIdentifier(raw: string): string {
  if (!isValidImageId(raw)) throw new NotFoundError(`no image with identifier ${JSON.stringify(raw.slice(0, 140))}: ${IMAGE_ID_RULE}`, 'unknown_image');
  return raw;
}
