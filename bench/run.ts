/**
 * `npm run bench`: Văn Khố's Image API against two references measured in the same run, on the same
 * pyramidal TIFFs and the same random URLs (Image API 2.1, the version all three speak):
 *   IIPImage (Debian iipimage-server behind lighttpd) and the npm iiif-processor library.
 * Load from wrk (Debian). Reports p50/p99 latency, requests/s, CPU ms per request and peak RSS of
 * each server, and ratios of ours to each reference. Results: bench/results/image-api.{md,json}.
 *
 * Environment: BENCH_SECONDS (per measurement, default 8), BENCH_SCENARIOS and BENCH_SERVERS (comma lists).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pyramidOptions } from '../server/app.js';
import { loadConfig, projectRoot } from '../server/config.js';
import { addImage } from '../server/ingest/pyramid.js';
import { LocalBlobStore } from '../server/storage/blob-store.js';
import { data } from '../test/helpers/shared.js';
import { cpuMs, rss, startIipsrv, startIiifProcessor, startVankho, type RunningServer } from './servers.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const SOURCE = data('large', 'ndl_mosaic_12800x9600_q85.jpg');
const APT = 'apt-get install -y iipimage-server lighttpd wrk libvips-tools';

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
}

/** Deterministic PRNG (mulberry32), so every run draws the same URLs. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every tile an IIIF client would ask for at every scale factor, as 2.1 parameter paths; a random sample. */
function tileParams(W: number, H: number, tile: number, levels: number, count: number): string[] {
  const all: string[] = [];
  for (let k = 0; k < levels; k++) {
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
  const next = rng(tile);
  return Array.from({ length: count }, () => all[Math.floor(next() * all.length)]!);
}

/** Whole-image views of 200 distinct sizes (600–1400 px high), so that concurrent requests rarely coincide. */
const SCALED = Array.from({ length: 200 }, (_, i) => {
  const h = 600 + i * 4;
  return i % 2 === 0 ? `full/,${h}/0/default.jpg` : `full/!${h},${h}/0/default.jpg`;
});

function parseWrk(out: string): Omit<Measure, 'server' | 'scenario' | 'concurrency' | 'cpuMsPerRequest' | 'peakRssMB'> {
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

async function measure(server: RunningServer, scenario: string, urlFile: string, concurrency: number, seconds: number): Promise<Measure> {
  const base = new URL(server.prefix);
  const target = `${base.protocol}//${base.host}`;
  const pids = server.pids();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, pids.reduce((a, p) => a + rss(p), 0));
  }, 100);
  const cpu0 = pids.reduce((a, p) => a + cpuMs(p), 0);
  const { stdout } = await run('wrk', ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--latency', '--timeout', '30s', '-s', path.join(projectRoot, 'bench', 'urls.lua'), target, '--', urlFile], {
    maxBuffer: 1 << 20,
  });
  clearInterval(sampler);
  const cpu = pids.reduce((a, p) => a + cpuMs(p), 0) - cpu0;
  const r = parseWrk(stdout);
  return {
    server: server.name,
    scenario,
    concurrency,
    ...r,
    cpuMsPerRequest: r.requests > 0 ? cpu / r.requests : NaN,
    peakRssMB: peak / 2 ** 20,
  };
}

