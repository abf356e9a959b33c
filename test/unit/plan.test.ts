import { assert } from 'chai';
import { describe, it } from 'mocha';
import { BadRequestError } from '../../server/errors.js';
import { parseImageRequest, type ApiVersion } from '../../server/image/iiif-url.js';
import { canonical, plan, planKey, rotatedBox, type SourceInfo } from '../../server/image/plan.js';
import { throws } from '../helpers/assert.js';

/** A 1001×777 image with a 256-tile pyramid, as libvips builds it (levels rounded down). */
const SRC: SourceInfo = {
  width: 1001,
  height: 777,
  levels: [
    { width: 1001, height: 777 },
    { width: 500, height: 388 },
    { width: 250, height: 194 },
  ],
  tileWidth: 256,
  tileHeight: 256,
};
const LIMITS = { maxWidth: 5000, maxHeight: 5000, maxArea: 4_000_000 };

function p(path: string, version: ApiVersion = 3, src = SRC) {
  const [region, size, rotation, qualityFormat] = path.split('/') as [string, string, string, string];
  return plan(parseImageRequest('img', { region, size, rotation, qualityFormat }, version), src, LIMITS);
}

const rejects = (path: string, pattern: RegExp, version: ApiVersion = 3) =>
  throws(() => p(path, version), (e: unknown) => e instanceof BadRequestError && pattern.test(e.publicMessage));

