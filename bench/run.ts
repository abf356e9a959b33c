/**
 * `npm run bench`: Văn Khố's Image API against two references measured in the same run, with the same
 * random URLs (Image API 2.1, the version all three speak):
 *   IIPImage (Debian iipimage-server behind lighttpd) and the npm iiif-processor library.
 * The references read a pyramid built from the master with a fixed recipe, never ours:
 *   vips tiffsave MASTER ref.tif --tile --pyramid --compression jpeg --Q 90 --tile-width T --tile-height T
 * (Debian libvips-tools), so changing how we build ours does not move the reference.
 * Load from wrk (Debian). Per server and scenario: requests/s, p50/p99 latency, CPU ms per request,
 * peak RSS, mean bytes per response and bytes/s; ratios of ours to each reference; and the visual
 * quality of served tiles (bench/quality.ts). Results: bench/results/image-api.{md,json}.
 *
 * Environment: BENCH_SECONDS (per measurement, default 8), BENCH_SCENARIOS and BENCH_SERVERS (comma lists),
 * BENCH_QUALITY_TILES (tiles per level scored for quality, default 8; 0 skips it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pyramidOptions } from '../server/app.js';
import { loadConfig, projectRoot } from '../server/config.js';
import { addImage } from '../server/ingest/pyramid.js';
import { LocalBlobStore } from '../server/storage/blob-store.js';
import { imageKeys, type ImageRecord } from '../server/storage/layout.js';
import { data } from '../test/helpers/shared.js';
import { measureQuality, sampleTiles, type QualityRow } from './quality.js';
import { randomTiles, rng, thumbnail, viewerSession, wholeViews, type Scenario } from './scenarios.js';
import { cpuMs, rss, startIipsrv, startIiifProcessor, startVankho, type RunningServer } from './servers.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const QUALITY_TILES = Number(process.env.BENCH_QUALITY_TILES ?? 8);
const SOURCE = data('large', 'ndl_mosaic_12800x9600_q85.jpg');
const APT = 'apt-get install -y iipimage-server lighttpd wrk libvips-tools python3-pyssim butteraugli';
const REFERENCE_RECIPE = (tile: number) => ['tiffsave', SOURCE, '', '--tile', '--pyramid', '--compression', 'jpeg', '--Q', '90', '--tile-width', String(tile), '--tile-height', String(tile)];
const PAGES = 50;
/** iiif-processor renders every request from the TIFF (≈ 0.1–3 s each): its bytes are averaged over this many requests. */
const SLOW_SAMPLE = 40;

interface Measure {
  server: string;
  scenario: string;
  concurrency: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  cpuMsPerRequest: number;
  peakRssMB: number;
  meanBytes: number;
  bytesPerSecond: number;
  unitsPerSecond?: number;
}

function parseWrk(out: string) {
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { requests, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), p50ms: ms('50'), p99ms: ms('99'), errors: non2xx + socketErrors };
}

async function wrk(server: RunningServer, urlFile: string, concurrency: number, seconds: number) {
  const base = new URL(server.prefix);
  const pids = server.pids();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, pids.reduce((a, p) => a + rss(p), 0));
  }, 100);
  const cpu0 = pids.reduce((a, p) => a + cpuMs(p), 0);
  const { stdout } = await run('wrk', ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--latency', '--timeout', '30s', '-s', path.join(projectRoot, 'bench', 'urls.lua'), `${base.protocol}//${base.host}`, '--', urlFile], {
    maxBuffer: 1 << 20,
  });
  clearInterval(sampler);
  const cpu = pids.reduce((a, p) => a + cpuMs(p), 0) - cpu0;
  const r = parseWrk(stdout);
  return { ...r, cpuMsPerRequest: r.requests > 0 ? cpu / r.requests : NaN, peakRssMB: peak / 2 ** 20 };
}

function checkTools(): void {
  const missing = ['wrk', 'lighttpd', 'vips', 'butteraugli'].filter((t) => {
    try {
      execFileSync('which', [t]);
      return false;
    } catch {
      return true;
    }
  });
  if (!existsSync('/usr/lib/iipimage-server/iipsrv.fcgi')) missing.push('iipimage-server');
  if (!existsSync('/usr/lib/python3/dist-packages/ssim')) missing.push('python3-pyssim');
  if (!existsSync(path.join(projectRoot, 'dist', 'server', 'cli.js'))) missing.push('dist/ (npm run build)');
  if (missing.length > 0) {
    console.error(`bench needs: ${missing.join(', ')}\n  ${APT}`);
    process.exit(2);
  }
}