function checkTools(): void {
  const missing = ['wrk', 'lighttpd', 'vips', 'tesseract'].filter((t) => {
    try {
      execFileSync('which', [t]);
      return false;
    } catch {
      return true;
    }
  });
  if (!existsSync('/usr/lib/iipimage-server/iipsrv.fcgi')) missing.push('iipimage-server');
  if (!existsSync(path.join(projectRoot, 'dist', 'server', 'cli.js'))) missing.push('dist/ (npm run build)');
  if (missing.length > 0) {
    console.error(`bench needs: ${missing.join(', ')}\n  ${APT}`);
    process.exit(2);
  }
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—');

function report(results: Measure[]): string {
  const lines = [
    `# Image API benchmark — ${new Date().toISOString()}`,
    '',
    `Source: ${path.basename(SOURCE)} (12800×9600) as pyramidal TIFFs (JPEG tiles, 256 and 512 px), ${SECONDS} s per measurement, wrk -t1, ${os.cpus().length} cores.`,
    'Ratios are Văn Khố ÷ reference, measured in the same run: latency < 1 and throughput > 1 favour Văn Khố.',
    '',
    '| scenario | conc. | server | req/s | p50 ms | p99 ms | CPU ms/req | peak RSS MB | errors |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const m of results) {
    lines.push(`| ${m.scenario} | ${m.concurrency} | ${m.server} | ${fmt(m.rps)} | ${fmt(m.p50ms, 2)} | ${fmt(m.p99ms, 2)} | ${fmt(m.cpuMsPerRequest, 2)} | ${fmt(m.peakRssMB, 0)} | ${m.errors} |`);
  }
  lines.push('', '| scenario | conc. | p50 ÷ iipsrv | p99 ÷ iipsrv | req/s ÷ iipsrv | p50 ÷ iiif-processor | req/s ÷ iiif-processor |', '|---|---|---|---|---|---|---|');
  const keys = [...new Set(results.map((m) => `${m.scenario}|${m.concurrency}`))];
  for (const key of keys) {
    const [scenario, c] = key.split('|');
    const of = (name: string) => results.find((m) => m.server === name && `${m.scenario}|${m.concurrency}` === key);
    const v = of('vankho');
    const i = of('iipsrv');
    const p = of('iiif-processor');
    if (!v) continue;
    lines.push(
      `| ${scenario} | ${c} | ${i ? fmt(v.p50ms / i.p50ms, 2) : '—'} | ${i ? fmt(v.p99ms / i.p99ms, 2) : '—'} | ${i ? fmt(v.rps / i.rps, 2) : '—'} | ${p ? fmt(v.p50ms / p.p50ms, 3) : '—'} | ${p ? fmt(v.rps / p.rps, 1) : '—'} |`,
    );
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
  const scenarios: { name: string; file: string; ids: Record<string, string> }[] = [];

  for (const tile of [256, 512]) {
    const id = `bench${tile}`;
    console.error(`building the ${tile}-px pyramid…`);
    const [rec] = await addImage(store, SOURCE, { id }, { ...opts, tileSize: tile });
    await symlink(store.localPath(`images/${id}/pyramid.tif`), path.join(iipDir, `${id}.tif`));
    const params = tileParams(rec!.width, rec!.height, tile, rec!.levels, 2000);
    scenarios.push({ name: `tiles ${tile}`, file: id, ids: { vankho: id, iipsrv: `${id}.tif`, 'iiif-processor': `${id}.tif` } });
    await writeFile(path.join(work, `${id}.params`), params.join('\n'));
  }
  await writeFile(path.join(work, 'scaled.params'), SCALED.join('\n'));
  scenarios.push({ name: 'scaled whole image', file: 'scaled', ids: { vankho: 'bench256', iipsrv: 'bench256.tif', 'iiif-processor': 'bench256.tif' } });
  const wanted = process.env.BENCH_SCENARIOS?.split(',');

  const servers = process.env.BENCH_SERVERS?.split(',') ?? ['iipsrv', 'iiif-processor', 'vankho'];
  const starters = [
    ['iipsrv', () => startIipsrv(work, iipDir, 18_600, 'bench256.tif')],
    ['iiif-processor', () => startIiifProcessor(projectRoot, iipDir, 18_700, 'bench256.tif')],
    ['vankho', () => startVankho(projectRoot, storageRoot, 18_800, 'bench256')],
  ] as const;
  const results: Measure[] = [];
  for (const [name, start] of starters) {
    if (!servers.includes(name)) continue;
    const server = await start();
    try {
      for (const s of scenarios) {
        if (wanted && !wanted.some((w) => s.name.includes(w))) continue;
        const params = (await readFile(path.join(work, `${s.file}.params`), 'utf8')).split('\n');
        const prefix = new URL(server.prefix);
        const paths = params.map((p) => `${prefix.pathname}${prefix.search}${s.ids[server.name]}/${p}`);
        const urlFile = path.join(work, `${server.name}-${s.file}.urls`);
        await writeFile(urlFile, paths.join('\n'));
        // Every URL must be answered 200 before it is timed.
        for (const p of paths.slice(0, 20)) {
          const res = await fetch(`${prefix.protocol}//${prefix.host}${p}`);
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`${server.name}: ${p} → ${res.status}`);
        }
        await measure(server, s.name, urlFile, 4, 1); // warm the page cache and the process
        for (const c of [1, 32]) {
          const m = await measure(server, s.name, urlFile, c, SECONDS);
          console.error(`${server.name.padEnd(15)} ${s.name.padEnd(19)} c=${String(c).padEnd(3)} ${fmt(m.rps).padStart(8)} req/s  p50 ${fmt(m.p50ms, 2)} ms  p99 ${fmt(m.p99ms, 2)} ms  cpu ${fmt(m.cpuMsPerRequest, 2)} ms/req  rss ${fmt(m.peakRssMB, 0)} MB  errors ${m.errors}`);
          results.push(m);
        }
      }
    } finally {
      await server.stop();
    }
  }
  const md = report(results);
  const out = path.join(projectRoot, 'bench', 'results');
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'image-api.md'), md);
  await writeFile(path.join(out, 'image-api.json'), JSON.stringify(results, null, 2));
  console.log(md);
  await rm(work, { recursive: true, force: true });
}

await main();
