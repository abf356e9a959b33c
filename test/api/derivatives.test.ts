/**
 * Derivatives format 2 as a reader's client meets them: YCbCr JPEG tiles a fraction of format 1's
 * bytes; pre-rendered whole-image sizes listed in info.json and sent as stored; edge tiles at their
 * true size sent as stored; other whole-image views resized from the nearest stored size; and
 * format-1 images (not yet rebuilt) still served.
 */
import { assert } from 'chai';
import { open, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'mocha';
import sharp, { type Sharp } from 'sharp';
import { imageKeys, readImageRecord, type ExtraJpeg, type ImageRecord } from '../../server/storage/layout.js';
import { pyramidLevels, readTiffDirectories, readTiffFile } from '../../server/storage/tiff.js';
import { addLegacyImage } from '../helpers/legacy.js';
import { body } from '../helpers/pixels.js';
import { STAFF, startTestServer, type TestServer } from '../helpers/server.js';
import { data } from '../helpers/shared.js';

let srv: TestServer;
let rec: ImageRecord;
const SCAN = () => data('manuscripts', '2568591_15.jpg'); // 1600×1200

/** Mean absolute difference of two images' pixels (same size), 0–255. */
async function meanDiff(a: Buffer | Sharp, b: Buffer | Sharp): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((i) => (Buffer.isBuffer(i) ? sharp(i) : i).removeAlpha().raw().toBuffer()));
  assert.strictEqual(x!.length, y!.length, 'same size');
  let total = 0;
  for (let i = 0; i < x!.length; i++) total += Math.abs(x![i]! - y![i]!);
  return total / x!.length;
}

async function extra(at: ExtraJpeg): Promise<Buffer> {
  const all = await readFile(srv.deps.store.localPath(imageKeys(rec.id).version(rec.version!).extras));
  return all.subarray(at.offset, at.offset + at.length);
}

async function outcome(name: string): Promise<number> {
  const m = new RegExp(`vankho_image_responses_total\\{outcome="${name}"\\} (\\d+)`).exec(await (await srv.get('/metrics', { headers: STAFF })).text());
  return Number(m?.[1] ?? 0);
}