const fmt = (n: number | undefined, d = 1) => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '—');

/** The server's identifier for one of our logical ids: ours as is, the references' as `{id}.tif`. */
const serverId = (server: string, id: string) => (server.startsWith('vankho') ? id : `${id}.tif`);

function urlPaths(server: RunningServer, s: Scenario): string[] {
  const prefix = new URL(server.prefix);
  return s.paths.map((p) => {
    const slash = p.indexOf('/');
    return `${prefix.pathname}${prefix.search}${serverId(server.name, p.slice(0, slash))}${p.slice(slash)}`;
  });
}

/** Mean body bytes over the scenario's list as wrk walks it (each distinct URL fetched once). */
async function meanBytes(server: RunningServer, paths: string[], keep: Map<string, Buffer> | null): Promise<number> {
  const prefix = new URL(server.prefix);
  const list = server.name === 'iiif-processor' ? paths.slice(0, SLOW_SAMPLE) : paths;
  const sizes = new Map<string, number>();
  for (const p of list) {
    if (sizes.has(p)) continue;
    const res = await fetch(`${prefix.protocol}//${prefix.host}${p}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${server.name}: ${p} → ${res.status} ${body.toString().slice(0, 200)}`);
    sizes.set(p, body.length);
    keep?.set(p, body);
  }
  return list.reduce((a, p) => a + sizes.get(p)!, 0) / list.length;
}

/** Hard links of one stored image under other identifiers (the pages of the viewer-session book). */
async function linkPages(store: LocalBlobStore, from: ImageRecord, ids: string[]): Promise<void> {
  const src = imageKeys(from.id).version(from.version!);
  for (const id of ids) {
    const dst = imageKeys(id).version(from.version!);
    await mkdir(store.localPath(dst.dir), { recursive: true });
    await link(store.localPath(src.pyramid), store.localPath(dst.pyramid));
    await link(store.localPath(src.extras), store.localPath(dst.extras));
    await store.put(imageKeys(id).record, JSON.stringify({ ...from, id }));
  }
}

