/**
 * `npm run bench` (second part): a 1 000-canvas manifest, served by the built server under wrk
 * (p50/p99, req/s, for 3.0 and 2.1), and its cold build time (iiif-builder, measured in-process over
 * fresh item versions). Target: p50 under 50 ms. Results: bench/results/manifest.{md,json}.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { buildDeps, pyramidOptions } from '../server/app.js';
import { loadConfig, projectRoot } from '../server/config.js';
import { ANONYMOUS } from '../server/auth/policy.js';
import { addImage } from '../server/ingest/pyramid.js';
import { data } from '../test/helpers/shared.js';
import { startVankho } from './servers.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const PAGES = 1000;

function latency(out: string, label: string): number {
  const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
  if (!m) return NaN;
  return m[2] === 'us' ? Number(m[1]) / 1000 : m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'vankho-bench-manifest-'));
  const config = loadConfig({ env: {}, overrides: { storage: { root: work }, demo: { enabled: false } } });
  const deps = await buildDeps(config, pino({ level: 'silent' }));
  await addImage(deps.store, data('manuscripts', '2568591_15.jpg'), { id: 'page' }, pyramidOptions(config));
  await deps.catalogue.putLibrary({ id: 'lib', name: { vi: 'Thư viện' } });
  await deps.catalogue.putCollection({ id: 'bao', library: 'lib', label: { vi: 'Báo' } });
  const item = {
    id: 'nghin-trang',
    collection: 'bao',
    kind: 'newspaper',
    description: { title: { vi: 'Báo một nghìn trang' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' },
    canvases: Array.from({ length: PAGES }, (_, i) => ({ image: 'page', label: `Trang ${i + 1}` })),
  };
  await deps.catalogue.putItem(item);

  // Cold builds: each write makes a new version, which the service must build again.
  const cold: number[] = [];
  for (let i = 0; i < 10; i++) {
    await deps.catalogue.putItem(item);
    const t = performance.now();
    const doc = await deps.presentation.manifest(ANONYMOUS, item.id, 'http://127.0.0.1', 3);
    cold.push(performance.now() - t);
    if (i === 0) console.error(`manifest size: ${(doc.body.length / 1024).toFixed(0)} KiB`);
  }
  cold.sort((a, b) => a - b);
  deps.close();

  const server = await startVankho(projectRoot, work, 18_900, 'page', false);
  const rows: { version: string; concurrency: number; rps: number; p50: number; p99: number }[] = [];
  try {
    for (const version of [3, 2]) {
      const url = `http://127.0.0.1:18900/iiif/presentation/${version}/items/${item.id}/manifest`;
      await (await fetch(url)).arrayBuffer();
      for (const c of [1, 8]) {
        const { stdout } = await run('wrk', ['-t1', `-c${c}`, `-d${SECONDS}s`, '--latency', '-H', 'Accept-Encoding: gzip', url]);
        rows.push({ version: `${version === 3 ? '3.0' : '2.1'}`, concurrency: c, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]), p50: latency(stdout, '50'), p99: latency(stdout, '99') });
      }
    }
  } finally {
    await server.stop();
  }
  const md = [
    `# Manifest benchmark — ${new Date().toISOString()}`,
    '',
    `A ${PAGES}-canvas item. Cold build (iiif-builder, in-process, 10 fresh versions): median ${cold[5]!.toFixed(1)} ms, max ${cold[9]!.toFixed(1)} ms.`,
    'Served by the built server (kept per item version, gzip as browsers ask for it), wrk -t1:',
    '',
    '| Presentation | conc. | req/s | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.version} | ${r.concurrency} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`),
    '',
    `Target p50 < 50 ms: ${rows.every((r) => r.p50 < 50) ? 'met' : 'NOT met'}.`,
    '',
  ].join('\n');
  const out = path.join(projectRoot, 'bench', 'results');
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'manifest.md'), md);
  await writeFile(path.join(out, 'manifest.json'), JSON.stringify({ coldMs: cold, rows }, null, 2));
  console.log(md);
  await rm(work, { recursive: true, force: true });
}

await main();
