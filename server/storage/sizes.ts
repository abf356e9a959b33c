/**
 * The whole-image sizes stored pre-rendered with every image (derivatives format 2): quarter-octave
 * steps, scale 2^(−j/4) — every pyramid level's size and three between each pair — from SIZE_MAX_LONG
 * down to about SIZE_MIN_LONG px on the long side. Ingest builds them; pages and manifests ask for one
 * of them as a thumbnail, so that the request is a file copy. Pure.
 */

/** Pre-rendered sizes stop here: above it a whole-image view is rare and read from the pyramid. */
export const SIZE_MAX_LONG = 2048;
export const SIZE_MIN_LONG = 90;

/** The pre-rendered sizes of a W×H image, smallest first. Level sizes are exact (floor of each halving). */
export function preRenderedSizes(W: number, H: number): { width: number; height: number }[] {
  const out: { width: number; height: number }[] = [];
  for (let j = 1; ; j++) {
    const k = j / 4;
    const exact = j % 4 === 0;
    const width = exact ? Math.floor(W / 2 ** k) : Math.round(W / 2 ** k);
    const height = exact ? Math.floor(H / 2 ** k) : Math.round(H / 2 ** k);
    if (Math.max(width, height) < SIZE_MIN_LONG || width < 1 || height < 1) break;
    if (Math.max(width, height) <= SIZE_MAX_LONG) out.push({ width, height });
  }
  return out.reverse();
}

/** The largest pre-rendered size of a W×H image that fits in box×box (a thumbnail), or null. */
export function thumbnailSize(W: number, H: number, box: number): { width: number; height: number } | null {
  return preRenderedSizes(W, H).filter((s) => s.width <= box && s.height <= box).at(-1) ?? null;
}
