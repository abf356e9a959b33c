/**
 * Image information documents (info.json) for Image API 3.0 §5 and 2.1 §5. Pure.
 */
import { FORMATS, QUALITIES } from './iiif-url.js';
import type { Limits, SourceInfo } from './plan.js';

export const CONTEXT_3 = 'http://iiif.io/api/image/3/context.json';
export const CONTEXT_2 = 'http://iiif.io/api/image/2/context.json';
export const PROFILE_3 = 'level2';
export const PROFILE_2 = 'http://iiif.io/api/image/2/level2.json';

/** Beyond level 2 (Image API 3.0 compliance §3–§6). */
const EXTRA_FEATURES_3 = [
  'baseUriRedirect',
  'canonicalLinkHeader',
  'cors',
  'jsonldMediaType',
  'mirroring',
  'profileLinkHeader',
  'regionByPct',
  'regionByPx',
  'regionSquare',
  'rotationArbitrary',
  'rotationBy90s',
  'sizeByConfinedWh',
  'sizeByH',
  'sizeByPct',
  'sizeByW',
  'sizeByWh',
  'sizeUpscaling',
];

/** 2.1 profile `supports` (2.1 compliance §3): what we do beyond level 2. */
const SUPPORTS_2 = [
  'baseUriRedirect',
  'canonicalLinkHeader',
  'cors',
  'jsonldMediaType',
  'mirroring',
  'profileLinkHeader',
  'regionSquare',
  'rotationArbitrary',
  'sizeAboveFull',
];

/**
 * Image API 3.0 §5.6: sizes the server delivers efficiently, smallest first — the pre-rendered ones
 * (each a file copy); a format-1 image without them lists its pyramid levels. Level 0 is reached
 * with "max" and need not be listed.
 */
function sizes(src: SourceInfo, limits: Limits): { width: number; height: number }[] {
  const from = src.sizes?.length ? src.sizes : src.levels.slice(1).reverse();
  // Only sizes a request may ask for: none beyond the configured limits.
  const allowed = (l: { width: number; height: number }) => l.width <= limits.maxWidth && l.height <= limits.maxHeight && l.width * l.height <= limits.maxArea;
  return from.filter(allowed).map((l) => ({ width: l.width, height: l.height }));
}

function scaleFactors(src: SourceInfo): number[] {
  return src.levels.map((_, k) => 2 ** k);
}

export function infoJson3(baseUri: string, src: SourceInfo, limits: Limits): Record<string, unknown> {
  return {
    '@context': CONTEXT_3,
    id: baseUri,
    type: 'ImageService3',
    protocol: 'http://iiif.io/api/image',
    profile: PROFILE_3,
    width: src.width,
    height: src.height,
    maxWidth: limits.maxWidth,
    maxHeight: limits.maxHeight,
    maxArea: limits.maxArea,
    sizes: sizes(src, limits),
    tiles: [{ width: src.tileWidth, height: src.tileHeight, scaleFactors: scaleFactors(src) }],
    preferredFormats: ['jpg'],
    extraFormats: FORMATS.filter((f) => f !== 'jpg' && f !== 'png'),
    extraQualities: QUALITIES.filter((q) => q !== 'default'),
    extraFeatures: EXTRA_FEATURES_3,
  };
}

export function infoJson2(baseUri: string, src: SourceInfo, limits: Limits): Record<string, unknown> {
  return {
    '@context': CONTEXT_2,
    '@id': baseUri,
    protocol: 'http://iiif.io/api/image',
    width: src.width,
    height: src.height,
    sizes: sizes(src, limits),
    tiles: [{ width: src.tileWidth, height: src.tileHeight, scaleFactors: scaleFactors(src) }],
    profile: [
      PROFILE_2,
      {
        formats: [...FORMATS],
        qualities: [...QUALITIES],
        supports: SUPPORTS_2,
        maxWidth: limits.maxWidth,
        maxHeight: limits.maxHeight,
        maxArea: limits.maxArea,
      },
    ],
  };
}
