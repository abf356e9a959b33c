/**
 * The official IIIF Image API validator (IIIF/image-validator, unchanged copy in
 * ../shared/tools/iiif-image-validator) against a real server, at level 2, for Image API 3.0 and 2.x.
 * Every test it runs must pass. It needs Debian's python3-pil, python3-lxml, python3-magic and
 * python3-bottle (the README's apt-get line). Skipped, with the reason, only when ../shared is absent.
 */
import { assert } from 'chai';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'mocha';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { imageValidator, VALIDATOR_ID, validatorImage } from '../helpers/shared.js';

const PYTHON = '/usr/bin/python3';

function validate(script: string, host: string, prefix: string, version: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, [script, '-s', host, '-p', prefix, '-i', VALIDATOR_ID, `--version=${version}`, '--level', '2', '-v'], { maxBuffer: 16 << 20, timeout: 240_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

describe('the official IIIF Image API validator, level 2', () => {
  let srv: TestServer;
  const script = imageValidator();

  before(async function () {
    if (!script) this.skip(); // no ../shared beside the clone: the validator is not there to run
    srv = await startTestServer();
    await srv.add(validatorImage(), VALIDATOR_ID);
  });
  after(() => srv?.close());

  for (const [version, prefix] of [['3.0', 'iiif/3'], ['2.0', 'iiif/2']] as const) {
    it(`passes every test of Image API ${version}`, async () => {
      const { code, out } = await validate(script!, new URL(srv.url).host, prefix, version);
      const failed = out.split('\n[').filter((block) => /\bFAIL\b/.test(block.split('\n')[0] ?? ''));
      const done = /Done \((\d+) tests, (\d+) failures\)/.exec(out);
      assert.ok(done, `the validator did not finish:\n${out.slice(-2000)}`);
      assert.isAtLeast(Number(done![1]), 25, 'the level-2 suite ran');
      assert.deepEqual(failed.map((b) => `[${b.trim()}`), [], out.slice(-1500));
      assert.strictEqual(Number(done![2]), 0);
      assert.strictEqual(code, 0);
    });
  }
});
