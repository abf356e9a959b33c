#!/usr/bin/env node
/**
 * Lists test titles (suite path › title), to check that moving the suite from node:test to mocha
 * lost no test.
 *   node test/tools/titles.mjs tap FILE                 titles in a node:test TAP report
 *   node test/tools/titles.mjs results FILE...          titles in results of test/tools/reporter.cjs
 *   node test/tools/titles.mjs compare TAP COMMIT RESULTS...
 *       compares the TAP report of COMMIT (the last node:test commit) with mocha's results, for the
 *       test files COMMIT has; tests of files added since are counted apart. Under mocha, the files
 *       in WRAPPED have one more suite level (see below); compare drops it.
 * Exits 1 when a test of the TAP report is missing from the results.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Files whose top-level before/after hooks served several describe()s. node:test ran them per file;
 * in mocha they would be root hooks of the whole run, so each such file is wrapped in one describe.
 */
const WRAPPED = {
  'test/api/image-add.test.ts': 'image add',
  'test/api/image-api.test.ts': 'IIIF Image API',
  'test/api/ingest.test.ts': 'ingest',
  'test/api/presentation.test.ts': 'Presentation API',
  'test/api/web.test.ts': 'public site',
};

const SEP = ' › ';
const unescapeTap = (s) => s.replace(/\\(.)/g, (_, c) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);

/** Tests (not suites) of a node:test TAP report, with their suite path. */
export function tapTitles(text) {
  const lines = text.split('\n');
  const open = [];
  const titles = [];
  for (let i = 0; i < lines.length; i++) {
    const sub = /^( *)# Subtest: (.*)$/.exec(lines[i]);
    if (sub) {
      const depth = sub[1].length / 4;
      open.length = depth;
      open[depth] = unescapeTap(sub[2]);
      continue;
    }
    const end = /^( *)(?:not )?ok \d+ - (.*?)(?: # (?:SKIP|TODO)\b.*)?$/.exec(lines[i]);
    if (!end) continue;
    const depth = end[1].length / 4;
    let isSuite = false;
    if (lines[i + 1]?.trim() === '---') {
      for (let j = i + 2; j < lines.length && lines[j].trim() !== '...'; j++) if (lines[j].trim() === "type: 'suite'") isSuite = true;
    }
    if (!isSuite) titles.push([...open.slice(0, depth), unescapeTap(end[2])].join(SEP));
  }
  return titles;
}

/** Tests of reporter.cjs results files: { title, file, state }. */
export function resultTitles(files) {
  return files.flatMap((f) =>
    JSON.parse(readFileSync(f, 'utf8'))
      .tests.filter((t) => t.type === 'test')
      .map((t) => ({ title: t.titlePath.join(SEP), file: t.file, state: t.state, titlePath: t.titlePath })),
  );
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'tap') {
  for (const t of tapTitles(readFileSync(args[0], 'utf8'))) console.log(t);
} else if (mode === 'results') {
  for (const t of resultTitles(args)) console.log(t.title);
} else if (mode === 'compare') {
  const [tap, commit, ...results] = args;
  const before = tapTitles(readFileSync(tap, 'utf8'));
  const oldFiles = new Set(execFileSync('git', ['ls-tree', '-r', '--name-only', commit, 'test/'], { encoding: 'utf8' }).split('\n'));
  const all = resultTitles(results);
  const after = all
    .filter((t) => oldFiles.has(t.file))
    .map((t) => (WRAPPED[t.file] !== undefined && t.titlePath[0] === WRAPPED[t.file] ? t.titlePath.slice(1).join(SEP) : t.title));
  const newer = all.filter((t) => !oldFiles.has(t.file));
  const count = (list) => list.reduce((m, t) => m.set(t, (m.get(t) ?? 0) + 1), new Map());
  const [b, a] = [count(before), count(after)];
  const lost = [...b].filter(([t, n]) => (a.get(t) ?? 0) < n).map(([t, n]) => `${t} (${n} before, ${a.get(t) ?? 0} after)`);
  const added = [...a].filter(([t, n]) => (b.get(t) ?? 0) < n).map(([t, n]) => `${t} (${b.get(t) ?? 0} before, ${n} after)`);
  console.log(`before (node:test, ${tap}): ${before.length} tests`);
  console.log(`after (mocha, files of ${commit}): ${after.length} tests, ${after.length - all.filter((t) => oldFiles.has(t.file) && t.state === 'passed').length} not passed`);
  console.log(`wrapper suite dropped for: ${Object.keys(WRAPPED).join(', ')}`);
  console.log(`lost: ${lost.length}${lost.map((t) => `\n  - ${t}`).join('')}`);
  console.log(`added: ${added.length}${added.map((t) => `\n  + ${t}`).join('')}`);
  const newFiles = [...new Set(newer.map((t) => t.file))];
  console.log(`tests of files added since ${commit} (not compared): ${newer.length}${newFiles.map((f) => `\n  ${f}`).join('')}`);
  process.exit(lost.length > 0 ? 1 : 0);
} else {
  console.error('usage: titles.mjs tap FILE | results FILE... | compare TAP COMMIT RESULTS...');
  process.exit(2);
}
