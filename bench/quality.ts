/**
 * Visual quality of served tiles: each sampled tile, as a server sends it, against the master's own
 * pixels at that pyramid level, downsampled with one named kernel (sharp `resize`, kernel lanczos3,
 * from the full-resolution master to the level's size). Two measures, both reported:
 *   - SSIM (Debian python3-pyssim; bench/pyssim_pairs.py), 1 = identical, higher is better;
 *   - butteraugli distance (Debian `butteraugli`), 0 = identical, lower is better (below ~1.0 a person
 *     sees no difference; above ~2 artefacts are visible).
 * Per level and overall (mean over tiles).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

/** One sampled tile: its level and where it lies in full-resolution pixels and in the level's pixels. */
export interface TileSample {
  readonly level: number;
  /** Image API 2.1 parameters after the identifier, `{region}/{size}/0/default.jpg`. */
  readonly params: string;
  readonly levelRect: { x: number; y: number; w: number; h: number };
}

export interface QualityRow {
  readonly server: string;
  readonly level: number;
  readonly tiles: number;
  readonly ssim: number;
  readonly butteraugli: number;
  readonly meanBytes: number;
}

/** `perLevel` tiles of every level (fixed seed), as a viewer asks for them. */
export function sampleTiles(W: number, H: number, tile: number, levels: number, perLevel: number, next: () => number): TileSample[] {
  const out: TileSample[] = [];
  for (let k = 0; k < levels; k++) {
    const s = 2 ** k;
    // Level sizes as libvips makes them (each halving rounded down); each tile is asked at its true size.
    const lw = Math.floor(W / s);
    const lh = Math.floor(H / s);
    const cols = Math.ceil(lw / tile);
    const rows = Math.ceil(lh / tile);
    const seen = new Set<number>();
    for (let i = 0; i < Math.min(perLevel, cols * rows); i++) {
      let n: number;
      do n = Math.floor(next() * cols * rows);
      while (seen.has(n));
      seen.add(n);
      const col = n % cols;
      const row = Math.floor(n / cols);
      const x = col * tile * s;
      const y = row * tile * s;
      const w = Math.min(tile * s, W - x);
      const h = Math.min(tile * s, H - y);
      const lx = col * tile;
      const ly = row * tile;
      const rect = { x: lx, y: ly, w: Math.min(tile, lw - lx), h: Math.min(tile, lh - ly) };
      // The tile's area at full resolution (clipped by the image) at the tile's true size.
      out.push({ level: k, params: `${x},${y},${w},${h}/${rect.w},${rect.h}/0/default.jpg`, levelRect: rect });
    }
  }
  return out;
}

/** The master at each level's size, decoded once (raw RGB). */
async function referenceLevels(master: string, W: number, H: number, levels: number) {
  const out: { width: number; height: number; data: Buffer }[] = [];
  for (let k = 0; k < levels; k++) {
    const s = 2 ** k;
    const { data, info } = await sharp(master, { limitInputPixels: false })
      .removeAlpha()
      .resize(Math.floor(W / s), Math.floor(H / s), { kernel: 'lanczos3', fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    out.push({ width: info.width, height: info.height, data });
  }
  return out;
}

async function ssimAll(pairs: [string, string][]): Promise<number[]> {
  const child = spawn('/usr/bin/python3', [path.join(import.meta.dirname, 'pyssim_pairs.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(pairs.map((p) => p.join('\t')).join('\n') + '\n');
  await new Promise((resolve, reject) => child.on('exit', (c) => (c === 0 ? resolve(null) : reject(new Error(`pyssim_pairs.py exited ${c}`)))));
  return out.trim().split('\n').map(Number);
}

async function butteraugli(ref: string, dist: string): Promise<number> {
  const { stdout } = await run('butteraugli', [ref, dist]);
  return Number(stdout.trim().split(/\s+/)[0]);
}

/**
 * Fetches every sample from every server (`fetchTile(server, params)`), writes reference and served
 * tiles as PNG under `work`, and scores them.
 */
export async function measureQuality(
  master: string,
  size: { width: number; height: number; levels: number },
  samples: readonly TileSample[],
  servers: readonly string[],
  fetchTile: (server: string, params: string) => Promise<Buffer>,
  work: string,
): Promise<QualityRow[]> {
  await mkdir(work, { recursive: true });
  const refs = await referenceLevels(master, size.width, size.height, size.levels);
  const scored: { server: string; level: number; ref: string; dist: string; bytes: number }[] = [];
  for (const [i, t] of samples.entries()) {
    const L = refs[t.level]!;
    const ref = path.join(work, `ref-${i}.png`);
    await sharp(L.data, { raw: { width: L.width, height: L.height, channels: 3 } })
      .extract({ left: t.levelRect.x, top: t.levelRect.y, width: t.levelRect.w, height: t.levelRect.h })
      .png()
      .toFile(ref);
    for (const server of servers) {
      const jpeg = await fetchTile(server, t.params);
      const meta = await sharp(jpeg).metadata();
      if (meta.width !== t.levelRect.w || meta.height !== t.levelRect.h) {
        throw new Error(`${server} ${t.params}: ${meta.width}×${meta.height}, expected ${t.levelRect.w}×${t.levelRect.h}`);
      }
      const dist = path.join(work, `${server}-${i}.png`);
      await sharp(jpeg).png().toFile(dist);
      scored.push({ server, level: t.level, ref, dist, bytes: jpeg.length });
    }
  }
  const ssim = await ssimAll(scored.map((s) => [s.ref, s.dist]));
  const ba: number[] = [];
  for (const s of scored) ba.push(await butteraugli(s.ref, s.dist));
  const rows: QualityRow[] = [];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const server of servers) {
    const levels = [...new Set(scored.map((s) => s.level)), -1];
    for (const level of levels) {
      const idx = scored.flatMap((s, i) => (s.server === server && (level === -1 || s.level === level) ? [i] : []));
      rows.push({
        server,
        level,
        tiles: idx.length,
        ssim: mean(idx.map((i) => ssim[i]!)),
        butteraugli: mean(idx.map((i) => ba[i]!)),
        meanBytes: mean(idx.map((i) => scored[i]!.bytes)),
      });
    }
  }
  await writeFile(path.join(work, 'quality.json'), JSON.stringify(rows, null, 2));
  return rows;
}
