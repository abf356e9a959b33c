/**
 * `vankho image add` and its library function on the real corpus: every input format becomes a
 * served pyramid with its master kept byte for byte; every hostile file is refused with a reason,
 * and nothing already stored is damaged.
 */
import { assert } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { projectRoot } from '../../server/config.js';
import { AppError, ConflictError, PayloadTooLargeError } from '../../server/errors.js';
import { addImage } from '../../server/ingest/pyramid.js';
import { pyramidOptions } from '../../server/app.js';
import { readTiffDirectories } from '../../server/storage/tiff.js';
import { rejects } from '../helpers/assert.js';
import { body, colourDistance, pixels } from '../helpers/pixels.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { data } from '../helpers/shared.js';

const run = promisify(execFile);
let srv: TestServer;
const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

async function served(id: string, params = 'full/max/0/default.png') {
  const res = await srv.get(`/iiif/3/${id}/${params}`);
  assert.strictEqual(res.status, 200, `${id}: ${res.status}`);
  return pixels(await body(res));
}

/** Mean absolute difference between two same-sized images, per channel value. */
async function meanDifference(a: Buffer | string, b: Buffer | string): Promise<number> {
  const [x, y] = await Promise.all([sharp(a).removeAlpha().raw().toBuffer(), sharp(b).removeAlpha().raw().toBuffer()]);
  assert.strictEqual(x.length, y.length);
  let total = 0;
  for (let i = 0; i < x.length; i++) total += Math.abs(x[i]! - y[i]!);
  return total / x.length;
}