describe('image request planning', () => {
  it('clips a region that runs over the edge, and refuses one wholly outside', () => {
    assert.deepEqual(p('900,700,500,500/max/0/default.jpg').region, { x: 900, y: 700, w: 101, h: 77 });
    rejects('1001,0,10,10/max/0/default.jpg', /outside/);
    rejects('0,777,10,10/max/0/default.jpg', /outside/);
  });

  it('centres square regions and converts percentages', () => {
    assert.deepEqual(p('square/max/0/default.jpg').region, { x: 112, y: 0, w: 777, h: 777 });
    assert.deepEqual(p('pct:50,50,50,50/max/0/default.jpg').region, { x: 501, y: 389, w: 500, h: 388 });
  });

  it('computes each size form', () => {
    const size = (path: string) => {
      const r = p(path);
      return [r.width, r.height];
    };
    assert.deepEqual(size('full/max/0/default.jpg'), [1001, 777]);
    assert.deepEqual(size('full/500,/0/default.jpg'), [500, 388]);
    assert.deepEqual(size('full/,388/0/default.jpg'), [500, 388]);
    assert.deepEqual(size('full/pct:10/0/default.jpg'), [100, 78]);
    assert.deepEqual(size('full/300,300/0/default.jpg'), [300, 300]);
    // !w,h keeps the aspect ratio: 1001×777 into 300×300 → 300×233.
    assert.deepEqual(size('full/!300,300/0/default.jpg'), [300, 233]);
    assert.deepEqual(size('0,0,100,100/^200,/0/default.jpg'), [200, 200]);
  });

  it('refuses upscaling without ^ in 3.0, allows it in 2.1', () => {
    rejects('0,0,100,100/200,/0/default.jpg', /prefix the size with \^/);
    rejects('full/pct:101/0/default.jpg', /prefix the size with \^/);
    assert.strictEqual(p('0,0,100,100/200,/0/default.jpg', 2).width, 200);
  });

  it('enforces maxWidth, maxHeight and maxArea; max and ^max stay within them', () => {
    rejects('0,0,100,100/^6000,/0/default.jpg', /over this server's limits/);
    rejects('0,0,100,100/^3000,3000/0/default.jpg', /maxArea/);
    const up = p('0,0,100,100/^max/0/default.jpg');
    assert.ok(up.width * up.height <= LIMITS.maxArea && up.width === 2000, `${up.width}×${up.height}`);
    const big: SourceInfo = { ...SRC, width: 8000, height: 2000, levels: [{ width: 8000, height: 2000 }] };
    const max = plan(parseImageRequest('i', { region: 'full', size: 'max', rotation: '0', qualityFormat: 'default.jpg' }, 3), big, LIMITS);
    assert.deepEqual([max.width, max.height], [4000, 1000]);
    assert.strictEqual(max.isMaxSize, true);
  });

  it('keeps the rotated image within the limits: max shrinks to fit, other sizes over them are refused', () => {
    // The case: 12 800 × 9 600 at the default limits, full/max/45 was 10 102 × 10 102 = 102 MP.
    const scan: SourceInfo = { ...SRC, width: 12_800, height: 9_600, levels: [{ width: 12_800, height: 9_600 }] };
    const limits = { maxWidth: 10_000, maxHeight: 10_000, maxArea: 50_000_000 };
    const at = (rotation: string, size = 'max') => plan(parseImageRequest('i', { region: 'full', size, rotation, qualityFormat: 'default.jpg' }, 3), scan, limits);
    for (const rotation of ['45', '30.5', '!133', '359.99', '90', '0']) {
      const q = at(rotation);
      const [bw, bh] = rotatedBox(q.width, q.height, q.rotation);
      assert.isAtMost(bw, limits.maxWidth, rotation);
      assert.isAtMost(bh, limits.maxHeight, rotation);
      assert.isAtMost(bw * bh, limits.maxArea, rotation);
      // As large as fits: the box takes (almost) all of maxArea, the limit that binds here.
      assert.isAbove(bw * bh, limits.maxArea * 0.995, rotation);
      assert.closeTo(q.width / q.height, 12_800 / 9_600, 0.01, rotation);
    }
    assert.deepEqual([at('0').width, at('0').height], [8164, 6123], 'unrotated max as before');
    assert.deepEqual([at('90').width, at('90').height], [8164, 6123], 'a quarter turn: the same box, turned');
    throws(() => at('45', '8000,'), (e: unknown) => e instanceof BadRequestError && /rotated by 45° is \d+×\d+, over this server's limits/.test(e.publicMessage));
    assert.strictEqual(at('45', '4000,').width, 4000, 'a size whose box fits is served');
    // A one-pixel-wide strip upscaled and turned: shrinking must end (it looped for ever, the server frozen).
    const tall: SourceInfo = { ...SRC, width: 6000, height: 20_000, levels: [{ width: 6000, height: 20_000 }] };
    for (const [region, size, rotation] of [['0,0,1,6000', '^max', '44.5'], ['0,0,1,20000', 'max', '44.5'], ['0,0,2,19999', 'max', '45'], ['0,0,10000,1', '^max', '45']]) {
      let q;
      try {
        q = plan(parseImageRequest('i', { region: region!, size: size!, rotation: rotation!, qualityFormat: 'default.jpg' }, 3), tall, limits);
      } catch (e) {
        assert.instanceOf(e, BadRequestError, `${region} ${size} ${rotation}`);
        continue;
      }
      const [bw, bh] = rotatedBox(q.width, q.height, q.rotation);
      assert.isAtMost(bw * bh, limits.maxArea, `${region} ${size} ${rotation}`);
    }
    assert.deepEqual(rotatedBox(100, 50, 90), [50, 100]);
    assert.deepEqual(rotatedBox(100, 100, 45), [142, 142]);
  });

  it('reads from the coarsest pyramid level that holds the output resolution', () => {
    assert.strictEqual(p('full/max/0/default.jpg').level, 0);
    assert.strictEqual(p('full/500,/0/default.jpg').level, 1);
    assert.strictEqual(p('full/250,/0/default.jpg').level, 2);
    assert.strictEqual(p('full/100,/0/default.jpg').level, 2);
    assert.strictEqual(p('full/600,/0/default.jpg').level, 0);
    // Edge tile at scale factor 2: 489 px of region → 245 px; level 1 has 244.5 of them (within a pixel).
    const edge = p('512,0,489,512/245,/0/default.jpg');
    assert.strictEqual(edge.level, 1);
    assert.deepEqual(edge.levelRegion, { x: 256, y: 0, w: 244, h: 256 });
  });

  it('recognises an aligned, whole stored tile, and nothing else', () => {
    assert.deepEqual(p('0,0,512,512/256,256/0/default.jpg').tile, { col: 0, row: 0 });
    assert.strictEqual(p('0,0,512,512/256,256/0/default.jpg').level, 1);
    assert.deepEqual(p('512,256,256,256/256,/0/color.jpg').tile, { col: 2, row: 1 });
    assert.strictEqual(p('512,512,512,512/256,256/0/default.jpg').tile, null); // level 1 is only 388 high: clipped
    assert.strictEqual(p('512,256,512,512/256,256/0/gray.jpg').tile, null);
    assert.strictEqual(p('512,256,512,512/256,256/0/default.png').tile, null);
    assert.strictEqual(p('512,256,512,512/256,256/90/default.jpg').tile, null);
    assert.strictEqual(p('512,256,512,512/256,256/!0/default.jpg').tile, null);
    assert.strictEqual(p('768,512,233,265/233,/0/default.jpg').tile, null); // edge tile: stored tile is padded
    assert.strictEqual(p('10,0,256,256/256,/0/default.jpg').tile, null); // off the grid
  });

  it('writes canonical URIs per version', () => {
    assert.strictEqual(canonical(p('full/max/0/default.jpg'), 3), 'full/max/0/default.jpg');
    assert.strictEqual(canonical(p('0,0,1001,777/pct:100/0/default.jpg'), 3), 'full/max/0/default.jpg');
    assert.strictEqual(canonical(p('square/!100,100/!90/gray.png'), 3), '112,0,777,777/100,100/!90/gray.png');
    assert.strictEqual(canonical(p('full/full/0/default.jpg', 2), 2), 'full/full/0/default.jpg');
    assert.strictEqual(canonical(p('full/500,/22.5/default.jpg', 2), 2), 'full/500,/22.5/default.jpg');
    assert.strictEqual(canonical(p('full/500,100/0/default.jpg', 2), 2), 'full/500,100/0/default.jpg');
  });

  it('gives equivalent requests one cache key, and different ones different keys', () => {
    assert.strictEqual(planKey(p('full/max/0/default.jpg')), planKey(p('0,0,1001,777/1001,/0/color.jpg')));
    assert.strictEqual(planKey(p('full/max/0/default.jpg')), planKey(p('full/full/0/default.jpg', 2)));
    assert.notStrictEqual(planKey(p('full/max/0/default.jpg')), planKey(p('full/max/0/gray.jpg')));
    assert.notStrictEqual(planKey(p('full/max/0/default.jpg')), planKey(p('full/max/!0/default.jpg')));
  });
});
