#!/usr/bin/env node
/**
 * The last line of `npm test`: sums the results files the mocha runs wrote (test/tools/reporter.cjs)
 * and prints `N passed, M failed, K skipped`. Exits 1 when anything failed, when a run wrote no
 * results or ran no test, or when a mocha run exited non-zero without a failure to show for it.
 *   node test/tools/summary.mjs --reset                  remove the results of an earlier run
 *   node test/tools/summary.mjs name=exitcode ...        e.g. unit-api=0 browser=1
 * Results are read from node_modules/.cache/vankho-test-results/<name>.json.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Also in test/tools/reporter.cjs. */
const RESULTS = path.join('node_modules', '.cache', 'vankho-test-results');

const args = process.argv.slice(2);
if (args[0] === '--reset') {
  rmSync(RESULTS, { recursive: true, force: true });
  process.exit(0);
}

const problems = [];
let passed = 0;
let failed = 0;
let skipped = 0;
if (args.length === 0) problems.push('no runs named');
for (const arg of args) {
  const [name, code] = arg.split('=');
  const file = path.join(RESULTS, `${name}.json`);
  if (!existsSync(file)) {
    problems.push(`${name}: mocha wrote no results (exit code ${code}): it did not run to its end`);
    continue;
  }
  const { stats } = JSON.parse(readFileSync(file, 'utf8'));
  passed += stats.passes;
  failed += stats.failures;
  skipped += stats.pending;
  if (stats.tests === 0) problems.push(`${name}: no test ran`);
  if (code !== '0' && stats.failures === 0) problems.push(`${name}: mocha exited ${code} with no failed test`);
}
for (const p of problems) console.error(`npm test: ${p}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
