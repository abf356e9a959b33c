import { assert } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'mocha';
import { BadRequestError } from '../../server/errors.js';
import { LocalBlobStore } from '../../server/storage/blob-store.js';
import { OWNER } from '../../server/storage/owner.js';
import { scratchDir, sweepScratch } from '../../server/storage/scratch.js';
import { rejects } from '../helpers/assert.js';
import { tempDir } from '../helpers/server.js';

describe('LocalBlobStore', () => {
  it('refuses every key that could leave the root', async () => {
    const store = new LocalBlobStore(await tempDir());
    const hostile = ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'a/./b', 'a\0b', '..', '.', '', 'a/%2e%2e/b', 'a\\..\\b', '.tmp/x'];
    for (const key of hostile) {
      assert.throws(() => store.localPath(key), BadRequestError, undefined, key);
      await rejects(store.put(key, 'x'), BadRequestError, key);
    }
    assert.strictEqual(store.localPath('images/a/b.tif'), path.join(store.root, 'images', 'a', 'b.tif'));
  });

  it('writes atomically: a failed write leaves the old content and no temp file', async () => {
    const root = await tempDir();
    const store = new LocalBlobStore(root);
    await store.put('images/a/x.txt', 'first');
    await rejects(
      store.putWith('images/a/x.txt', async (temp) => {
        await writeFile(temp, 'half a fi');
        throw new Error('crash while writing');
      }),
      /crash while writing/,
    );
    assert.strictEqual(await readFile(path.join(root, 'images/a/x.txt'), 'utf8'), 'first');
    assert.deepEqual(await readdir(path.join(root, '.tmp')), []);
    await store.put('images/a/x.txt', Buffer.from('second'));
    assert.strictEqual((await store.read('images/a/x.txt')).toString(), 'second');
    assert.deepEqual(await store.list('images/a'), ['x.txt']);
    assert.strictEqual((await store.stat('images/a/x.txt'))?.size, 6);
    assert.strictEqual(await store.stat('images/a/none'), null);
  });
});

describe('leftovers of dead processes', () => {
  /** A pid that was a process of this host and has exited. */
  const deadPid = () => spawnSync('true').pid!;
  const host = OWNER.split('.')[0]!;
  const aged = async (file: string, hours: number) => {
    const t = new Date(Date.now() - hours * 3600_000);
    await utimes(file, t, t);
  };

  it("storage temp files: a dead process's at once, a live one's never, another host's and unstamped ones after an hour", async () => {
    const root = await tempDir();
    const store = new LocalBlobStore(root);
    const tmp = path.join(root, '.tmp');
    await mkdir(tmp);
    const names = {
      dead: `${host}.${deadPid()}.1x.a1b2c3-pyramid.tif`,
      mine: `${OWNER}.d4e5f6-pyramid.tif`,
      // This pid, another start time: a process that ran before (a restarted container's pid 1).
      earlierLife: `${OWNER.split('.').slice(0, 2).join('.')}.zz.c3d4e5-upload.bin`,
      otherHostYoung: `0000ffff.${process.pid}.1x.aaaaaa-pyramid.tif`,
      otherHostOld: `0000ffff.${process.pid}.1x.bbbbbb-master-1.jpg`,
      unstampedYoung: 'in-progress',
      unstampedOld: 'old-crash',
    };
    for (const n of Object.values(names)) await writeFile(path.join(tmp, n), 'x');
    await aged(path.join(tmp, names.otherHostOld), 2);
    await aged(path.join(tmp, names.unstampedOld), 2);
    await aged(path.join(tmp, names.mine), 5);
    assert.strictEqual(await store.sweepTemp(), 4);
    assert.deepEqual((await readdir(tmp)).sort(), [names.mine, names.otherHostYoung, names.unstampedYoung].sort());
    // This process's own writes are stamped, and kept while it lives.
    await store.putWith('images/x/y.txt', async (temp) => {
      assert.match(path.basename(temp), new RegExp(`^${OWNER.replaceAll('.', '\\.')}\\.[0-9a-f]{12}-y\\.txt$`));
      await writeFile(temp, 'y');
      assert.strictEqual(await store.sweepTemp(), 0, 'a write in progress is never swept');
    });
  });

  it("work folders in TMPDIR: stamped with their writer, a dead one's removed, a live one's kept", async () => {
    const dir = await tempDir();
    const mine = await scratchDir('ocr');
    assert.match(path.basename(mine), new RegExp(`^vankho-ocr-${OWNER.replaceAll('.', '\\.')}\\.`));
    await rm(mine, { recursive: true });
    const dead = path.join(dir, `vankho-ingest-${host}.${deadPid()}.1x.1a2b3c4d-XyZ123`);
    const live = path.join(dir, `vankho-page-${OWNER}.QwErTy`);
    const legacyOld = path.join(dir, 'vankho-ocr-AbC123');
    const legacyYoung = path.join(dir, 'vankho-page-DeF456');
    const notOurs = path.join(dir, 'vankho-test-GhI789');
    for (const d of [dead, live, legacyOld, legacyYoung, notOurs]) await mkdir(path.join(d, 'sub'), { recursive: true });
    await writeFile(path.join(dead, 'sub', 'page-1.png'), 'x');
    for (const d of [legacyOld, notOurs]) await aged(d, 3);
    assert.strictEqual(await sweepScratch(dir), 2);
    assert.deepEqual((await readdir(dir)).sort(), [live, legacyYoung, notOurs].map((d) => path.basename(d)).sort());
  });
});
