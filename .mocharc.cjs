/**
 * Mocha settings shared by both runs of `npm test` (see package.json and test/README.md); the
 * files, --parallel and the results file are given on the command line. Also for one file:
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