describe('image add', () => {
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());

  describe('image add: inputs', () => {
    it('keeps the master byte for byte and records it', async () => {
      const file = data('manuscripts', '2544473_03.jpg');
      const [rec] = await srv.add(file, 'seal-page');
      assert.strictEqual(rec!.masterSha256, await sha(file));
      assert.strictEqual(await sha(srv.deps.store.localPath(rec!.masterKey)), await sha(file));
      assert.deepEqual([rec!.width, rec!.height, rec!.levels, rec!.tileSize], [1600, 1200, 4, 256]);
      const meta = await sharp(await srv.pyramid('seal-page')).metadata();
      assert.strictEqual(meta.format, 'tiff');
      assert.strictEqual(meta.pages, 4);
      const fh = await open(await srv.pyramid('seal-page'), 'r');
      const dirs = await readTiffDirectories(fh).finally(() => fh.close());
      assert.deepEqual(dirs.map((d) => [d.width, d.compression, d.tileWidth]), [[1600, 7, 256], [800, 7, 256], [400, 7, 256], [200, 7, 256]]);
    });

    it('applies EXIF orientation: the stored 1200×1600 scan is served upright', async () => {
      await srv.add(data('formats', 'ndl_2568591_16_exif-orientation-6.jpg'), 'exif6');
      const px = await served('exif6', 'full/400,/0/default.png');
      assert.deepEqual([px.width, px.height], [400, 300]);
      const upright = await sharp(data('manuscripts', '2568591_16.jpg')).resize(400, 300).png().toBuffer();
      const got = await body(await srv.get('/iiif/3/exif6/full/400,/0/default.png'));
      assert.ok((await meanDifference(got, upright)) < 6);
    });

    it('reads 16-bit TIFF into the same picture as the 8-bit scan', async () => {
      await srv.add(data('formats', 'ndl_2568591_15_rgb16_lzw.tif'), 'rgb16');
      const got = await body(await srv.get('/iiif/3/rgb16/full/800,/0/default.png'));
      const reference = await sharp(data('manuscripts', '2568591_15.jpg')).resize(800, 600).png().toBuffer();
      assert.ok((await meanDifference(got, reference)) < 6);
    });

    it('converts CMYK JPEGs with their ICC profile: white paper stays white', async () => {
      await srv.add(data('formats', 'loris_jpeg_with_cmyk_profile.jpg'), 'cmyk-frog');
      const px = await served('cmyk-frog');
      assert.strictEqual(px.channels, 3);
      assert.ok(colourDistance(px.at(2, 2), [255, 255, 255]) <= 12, `corner ${px.at(2, 2)}`);
      await srv.add(data('formats', 'ndl_2544473_03_cmyk.jpg'), 'cmyk-seal');
      const got = await body(await srv.get('/iiif/3/cmyk-seal/full/400,/0/default.png'));
      const reference = await sharp(data('manuscripts', '2544473_03.jpg')).resize(400, 300).png().toBuffer();
      assert.ok((await meanDifference(got, reference)) < 10);
    });

    it('flattens PNG transparency onto the configured background', async () => {
      await srv.add(data('formats', 'loris_png_with_transparency.png'), 'alpha-white');
      const px = await served('alpha-white');
      assert.strictEqual(px.channels, 3);
      assert.ok(colourDistance(px.at(1, 1), [255, 255, 255]) <= 8, `${px.at(1, 1)}`);
      const store = srv.deps.store;
      await addImage(store, data('formats', 'loris_png_with_transparency.png'), { id: 'alpha-red' }, {
        ...pyramidOptions(srv.deps.config),
        background: '#ff0000',
      });
      assert.ok(colourDistance((await served('alpha-red')).at(1, 1), [255, 0, 0]) <= 8);
    });

    it('reads grayscale JPEGs', async () => {
      await srv.add(data('formats', 'ndl_3508165_09_gray.jpg'), 'gray-scan');
      const px = await served('gray-scan', 'full/200,/0/default.jpg');
      assert.deepEqual([px.width, px.height], [200, 150]);
    });

    it('treats a pyramidal TIFF as one image, not one per level', async () => {
      const recs = await srv.add(data('formats', 'ndl_2568591_15_pyramid_tiled_jpeg.tif'), 'was-pyramid');
      assert.strictEqual(recs.length, 1);
      assert.deepEqual([recs[0]!.width, recs[0]!.height], [1600, 1200]);
    });

    it('splits a multi-page TIFF into one image per page', async () => {
      const dir = await tempDir();
      const page = (c: string) => sharp({ create: { width: 300, height: 200, channels: 3, background: c } }).png().toBuffer();
      const pages = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map(page));
      const file = path.join(dir, 'three-pages.tif');
      await sharp(pages, { join: { animated: true } }).tiff({ compression: 'lzw' }).toFile(file);
      const recs = await srv.add(file, 'booklet');
      assert.deepEqual(recs.map((r) => r.id), ['booklet-p1', 'booklet-p2', 'booklet-p3']);
      assert.ok(colourDistance((await served('booklet-p2')).at(10, 10), [0, 255, 0]) <= 8);
      assert.ok(colourDistance((await served('booklet-p3')).at(10, 10), [0, 0, 255]) <= 8);
      // One page replaced (a rescan): the master the other pages share stays, theirs untouched.
      const shared = recs[0]!.masterKey;
      assert.match(shared, /^images\/booklet-p1\/master-[0-9a-f]{16}\.tif$/);
      for (const id of ['booklet-p2', 'booklet-p1']) {
        await addImage(srv.deps.store, data('manuscripts', '2568591_16.jpg'), { id, replace: true, journal: srv.deps.catalogue }, pyramidOptions(srv.deps.config));
      }
      assert.strictEqual(await sha(srv.deps.store.localPath(shared)), recs[0]!.masterSha256, 'the shared master is kept while page 3 points to it');
      assert.ok(colourDistance((await served('booklet-p3')).at(10, 10), [0, 0, 255]) <= 8);
      assert.deepEqual(await srv.deps.catalogue.openImageChanges(), []);
    });

    it('reads CMYK TIFF and WebP scans', async () => {
      const dir = await tempDir();
      const scan = data('manuscripts', '2544473_03.jpg');
      const cmykTiff = path.join(dir, 'seal-cmyk.tif');
      await sharp(scan).toColourspace('cmyk').tiff({ compression: 'lzw' }).toFile(cmykTiff);
      assert.strictEqual((await sharp(cmykTiff).metadata()).space, 'cmyk');
      const webp = path.join(dir, 'seal.webp');
      await sharp(scan).webp({ quality: 90 }).toFile(webp);
      const reference = await sharp(scan).resize(400, 300).png().toBuffer();
      for (const [file, id] of [[cmykTiff, 'cmyk-tiff'], [webp, 'webp-scan']] as const) {
        const [rec] = await srv.add(file, id);
        assert.strictEqual(rec!.masterFormat, id === 'webp-scan' ? 'webp' : 'tiff');
        const got = await body(await srv.get(`/iiif/3/${id}/full/400,/0/default.png`));
        assert.ok((await meanDifference(got, reference)) < 10, id);
      }
    });

    it('builds 512-px tiles when configured, and info.json says so', async () => {
      await addImage(srv.deps.store, data('manuscripts', '2568591_16.jpg'), { id: 'tiles512' }, {
        ...pyramidOptions(srv.deps.config),
        tileSize: 512,
      });
      const info = (await (await srv.get('/iiif/3/tiles512/info.json')).json()) as { tiles: unknown };
      assert.deepEqual(info.tiles, [{ width: 512, height: 512, scaleFactors: [1, 2, 4] }]);
      const px = await served('tiles512', '512,512,512,512/512,/0/default.jpg');
      assert.deepEqual([px.width, px.height], [512, 512]);
    });

    it('refuses JPEG 2000 with a clear reason when libvips cannot read it', async () => {
      if (sharp.format.jp2?.input?.file) return; // a libvips with OpenJPEG reads it like the others
      await rejects(srv.add(data('formats', 'ndl_3508165_10.jp2'), 'jp2'), (e: AppError) => /JPEG 2000/.test(e.publicMessage));
    });
  });

  describe('image add: hostile files', () => {
    const HOSTILE: [string, RegExp][] = [
      ['empty.jpg', /the file is empty/],
      ['html_renamed.jpg', /it is an HTML page/],
      ['zip_renamed.tif', /it is a ZIP archive/],
      ['png_bomb_100000x100000.png', /100000×100000 = 10000000000 pixels is over the limit/],
      ['jpeg_sof_65500x65500.jpg', /65500×65500 = 4290250000 pixels is over the limit/],
      ['truncated.jpg', /does not decode cleanly.*premature end/i],
      ['tiff_corrupt_ifd.tif', /cannot read the image header|damaged TIFF/],
      ['tiff_ifd_loop.tif', /does not decode cleanly|damaged TIFF/],
    ];
    for (const [file, reason] of HOSTILE) {
      it(`refuses ${file} with a message, storing nothing`, async () => {
        const id = `hostile-${path.basename(file, path.extname(file)).replace(/_/g, '-')}`;
        await rejects(srv.add(data('hostile', file), id), (e: unknown) => {
          assert.ok(e instanceof AppError, String(e));
          assert.strictEqual(e.status, 422);
          assert.match(e.publicMessage, reason);
          assert.ok(e.publicMessage.startsWith(`${file}: `));
          return true;
        });
        assert.strictEqual(await srv.deps.store.stat(`images/${id}/image.json`), null);
        assert.strictEqual((await srv.get(`/iiif/3/${id}/info.json`)).status, 404);
        assert.deepEqual(await readdir(path.join(srv.root, '.tmp')).catch(() => []), []);
      });
    }

    it('a refused replacement leaves the stored image exactly as it was', async () => {
      await srv.add(data('manuscripts', '2568591_15.jpg'), 'precious');
      const store = srv.deps.store;
      // Every stored file of the image: record, master, the current version's pyramid and extras.
      const files = async () => {
        const names = (await readdir(store.localPath('images/precious'), { recursive: true })).map(String).sort();
        return Promise.all(names.filter((f) => /\.(json|jpg|tif|bin)$/.test(f)).map(async (f) => `${f} ${await sha(store.localPath(`images/precious/${f}`))}`));
      };
      const before = await files();
      assert.strictEqual(before.length, 4, before.join('\n'));
      const tile = await body(await srv.get('/iiif/3/precious/0,0,256,256/256,/0/default.jpg'));
      for (const file of ['truncated.jpg', 'png_bomb_100000x100000.png', 'zip_renamed.tif']) {
        await rejects(addImage(store, data('hostile', file), { id: 'precious', replace: true }, pyramidOptions(srv.deps.config)), AppError);
      }
      const afterwards = await files();
      assert.deepEqual(afterwards, before);
      assert.ok(tile.equals(await body(await srv.get('/iiif/3/precious/0,0,256,256/256,/0/default.jpg'))));
    });

    it('does not overwrite an identifier without --replace', async () => {
      await srv.add(data('manuscripts', '2544473_01.jpg'), 'taken');
      await rejects(srv.add(data('manuscripts', '2544473_03.jpg'), 'taken'), ConflictError);
    });

    it('refuses a file over the size limit with 413', async () => {
      const opts = { ...pyramidOptions(srv.deps.config), maxFileBytes: 1000 };
      await rejects(addImage(srv.deps.store, data('manuscripts', '2544473_01.jpg'), { id: 'big' }, opts), (e: unknown) => {
        assert.ok(e instanceof PayloadTooLargeError);
        assert.strictEqual(e.status, 413);
        assert.match(e.publicMessage, /over the limit of 1000 \(image\.maxFileBytes\)/);
        return true;
      });
    });
  });

  describe('vankho image add (the CLI)', () => {
    it('adds good files, refuses bad ones with a reason, exits 1 when any was refused', async () => {
      const root = await tempDir();
      const env = { ...process.env, VANKHO_STORAGE_ROOT: root, VANKHO_LOG_LEVEL: 'silent' };
      const cli = [path.join(projectRoot, 'node_modules', '.bin', 'tsx'), path.join(projectRoot, 'server', 'cli.ts'), 'image', 'add'];
      const ok = await run(cli[0]!, [...cli.slice(1), data('manuscripts', '2568591_16.jpg'), '--id', 'cli-page'], { env });
      assert.match(ok.stdout, /added cli-page \(1600×1200, 4 levels\)/);
      const bad = await run(cli[0]!, [...cli.slice(1), data('hostile', 'html_renamed.jpg'), data('manuscripts', '2544473_01.jpg')], { env }).catch((e) => e);
      assert.strictEqual(bad.code, 1);
      assert.match(bad.stderr, /refused .*html_renamed\.jpg: html_renamed\.jpg: not an image we can read: it is an HTML page/);
      assert.match(bad.stdout, /added 2544473_01/);
      const usage = await run(cli[0]!, [...cli.slice(1), 'a.jpg', 'b.jpg', '--id', 'x'], { env }).catch((e) => e);
      assert.strictEqual(usage.code, 2);
      assert.match(usage.stderr, /--id names one image/);
      const badEnv = await run(cli[0]!, [...cli.slice(1), 'a.jpg'], { env: { ...env, VANKHO_IMAGE_TILE_SIZE: '300' } }).catch((e) => e);
      assert.strictEqual(badEnv.code, 2);
      assert.match(badEnv.stderr, /image\.tileSize: .*VANKHO_IMAGE_TILE_SIZE/);
    });
  });
});
