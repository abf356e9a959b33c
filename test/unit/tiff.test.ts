import { assert } from 'chai';
import { open } from 'node:fs/promises';
import { describe, it } from 'mocha';
import { readTiffDirectories, TiffFormatError } from '../../server/storage/tiff.js';
import { rejects } from '../helpers/assert.js';
import { data } from '../helpers/shared.js';

async function dirs(file: string) {
  const fh = await open(file, 'r');
  try {
    return await readTiffDirectories(fh);
  } finally {
    await fh.close();
  }
}

describe('TIFF directory reader', () => {
  it('reads a pyramidal tiled TIFF: full level, then reduced-resolution levels', async () => {
    const d = await dirs(data('formats', 'ndl_2568591_15_pyramid_tiled_jpeg.tif'));
    assert.deepEqual(d.map((x) => [x.width, x.height, x.subfileType & 1]), [[1600, 1200, 0], [800, 600, 1], [400, 300, 1], [200, 150, 1]]);
    assert.strictEqual(d[0]!.tileWidth, 256);
    assert.strictEqual(d[0]!.tileOffsets.length, 7 * 5);
  });

  it('stops at an IFD loop instead of counting forever', async () => {
    assert.strictEqual((await dirs(data('hostile', 'tiff_ifd_loop.tif'))).length, 1);
  });

  it('refuses a directory whose entry count runs past the file', async () => {
    await rejects(dirs(data('hostile', 'tiff_corrupt_ifd.tif')), TiffFormatError);
  });

  it('refuses files that are not TIFF', async () => {
    for (const f of ['zip_renamed.tif', 'empty.jpg', 'html_renamed.jpg']) {
      await rejects(dirs(data('hostile', f)), TiffFormatError, f);
    }
  });
});