describe('derivatives format 2', () => {
  before(async () => {
    srv = await startTestServer();
    [rec] = (await srv.add(SCAN(), 'karakuri')) as [ImageRecord];
  });
  after(() => srv.close());

  it('stores YCbCr JPEG tiles at a third of the bytes of format 1 (RGB-coded, quality 90)', async () => {
    const levels = pyramidLevels(await readTiffFile(await srv.pyramid('karakuri')));
    assert.deepEqual(levels.map((l) => l.photometric), levels.map(() => 6), 'YCbCr at every level');
    assert.strictEqual(rec.format, 2);
    assert.strictEqual(rec.quality, 75);
    const old = await addLegacyImage(srv.deps.store, SCAN(), 'karakuri-v1');
    const oldLevels = pyramidLevels(await readTiffFile(srv.deps.store.localPath(imageKeys(old.id).legacyPyramid)));
    const mean = (ls: typeof levels) => ls[0]!.tileByteCounts.reduce((a, b) => a + b, 0) / ls[0]!.tileByteCounts.length;
    assert.strictEqual(oldLevels[0]!.photometric, 2);
    assert.isBelow(mean(levels) / mean(oldLevels), 0.4, `${mean(levels)} vs ${mean(oldLevels)} bytes per full-resolution tile`);
    // Served tiles shrink accordingly, and still show the scan.
    const tile = await body(await srv.get('/iiif/3/karakuri/512,256,256,256/256,/0/default.jpg'));
    const oldTile = await body(await srv.get('/iiif/3/karakuri-v1/512,256,256,256/256,/0/default.jpg'));
    assert.isBelow(tile.length, oldTile.length * 0.5);
    assert.isBelow(await meanDiff(tile, sharp(SCAN()).extract({ left: 512, top: 256, width: 256, height: 256 })), 6);
  });

  it('lists the pre-rendered sizes in info.json (3.0 and 2.1) and sends each as stored', async () => {
    const info = (await (await srv.get('/iiif/3/karakuri/info.json')).json()) as { sizes: { width: number; height: number }[] };
    const info2 = (await (await srv.get('/iiif/2/karakuri/info.json')).json()) as { sizes: { width: number; height: number }[] };
    assert.deepEqual(info.sizes, rec.sizes!.map((s) => ({ width: s.width, height: s.height })));
    assert.deepEqual(info2.sizes, info.sizes);
    // Quarter-octave steps: each size about 2^(1/4) of the previous, the pyramid levels among them.
    assert.deepEqual(info.sizes.slice(-4), [{ width: 800, height: 600 }, { width: 951, height: 714 }, { width: 1131, height: 849 }, { width: 1345, height: 1009 }]);
    for (let i = 1; i < info.sizes.length; i++) {
      const r = info.sizes[i]!.width / info.sizes[i - 1]!.width;
      assert.ok(r > 1.15 && r < 1.23, `step ${r}`);
    }
    // Copies, never renders (a size that is also a whole edge tile, 200×150 here, is sent as that tile: the same bytes).
    const copies = async () => (await outcome('size_copy')) + (await outcome('edge_copy'));
    const before = [await copies(), await outcome('miss')];
    for (const [i, s] of rec.sizes!.entries()) {
      const res = await srv.get(`/iiif/3/karakuri/full/${s.width},${s.height}/0/default.jpg`);
      const got = await body(res);
      assert.strictEqual(res.status, 200);
      assert.ok(got.equals(await extra(s)), `size ${i} (${s.width}×${s.height}) is the stored JPEG`);
      const meta = await sharp(got).metadata();
      assert.deepEqual([meta.width, meta.height], [s.width, s.height]);
      assert.isBelow(await meanDiff(got, sharp(SCAN()).resize(s.width, s.height, { fit: 'fill' })), 8);
    }
    // 2.1 asks the same sizes as "w," — a copy as well.
    const s = rec.sizes!.at(-1)!;
    assert.ok((await body(await srv.get(`/iiif/2/karakuri/full/${s.width},/0/default.jpg`))).equals(await extra(s)));
    assert.deepEqual([(await copies()) - before[0]!, (await outcome('miss')) - before[1]!], [rec.sizes!.length + 1, 0]);
  });

  it('sends edge tiles at their true size as stored, the pixels of the pyramid level', async () => {
    const levels = pyramidLevels(await readTiffFile(await srv.pyramid('karakuri')));
    assert.isAbove(rec.edgeTiles!.length, 0);
    const before = await outcome('edge_copy');
    for (const t of rec.edgeTiles!) {
      // As a viewer asks: the tile's area at full resolution, clipped by the image, at ceil size.
      const s = 2 ** t.level;
      const x = t.col * 256 * s;
      const y = t.row * 256 * s;
      const w = Math.min(256 * s, rec.width - x);
      const h = Math.min(256 * s, rec.height - y);
      const got = await body(await srv.get(`/iiif/3/karakuri/${x},${y},${w},${h}/${Math.ceil(w / s)},${Math.ceil(h / s)}/0/default.jpg`));
      assert.ok(got.equals(await extra(t)), `edge tile ${t.level}/${t.col}/${t.row} as stored`);
      const L = levels[t.level]!;
      const tw = Math.min(256, L.width - t.col * 256);
      const th = Math.min(256, L.height - t.row * 256);
      const meta = await sharp(got).metadata();
      assert.deepEqual([meta.width, meta.height], [tw, th]);
      const level = sharp(await srv.pyramid('karakuri'), { page: t.level }).extract({ left: t.col * 256, top: t.row * 256, width: tw, height: th });
      assert.isBelow(await meanDiff(got, level), 3, `edge tile ${t.level}/${t.col}/${t.row}`);
    }
    assert.strictEqual((await outcome('edge_copy')) - before, rec.edgeTiles!.length);
  });

  it('resizes other whole-image views from the nearest stored size, not the pyramid', async () => {
    const before = await outcome('miss');
    const res = await srv.get('/iiif/3/karakuri/full/,700/0/default.jpg');
    const got = await body(res);
    assert.strictEqual(res.status, 200);
    assert.deepEqual([(await sharp(got).metadata()).width, (await sharp(got).metadata()).height], [933, 700]);
    assert.isBelow(await meanDiff(got, sharp(SCAN()).resize(933, 700, { fit: 'fill' })), 8);
    assert.strictEqual((await outcome('miss')) - before, 1, 'rendered (no stored 933×700)');
    // Rotated, mirrored, gray, PNG: the same source, the spec's operations after it.
    const gray = await body(await srv.get('/iiif/3/karakuri/full/!300,300/!90/gray.png'));
    const meta = await sharp(gray).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [225, 300, 'png']);
  });

  it('lists only sizes a request may ask for under the configured limits', async () => {
    const small = await startTestServer({ image: { maxWidth: 1000, maxHeight: 1000, maxArea: 50_000_000 } });
    try {
      await small.add(SCAN(), 'karakuri');
      const info = (await (await small.get('/iiif/3/karakuri/info.json')).json()) as { sizes: { width: number; height: number }[]; maxWidth: number };
      assert.strictEqual(info.maxWidth, 1000);
      assert.deepEqual(info.sizes.at(-1), { width: 951, height: 714 });
      for (const s of info.sizes) assert.strictEqual((await small.get(`/iiif/3/karakuri/full/${s.width},${s.height}/0/default.jpg`)).status, 200);
    } finally {
      await small.close();
    }
  });

  it('answers a refused identifier on info.json in JSON, as info.json itself', async () => {
    const res = await srv.get('/iiif/3/a%2Fb/info.json');
    assert.strictEqual(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(Object.keys((await res.json()) as object), ['error', 'message']);
  });

  it('still serves format-1 images (not yet rebuilt): level sizes in info.json, RGB tiles copied, renders', async () => {
    const info = (await (await srv.get('/iiif/3/karakuri-v1/info.json')).json()) as { sizes: unknown };
    assert.deepEqual(info.sizes, [{ width: 200, height: 150 }, { width: 400, height: 300 }, { width: 800, height: 600 }]);
    const tile = await body(await srv.get('/iiif/3/karakuri-v1/0,0,256,256/256,/0/default.jpg'));
    assert.isBelow(await meanDiff(tile, sharp(SCAN()).extract({ left: 0, top: 0, width: 256, height: 256 })), 6);
    const edge = await srv.get('/iiif/3/karakuri-v1/1536,1024,64,176/64,176/0/default.jpg');
    assert.strictEqual(edge.status, 200);
    const whole = await body(await srv.get('/iiif/3/karakuri-v1/full/500,/0/default.jpg'));
    assert.isBelow(await meanDiff(whole, sharp(SCAN()).resize(500, 375, { fit: 'fill' })), 8);
    // Its record, untouched until a rebuild.
    const r = await readImageRecord(srv.deps.store, 'karakuri-v1');
    assert.strictEqual(r!.format, undefined);
    const fh = await open(srv.deps.store.localPath(imageKeys('karakuri-v1').legacyPyramid), 'r');
    assert.strictEqual((await readTiffDirectories(fh).finally(() => fh.close()))[0]!.photometric, 2);
  });
});
