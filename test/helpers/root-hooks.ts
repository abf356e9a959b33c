/**
 * Mocha root hook plugin (loaded with `require` in .mocharc.cjs). After each test file in a parallel
 * run (after the whole run when serial), it closes every fixture the file left open — test servers
 * and their temporary storage, CLI child processes, Chromium — and then fails the run, naming them.
 * It also fails for servers or child processes that no helper registered (Node's active handles).
 */
import path from 'node:path';
import type { RootHookObject } from 'mocha';
import { openFixtures } from './fixtures.js';

/** Handles of listening servers and live child processes still held by this process. */
const liveHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'PipeServerWrap' || r === 'ProcessWrap');

/** Test files that ran tests in this process (one per worker in a parallel run), to name in errors. */
const files = new Set<string>();

export const mochaHooks: RootHookObject = {
  afterEach(this: Mocha.Context) {
    if (this.currentTest?.file) files.add(path.relative(process.cwd(), this.currentTest.file));
  },

  async afterAll() {
    const left = openFixtures();
    const problems = await Promise.all(
      left.map((f) =>
        f.close().then(
          () => f.what,
          (err: unknown) => `${f.what} (closing it failed too: ${String(err)})`,
        ),
      ),
    );
    // Give handles closed just now (or by the file's own after hooks) one turn to be released.
    await new Promise((resolve) => setImmediate(resolve));
    const handles = liveHandles();
    if (handles.length > 0) problems.push(`${handles.length} more handle(s) no helper registered: ${handles.join(', ')}`);
    const ran = [...files].join(', ') || 'no test';
    files.clear();
    if (problems.length > 0) throw new Error(`left running after ${ran} (closed now where possible): ${problems.join('; ')}`);
  },
};
