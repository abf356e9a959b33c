/**
 * A tile of a 20 000 px image must not cost a full decode. Proved without timing: after the pyramid
 * is built, every full-resolution tile but one is made undecodable. If serving that one tile decoded
 * anything else of the level, it would fail.
 */
import { assert } from 'chai';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import sharp from 'sharp';
import { readTiffDirectories } from '../../server/storage/tiff.js';
import { rejects } from '../helpers/assert.js';
import { body, colourDistance, pixels } from '../helpers/pixels.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const W = 20_000;
const H = 12_000;
/** A red 256-px square exactly on tile (40, 24) of the full level. */
const TILE = { col: 40, row: 24 };
const X = TILE.col * 256;
const Y = TILE.row * 256;
let srv: TestServer;

describe('a 20 000 px image', () => {
  before(async () => {
    srv = await startTestServer();
    const file = path.join(await tempDir(), 'huge.jpg');
    const red = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#ff0000' } }).png().toBuffer();
    await sharp({ create: { width: W, height: H, channels: 3, background: '#9a8b70' }, limitInputPixels: false })
      .composite([{ input: red, left: X, top: Y }])
      .jpeg({ quality: 80 })
      .toFile(file);
    await srv.add(file, 'huge');

    // Break the JPEG stream of every full-resolution tile except TILE (overwrite its SOI marker).
    const pyramid = await srv.pyramid('huge');
    const fh = await open(pyramid, 'r+');
    try {
      const [full] = await readTiffDirectories(fh);
      const across = Math.ceil(full!.width / 256);
      const keep = TILE.row * across + TILE.col;
      const zero = Buffer.alloc(2);
      for (let i = 0; i < full!.tileOffsets.length; i++) {
        if (i !== keep) await fh.write(zero, 0, 2, full!.tileOffsets[i]!);
      }
    } finally {
      await fh.close();
    }
  });
  after(() => srv.close());

  it('is stored as a pyramid the server describes', async () => {
    const info = (await (await srv.get('/iiif/3/huge/info.json')).json()) as { width: number; tiles: { scaleFactors: number[] }[] };
    assert.strictEqual(info.width, W);
    assert.deepEqual(info.tiles[0]!.scaleFactors, [1, 2, 4, 8, 16, 32, 64, 128]);
  });

  it('has a full level that can no longer be decoded as a whole (the trap is set)', async () => {
    const pyramid = await srv.pyramid('huge');
    await rejects(sharp(pyramid, { page: 0, limitInputPixels: false }).resize(100).toBuffer());
  });

  for (const [what, params] of <[string, string][]>[
    ['copied as stored', 'default.jpg'],
    ['rendered to PNG', 'default.png'],
    ['rendered in gray', 'gray.jpg'],
  ]) {
    it(`serves its full-resolution tile ${what}, decoding only that tile`, async () => {
      const res = await srv.get(`/iiif/3/huge/${X},${Y},256,256/256,/0/${params}`);
      assert.strictEqual(res.status, 200, await res.clone().text());
      const px = await pixels(await body(res));
      assert.deepEqual([px.width, px.height], [256, 256]);
      const [r, g, b] = px.at(128, 128) as [number, number, number];
      if (params.startsWith('gray')) {
        // Red turned to a neutral mid grey (libvips luminance of sRGB red ≈ 127).
        assert.ok(Math.abs(r - g) <= 2 && Math.abs(g - b) <= 2 && r > 60 && r < 160, `${[r, g, b]}`);
      } else {
        assert.ok(colourDistance([r, g, b], [255, 0, 0]) <= 10, `${[r, g, b]}`);
      }
    });
  }

  it('serves a whole-image view from a reduced level', async () => {
    const px = await pixels(await body(await srv.get('/iiif/3/huge/full/1000,/0/default.jpg')));
    assert.deepEqual([px.width, px.height], [1000, 600]);
    assert.ok(colourDistance(px.at(10, 10), [0x9a, 0x8b, 0x70]) <= 10);
  });
});
