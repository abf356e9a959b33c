/**
 * The URL lists the image benchmark drives every server with (Image API 2.1 parameter paths after the
 * identifier), drawn with a fixed seed so every run and every server gets the same requests.
 */
export interface Scenario {
  readonly name: string;
  /** Paths after the server's prefix: `{id}/{region}/{size}/{rotation}/{quality}.{format}` or `{id}/info.json`. */
  readonly paths: readonly string[];
  /** Requests that make one unit of the scenario (a viewer session), for units per second. */
  readonly perUnit?: number;
  /** Also measured on our server as shipped, with its derivative cache on. */
  readonly cached?: boolean;
}

/** Deterministic PRNG (mulberry32), so every run draws the same URLs. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every tile of scale factors from..to as a viewer asks for them (edge tiles at their true size). */
export function allTiles(W: number, H: number, tile: number, fromLevel: number, toLevel: number): string[] {
  const all: string[] = [];
  for (let k = fromLevel; k <= toLevel; k++) {
    const s = 2 ** k;
    const span = tile * s;
    for (let y = 0; y < H; y += span) {
      for (let x = 0; x < W; x += span) {
        const w = Math.min(span, W - x);
        const h = Math.min(span, H - y);
        all.push(`${x},${y},${w},${h}/${Math.ceil(w / s)},/0/default.jpg`);
      }
    }
  }
  return all;
}

/** `count` tiles drawn at random from every tile of every scale factor. */
export function randomTiles(W: number, H: number, tile: number, levels: number, count: number): string[] {
  const all = allTiles(W, H, tile, 0, levels - 1);
  const next = rng(tile);
  return Array.from({ length: count }, () => all[Math.floor(next() * all.length)]!);
}

/**
 * Whole-image views of distinct sizes, 600–1400 px high (a page opened at screen size), split into
 * those our server has pre-rendered (exact `sizes` entries) and those it must render.
 */
export function wholeViews(W: number, H: number, stored: readonly { width: number; height: number }[]): { rendered: string[]; preRendered: string[] } {
  const isStored = (w: number, h: number) => stored.some((s) => s.width === w && s.height === h);
  const rendered: string[] = [];
  for (let i = 0; i < 200; i++) {
    const h = 600 + i * 4;
    const w = Math.max(1, Math.round((W * h) / H));
    // ",h" keeps the aspect ratio; "!h,h" fits in a square: both as Mirador and OpenSeadragon ask.
    if (isStored(w, h)) continue;
    rendered.push(i % 2 === 0 ? `full/,${h}/0/default.jpg` : `full/!${h},${h}/0/default.jpg`);
  }
  const preRendered = stored.map((s) => `full/${s.width},${s.height}/0/default.jpg`);
  return { rendered, preRendered };
}

/** A thumbnail `px` wide, as collection pages and thumbnail strips ask for it. */
export const thumbnail = (px: number) => `full/${px},/0/default.jpg`;

/**
 * A reader opening a 50-page book in a viewer: the first page's info.json, a thumbnail strip of the 50
 * pages (150 px high, a `sizes` entry), then the first page's tiles as OpenSeadragon asks them for a
 * 1280×800 viewport: every tile of the coarse levels up to the one that fills the viewport.
 */
export function viewerSession(ids: readonly string[], W: number, H: number, tile: number, levels: number): string[] {
  const first = ids[0]!;
  const strip = ids.map((id) => `${id}/full/,150/0/default.jpg`);
  // The level whose width first reaches the viewport's, and every coarser one.
  let k = levels - 1;
  while (k > 0 && Math.floor(W / 2 ** k) < 1280) k--;
  const tiles = allTiles(W, H, tile, k, levels - 1).reverse().map((p) => `${first}/${p}`);
  return [`${first}/info.json`, ...strip, ...tiles];
}
