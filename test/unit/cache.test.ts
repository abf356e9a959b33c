import { assert } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'mocha';
import { DiskDerivativeCache } from '../../server/image/cache.js';
import { rejects } from '../helpers/assert.js';
import { tempDir } from '../helpers/server.js';

const kb = (n: number, fill = 1) => Buffer.alloc(n * 1024, fill);

describe('DiskDerivativeCache', () => {
  it('serves a second identical request from disk', async () => {
    const cache = new DiskDerivativeCache(await tempDir(), 1 << 20);
    await cache.init();
    let renders = 0;
    const render = async () => {
      renders++;
      return kb(1, 7);
    };
    assert.strictEqual((await cache.getOrRender('a', render)).outcome, 'miss');
    const again = await cache.getOrRender('a', render);
    assert.strictEqual(again.outcome, 'hit');
    assert.strictEqual(again.data[0], 7);
    assert.strictEqual(renders, 1);
  });

  it('coalesces concurrent identical requests into one render', async () => {
    const cache = new DiskDerivativeCache(await tempDir(), 1 << 20);
    await cache.init();
    let renders = 0;
    const render = async () => {
      renders++;
      await sleep(50);
      return kb(2);
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.getOrRender('same', render)));
    assert.strictEqual(renders, 1);
    assert.strictEqual(results.filter((r) => r.outcome === 'coalesced').length, 9);
  });

  it('stays within its byte bound, evicting the least recently used', async () => {
    const cache = new DiskDerivativeCache(await tempDir(), 10 * 1024);
    await cache.init();
    for (const k of ['a', 'b', 'c', 'd']) await cache.getOrRender(k, async () => kb(3));
    // a is the oldest and was evicted (4×3 KiB > 10 KiB); touching b keeps it over c.
    assert.strictEqual((await cache.getOrRender('b', async () => kb(3))).outcome, 'hit');
    await cache.getOrRender('e', async () => kb(3));
    assert.ok(cache.bytes <= 10 * 1024, `${cache.bytes}`);
    assert.strictEqual((await cache.getOrRender('b', async () => kb(3))).outcome, 'hit');
    assert.strictEqual((await cache.getOrRender('a', async () => kb(3))).outcome, 'miss');
  });

  it('finds its entries again after a restart, and a failed render caches nothing', async () => {
    const dir = await tempDir();
    const first = new DiskDerivativeCache(dir, 1 << 20);
    await first.init();
    await first.getOrRender('kept', async () => kb(1));
    await rejects(first.getOrRender('broken', async () => Promise.reject(new Error('decode failed'))), /decode failed/);
    const second = new DiskDerivativeCache(dir, 1 << 20);
    await second.init();
    assert.strictEqual(second.count, 1);
    assert.strictEqual((await second.getOrRender('kept', async () => kb(1))).outcome, 'hit');
  });
});
