import { assert } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'mocha';
import { BadRequestError } from '../../server/errors.js';
import { LocalBlobStore } from '../../server/storage/blob-store.js';
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

describe('LocalBlobStore.sweepTemp', () => {
  it('removes stale temp files only, leaving writes in progress alone', async () => {
    const { utimes, mkdir } = await import('node:fs/promises');
    const root = await tempDir();
    const store = new LocalBlobStore(root);
    await mkdir(path.join(root, '.tmp'));
    await writeFile(path.join(root, '.tmp', 'old-crash'), 'x');
    await writeFile(path.join(root, '.tmp', 'in-progress'), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(path.join(root, '.tmp', 'old-crash'), twoHoursAgo, twoHoursAgo);
    assert.strictEqual(await store.sweepTemp(), 1);
    assert.deepEqual(await readdir(path.join(root, '.tmp')), ['in-progress']);
  });
});
