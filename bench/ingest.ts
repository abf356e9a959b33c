/**
 * `npm run bench` (third part): the ingest pipeline.
 * 1. OCR accuracy: character error rate (CER) of the pipeline's text on the ground-truth pages of
 *    ../shared/data/ocr (Vietnamese goal ≤ 3 %; Han reported), after NFC and whitespace collapsing.
 * 2. Throughput on 20 pages: the built `vankho ingest` against the bare CLIs it stands on — `tesseract`
 *    (ALTO) and `vips tiffsave` (tiled JPEG pyramid) — run on the same pages with the same parallelism.
 *    Goal: pipeline ≤ 1.1 × the references.
 * Results: bench/results/ingest.{md,json}.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { buildDeps } from '../server/app.js';
import { loadConfig, projectRoot } from '../server/config.js';
import { data } from '../test/helpers/shared.js';
import { cer } from '../test/helpers/text.js';

const run = promisify(execFile);
const CONCURRENCY = Number(process.env.BENCH_INGEST_CONCURRENCY ?? 2);

async function pool<T>(items: T[], limit: number, work: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

const CLI = path.join(projectRoot, 'dist', 'server', 'cli.js');

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'vankho-bench-ingest-'));
  const root = path.join(work, 'storage');
  const config = loadConfig({ env: {}, overrides: { storage: { root } } });
  const setup = await buildDeps(config, pino({ level: 'silent' }));
  setup.catalogue.putLibrary({ id: 'lib', name: { vi: 'Thư viện' } });
  setup.catalogue.putCollection({ id: 'bench', library: 'lib', label: { vi: 'Bench' } });
  setup.close();
  const env = { ...process.env, VANKHO_STORAGE_ROOT: root, VANKHO_LOG_LEVEL: 'silent', VANKHO_INGEST_CONCURRENCY: String(CONCURRENCY) };

  // 1. Accuracy on the ground truth.
  const gt = [
    { page: 'vi_print_01.png', han: false },
    { page: 'vi_print_02.jpg', han: false },
    { page: 'han_vertical_01.jpg', han: true },
  ];
  const tree = path.join(work, 'gt');
  const meta: unknown[] = [];
  for (const g of gt) {
    const name = path.basename(g.page, path.extname(g.page)).replace(/_/g, '-');
    await mkdir(path.join(tree, name), { recursive: true });
    await copyFile(data('ocr', g.page), path.join(tree, name, g.page));
    meta.push({
      path: name,
      description: g.han
        ? { title: { vi: name }, languages: ['lzh'], scripts: ['han'], viewingDirection: 'right-to-left', behavior: 'paged' }
        : { title: { vi: name }, languages: ['vi'], scripts: ['latn'] },
    });
  }
  await writeFile(path.join(work, 'gt.json'), JSON.stringify(meta));
  await run(process.execPath, [CLI, 'ingest', tree, '--collection', 'bench', '--metadata', path.join(work, 'gt.json')], { env });
  const deps = await buildDeps(config, pino({ level: 'silent' }));
  const accuracy = [];
  for (const g of gt) {
    const id = path.basename(g.page, path.extname(g.page)).replace(/_/g, '-');
    const text = (await deps.index.getPage(id, 1))?.text ?? '';
    const truth = await readFile(data('ocr', g.page.replace(/\.(png|jpg)$/, '.gt.txt')), 'utf8');
    accuracy.push({ page: g.page, language: g.han ? 'Han (vertical)' : 'Vietnamese', cer: cer(text, truth, g.han) });
  }
  deps.close();

  // 2. Throughput on 20 pages.
  const sources = [
    data('ocr', 'vi_print_01.png'),
    data('ocr', 'vi_print_02.jpg'),
    ...['2544473_01', '2544473_03', '2568591_15', '2568591_16'].map((k) => data('manuscripts', `${k}.jpg`)),
    ...['08', '09', '10', '11', '12'].map((k) => data('manuscripts', 'ndl-3508165-sanpo-shojo', `3508165_${k}.jpg`)),
  ];
  const pages = Array.from({ length: 20 }, (_, i) => sources[i % sources.length]!);
  const folder = path.join(work, 'hai-muoi-trang');
  await mkdir(folder);
  for (const [i, p] of pages.entries()) await copyFile(p, path.join(folder, `${String(i + 1).padStart(2, '0')}${path.extname(p)}`));

  let t = performance.now();
  await run(process.execPath, [CLI, 'ingest', folder, '--collection', 'bench'], { env, maxBuffer: 1 << 24 });
  const pipelineMs = performance.now() - t;

  const refDir = path.join(work, 'ref');
  await mkdir(refDir);
  const files = pages.map((_, i) => path.join(folder, `${String(i + 1).padStart(2, '0')}${path.extname(pages[i]!)}`));
  t = performance.now();
  await pool(files, CONCURRENCY, async (f) => {
    const base = path.join(refDir, path.basename(f));
    await run('vips', ['tiffsave', f, `${base}.tif`, '--tile', '--pyramid', '--compression', 'jpeg', '--Q', '90', '--tile-width', '256', '--tile-height', '256']);
    await run('tesseract', [f, base, '-l', 'vie', '--psm', '3', 'alto'], { env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
  });
  const referenceMs = performance.now() - t;

  const rows = accuracy.map((a) => `| ${a.page} | ${a.language} | ${(a.cer * 100).toFixed(2)} % |`);
  const md = [
    `# Ingest benchmark — ${new Date().toISOString()}`,
    '',
    '## OCR accuracy (character error rate, ground truth in ../shared/data/ocr)',
    '',
    '| page | script | CER |',
    '|---|---|---|',
    ...rows,
    '',
    `## Throughput, 20 pages (${CONCURRENCY} at a time, ${os.cpus().length} cores)`,
    '',
    `- Văn Khố \`vankho ingest\` (detect, master, pyramid, OCR → ALTO → annotations, index, catalogue): ${(pipelineMs / 1000).toFixed(1)} s — ${((20 / pipelineMs) * 60_000).toFixed(1)} pages/min`,
    `- bare \`vips tiffsave\` + \`tesseract … alto\` on the same pages: ${(referenceMs / 1000).toFixed(1)} s — ${((20 / referenceMs) * 60_000).toFixed(1)} pages/min`,
    `- ratio pipeline ÷ references: ${(pipelineMs / referenceMs).toFixed(2)} (goal ≤ 1.1)`,
    '',
  ].join('\n');
  const out = path.join(projectRoot, 'bench', 'results');
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'ingest.md'), md);
  await writeFile(path.join(out, 'ingest.json'), JSON.stringify({ accuracy, pipelineMs, referenceMs }, null, 2));
  console.log(md);
  await rm(work, { recursive: true, force: true });
}

await main();
