import { assert } from 'chai';
import { readlink, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { OpenFiles } from '../../server/image/open-files.js';
import { rejects } from '../helpers/assert.js';
import { tempDir } from '../helpers/server.js';

/** Files this process has open under `dir` (from /proc/self/fd). */
async function openUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) out.push(target);
  }
  return out.sort();
}

describe('OpenFiles: stored files kept open for positioned reads', () => {
  let dir: string;
  const file = (i: number) => path.join(dir, `f${i}.bin`);

  // Fresh files for each test: another test's handles stay open until its own grace period.
  beforeEach(async () => {
    dir = await tempDir('vankho-open-files-');
    for (let i = 0; i < 4; i++) await writeFile(file(i), Buffer.from(`file ${i}: 0123456789`));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the bytes asked for, opening each file once', async () => {
    const files = new OpenFiles(8);
    assert.strictEqual((await files.read(file(1), 8, 4)).toString(), '0123');
    assert.strictEqual((await files.read(file(1), 0, 6)).toString(), 'file 1');
    assert.deepEqual(await openUnder(dir), [file(1)]);
    await rejects(files.read(file(1), 10, 100), /of 100 bytes/);
    await rejects(files.read(path.join(dir, 'missing'), 0, 1), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    assert.strictEqual(files.size, 1, 'a failed open is not kept');
  });

  it('keeps at most `max` open, closing the least recently used', async () => {
    const files = new OpenFiles(2);
    for (const i of [0, 1, 0, 2]) await files.read(file(i), 0, 4);
    assert.strictEqual(files.size, 2);
    await sleep(20);
    assert.deepEqual(await openUnder(dir), [file(0), file(2)]);
  });

  it('lets a read under way finish on a retired, removed file, then closes it', async () => {
    const files = new OpenFiles(8);
    let release!: () => void;
    const reading = files.use(file(3), async (fh) => {
      await new Promise<void>((r) => (release = r));
      const buf = Buffer.alloc(6);
      await fh.read(buf, 0, 6, 0);
      return buf.toString();
    });
    await sleep(20);
    files.retire(file(3), null);
    await rm(file(3));
    assert.strictEqual(files.size, 0);
    release();
    assert.strictEqual(await reading, 'file 3');
    await sleep(20);
    assert.deepEqual(await openUnder(dir), []);
  });
});