function report(results: Measure[], quality: QualityRow[], scenarios: Scenario[]): string {
  const lines = [
    `# Image API benchmark — ${new Date().toISOString()}`,
    '',
    `Source: ${path.basename(SOURCE)} (12800×9600). Văn Khố reads its own derivatives (image add); IIPImage and iiif-processor read pyramids made with \`vips ${REFERENCE_RECIPE(256).join(' ').replace(SOURCE, 'MASTER').replace('  ', ' ref.tif ')}\` (and 512). ${SECONDS} s per measurement, wrk -t1, ${os.cpus().length} cores. Văn Khố runs uncached (derivative cache off); \`vankho-cached\` is the same server as shipped (cache on), for rendered thumbnails only.`,
    'Ratios are Văn Khố ÷ reference, measured in the same run: latency and bytes < 1, throughput > 1 favour Văn Khố.',
    '',
    '| scenario | conc. | server | req/s | p50 ms | p99 ms | CPU ms/req | peak RSS MB | KB/resp | MB/s | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const m of results) {
    const units = m.unitsPerSecond !== undefined ? ` (${fmt(m.unitsPerSecond, 2)} sessions/s)` : '';
    lines.push(`| ${m.scenario} | ${m.concurrency} | ${m.server} | ${fmt(m.rps)}${units} | ${fmt(m.p50ms, 2)} | ${fmt(m.p99ms, 2)} | ${fmt(m.cpuMsPerRequest, 2)} | ${fmt(m.peakRssMB, 0)} | ${fmt(m.meanBytes / 1024)} | ${fmt(m.bytesPerSecond / 2 ** 20)} | ${m.errors} |`);
  }
  lines.push('', '| scenario | requests | conc. | req/s ÷ iipsrv | p50 ÷ iipsrv | p99 ÷ iipsrv | bytes ÷ iipsrv | req/s ÷ iiif-processor | p50 ÷ iiif-processor |', '|---|---|---|---|---|---|---|---|---|');
  for (const key of [...new Set(results.map((m) => `${m.scenario}|${m.concurrency}`))]) {
    const [scenario, c] = key.split('|');
    const of = (name: string) => results.find((m) => m.server === name && `${m.scenario}|${m.concurrency}` === key);
    const i = of('iipsrv');
    const p = of('iiif-processor');
    const n = scenarios.find((s) => s.name === scenario)?.paths.length;
    for (const ours of ['vankho', 'vankho-cached']) {
      const v = of(ours);
      if (!v) continue;
      lines.push(
        `| ${scenario}${ours === 'vankho-cached' ? ' (cache on)' : ''} | ${n} | ${c} | ${i ? fmt(v.rps / i.rps, 2) : '—'} | ${i ? fmt(v.p50ms / i.p50ms, 2) : '—'} | ${i ? fmt(v.p99ms / i.p99ms, 2) : '—'} | ${i ? fmt(v.meanBytes / i.meanBytes, 2) : '—'} | ${p ? fmt(v.rps / p.rps, 1) : '—'} | ${p ? fmt(v.p50ms / p.p50ms, 3) : '—'} |`,
      );
    }
  }
  if (quality.length > 0) {
    lines.push(
      '',
      `Quality of served 256-px tiles (${QUALITY_TILES} per level, edge tiles included) against the master downsampled to each level with sharp's lanczos3: SSIM (higher is better) and butteraugli distance (lower is better).`,
      '',
      '| level | server | tiles | SSIM | butteraugli | KB/tile |',
      '|---|---|---|---|---|---|',
    );
    for (const q of [...quality].sort((a, b) => (a.level === -1 ? 99 : a.level) - (b.level === -1 ? 99 : b.level) || a.server.localeCompare(b.server))) {
      lines.push(`| ${q.level === -1 ? 'all' : q.level} | ${q.server} | ${q.tiles} | ${q.ssim.toFixed(4)} | ${q.butteraugli.toFixed(3)} | ${fmt(q.meanBytes / 1024)} |`);
    }
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  checkTools();
  const work = await mkdtemp(path.join(os.tmpdir(), 'vankho-bench-'));
  const storageRoot = path.join(work, 'storage');
  const iipDir = path.join(work, 'images');
  await mkdir(iipDir, { recursive: true });
  const store = new LocalBlobStore(storageRoot);
  const opts = pyramidOptions(loadConfig({ env: {} }));
  const records: Record<number, ImageRecord> = {};

  for (const tile of [256, 512]) {
    const id = `bench${tile}`;
    console.error(`building the ${tile}-px derivatives and the reference pyramid…`);
    records[tile] = (await addImage(store, SOURCE, { id }, { ...opts, tileSize: tile }))[0]!;
    const recipe = REFERENCE_RECIPE(tile);
    recipe[2] = path.join(iipDir, `${id}.tif`);
    await run('vips', recipe);
  }
  const W = records[256]!.width;
  const H = records[256]!.height;
  const pages = Array.from({ length: PAGES }, (_, i) => `page-${String(i + 1).padStart(2, '0')}`);
  await linkPages(store, records[256]!, pages);
  for (const p of pages) await symlink(path.join(iipDir, 'bench256.tif'), path.join(iipDir, `${p}.tif`));

  const views = wholeViews(W, H, records[256]!.sizes ?? []);
  const smallSizes = (records[256]!.sizes ?? []).filter((s) => Math.max(s.width, s.height) <= 400);
  const on = (id: string, params: readonly string[]) => params.map((p) => `${id}/${p}`);
  const all: Scenario[] = [
    { name: 'tiles 256', paths: on('bench256', randomTiles(W, H, 256, records[256]!.levels, 2000)) },
    { name: 'tiles 512', paths: on('bench512', randomTiles(W, H, 512, records[512]!.levels, 2000)) },
    { name: 'whole image, rendered', paths: on('bench256', views.rendered) },
    { name: 'whole image, sizes entries', paths: on('bench256', views.preRendered) },
    // What Mirador's thumbnail strip and any client that reads info.json `sizes` ask for: file copies.
    { name: 'thumbnails ≤400 px, sizes entries, 50 pages', paths: pages.flatMap((p) => smallSizes.map((s) => `${p}/full/${s.width},${s.height}/0/default.jpg`)) },
    // Widths no `sizes` entry has, and our own pages' !300,300: rendered on every request.
    { name: 'thumbnails 150/250/!300 px, rendered, 50 pages', paths: pages.flatMap((p) => [...[150, 250].map(thumbnail), 'full/!300,300/0/default.jpg'].map((t) => `${p}/${t}`)), cached: true },
  ];
  const session = viewerSession(pages, W, H, 256, records[256]!.levels);
  all.push({ name: 'viewer session', paths: session, perUnit: session.length });
  const wanted = process.env.BENCH_SCENARIOS?.split(',');
  const scenarios = all.filter((s) => !wanted || wanted.some((w) => s.name.includes(w)));

  // Tiles scored for quality: drawn across every level of the 256-px pyramid.
  const samples = QUALITY_TILES > 0 ? sampleTiles(W, H, 256, records[256]!.levels, QUALITY_TILES, rng(42)) : [];
  const served = new Map<string, Map<string, Buffer>>();

  const servers = process.env.BENCH_SERVERS?.split(',') ?? ['iipsrv', 'iiif-processor', 'vankho', 'vankho-cached'];
  const starters = [
    ['iipsrv', () => startIipsrv(work, iipDir, 18_600, 'bench256.tif')],
    ['iiif-processor', () => startIiifProcessor(projectRoot, iipDir, 18_700, 'bench256.tif')],
    ['vankho', () => startVankho(projectRoot, storageRoot, 18_800, 'bench256', false)],
    // As shipped (derivative cache on), for the scenarios marked `cached` only.
    ['vankho-cached', () => startVankho(projectRoot, storageRoot, 18_900, 'bench256', true)],
  ] as const;
  const results: Measure[] = [];
  for (const [name, start] of starters) {
    if (!servers.includes(name)) continue;
    const server = await start();
    try {
      if (samples.length > 0 && name !== 'iiif-processor') {
        const keep = new Map<string, Buffer>();
        const paths = urlPaths(server, { name: 'quality', paths: on('bench256', samples.map((s) => s.params)) });
        await meanBytes(server, paths, keep);
        served.set(name, new Map(samples.map((s, i) => [s.params, keep.get(paths[i]!)!])));
      }
      for (const s of scenarios) {
        if (name === 'vankho-cached' && !s.cached) continue;
        const paths = urlPaths(server, s);
        const urlFile = path.join(work, `${server.name}-${s.name.replace(/\W+/g, '-')}.urls`);
        await writeFile(urlFile, paths.join('\n'));
        // Every URL is answered 200 before anything is timed; its bytes are what the scenario transfers.
        const bytes = await meanBytes(server, paths, null);
        await wrk(server, urlFile, 4, 3); // warm the page cache, the process and its JIT: 3 s for every server
        for (const c of [1, 32]) {
          const r = await wrk(server, urlFile, c, SECONDS);
          const m: Measure = { server: server.name, scenario: s.name, concurrency: c, ...r, meanBytes: bytes, bytesPerSecond: r.rps * bytes, ...(s.perUnit ? { unitsPerSecond: r.rps / s.perUnit } : {}) };
          console.error(`${m.server.padEnd(15)} ${s.name.padEnd(34)} c=${String(c).padEnd(3)} ${fmt(m.rps).padStart(8)} req/s  p50 ${fmt(m.p50ms, 2)} ms  p99 ${fmt(m.p99ms, 2)} ms  cpu ${fmt(m.cpuMsPerRequest, 2)} ms/req  ${fmt(bytes / 1024)} KB  rss ${fmt(m.peakRssMB, 0)} MB  errors ${m.errors}`);
          results.push(m);
        }
      }
    } finally {
      await server.stop();
    }
  }
  let quality: QualityRow[] = [];
  if (samples.length > 0 && served.size > 0) {
    console.error('scoring tile quality (SSIM, butteraugli)…');
    quality = await measureQuality(SOURCE, { width: W, height: H, levels: records[256]!.levels }, samples, [...served.keys()], async (server, params) => served.get(server)!.get(params)!, path.join(work, 'quality'));
  }
  const md = report(results, quality, scenarios);
  const out = path.join(projectRoot, 'bench', 'results');
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'image-api.md'), md);
  await writeFile(path.join(out, 'image-api.json'), JSON.stringify({ results, quality }, null, 2));
  console.log(md);
  await rm(work, { recursive: true, force: true });
}

await main();
