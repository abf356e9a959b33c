/**
 * Mocha settings shared by both runs of `npm test` (package.json): unit + api files with --parallel
 * --jobs 2, then test/browser alone and serial. The files, --parallel and the run's name (for its
 * results file, test/tools/reporter.cjs) are given on the command line, so that one file runs alone:
 *   npx mocha test/unit/cache.test.ts
 */
module.exports = {
  // TypeScript, ESM: tsx's loader in mocha's process and in every parallel worker (they inherit it).
  'node-option': ['import=tsx'],
  // Root hook plugin: closes and reports servers, child processes and browsers a file left running.
  require: ['test/helpers/root-hooks.ts'],
  reporter: 'test/tools/reporter.cjs',
  // node:test had no timeout; these tests run real CLIs, OCR and Chromium: generous, not infinite.
  timeout: 120_000,
  slow: 5_000,
  'forbid-only': true,
};
