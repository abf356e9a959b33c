/**
 * Mocha's spec reporter, which also writes the run's results as JSON when the run is named:
 *   mocha --reporter-option run=unit-api ...  →  node_modules/.cache/vankho-test-results/unit-api.json
 * { stats: { passes, failures, pending, tests }, tests: [{ state, type, titlePath, file, error? }] }.
 * Failed hooks count as failures (as in mocha's own stats). test/tools/summary.mjs sums the files
 * of a run; test/tools/titles.mjs lists and compares test titles. CommonJS: mocha require()s reporters.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

/** Also in test/tools/summary.mjs. Under node_modules/: ignored by git, one per clone. */
const RESULTS = path.join('node_modules', '.cache', 'vankho-test-results');
const { EVENT_RUN_END, EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SpecWithResults extends Mocha.reporters.Spec {
  constructor(runner, options = {}) {
    super(runner, options);
    const run = options.reporterOptions?.run;
    if (!run) return;
    const file = path.join(RESULTS, `${run}.json`);
    const tests = [];
    const record = (state) => (test, err) => {
      tests.push({
        state,
        type: test.type,
        titlePath: test.titlePath(),
        file: test.file ? path.relative(process.cwd(), test.file) : undefined,
        ...(err ? { error: String(err?.message ?? err) } : {}),
      });
    };
    runner.on(EVENT_TEST_PASS, record('passed'));
    runner.on(EVENT_TEST_FAIL, record('failed'));
    runner.on(EVENT_TEST_PENDING, record('skipped'));
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending, tests: count } = this.stats;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ stats: { passes, failures, pending, tests: count }, tests }, null, 1) + '\n');
    });
  }
}

module.exports = SpecWithResults;
