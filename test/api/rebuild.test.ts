/**
 * `vankho image rebuild` over a store of format-1 images, run as a real CLI process beside a running
 * server, SIGKILLed at several points: mid-build of a new version, just after an image's record has
 * switched, and mid-build of a later image. After every kill each image is whole (old or new version)
 * and served; run again, it resumes, finishes, and leaves no half-built or old version behind.
 */
import { assert } from 'chai';
import { execFile } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'mocha';
import sharp from 'sharp';
import { ANONYMOUS } from '../../server/auth/policy.js';
import { projectRoot } from '../../server/config.js';
import { parseImageRequest } from '../../server/image/iiif-url.js';
import { imageKeys, PYRAMID_FORMAT, readImageRecord } from '../../server/storage/layout.js';
import { pyramidLevels, readTiffFile } from '../../server/storage/tiff.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { addLegacyImage } from '../helpers/legacy.js';
import { body } from '../helpers/pixels.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { data, validatorImage } from '../helpers/shared.js';

let srv: TestServer;
let env: Record<string, string>;
const IDS = ['trang-1', 'trang-2', 'trang-3', 'trang-4', 'trang-5-pdf'];

const folder = (id: string) => srv.deps.store.localPath(imageKeys(id).dir);
const versions = async (id: string) => (await readdir(folder(id))).filter((n) => /^v\d+-/.test(n));
const switched = async (id: string) => (await readImageRecord(srv.deps.store, id))?.format === PYRAMID_FORMAT;

/** Starts a rebuild and SIGKILLs it as soon as `when` holds (polled every few ms). */
async function killWhen(what: string, when: () => Promise<boolean>): Promise<void> {
  const child = spawnCli(['image', 'rebuild', '--all'], env);
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await when()) {
      child.kill('SIGKILL');
      break;
    }
    await sleep(3);
  }
  await exited;
  assert.strictEqual(child.signalCode, 'SIGKILL', `killed ${what}`);
}

/** Every image is whole (its record points at complete files) and served: info, a tile, a whole view. */
async function assertWhole(when: string): Promise<void> {
  for (const id of IDS) {
    const record = (await readImageRecord(srv.deps.store, id))!;
    if (record.version) {
      const keys = imageKeys(id).version(record.version);
      const levels = pyramidLevels(await readTiffFile(srv.deps.store.localPath(keys.pyramid)));
      assert.strictEqual(levels.length, record.levels, `${when}: ${id} pyramid levels`);
      const end = Math.max(...[...record.sizes!, ...record.edgeTiles!].map((e) => e.offset + e.length));
      assert.strictEqual((await stat(srv.deps.store.localPath(keys.extras))).size, end, `${when}: ${id} extras whole`);
    } else {
      await stat(srv.deps.store.localPath(imageKeys(id).legacyPyramid));
    }
    const info = await srv.get(`/iiif/3/${id}/info.json`);
    assert.strictEqual(info.status, 200, `${when}: ${id} info.json`);
    for (const p of ['0,0,256,256/256,/0/default.jpg', 'full/400,/0/default.jpg']) {
      const res = await srv.get(`/iiif/3/${id}/${p}`);
      const img = await body(res);
      assert.strictEqual(res.status, 200, `${when}: ${id}/${p} → ${img.toString().slice(0, 200)}`);
      await sharp(img).raw().toBuffer(); // decodes
    }
  }
}

describe('vankho image rebuild', () => {
  before(async () => {
    srv = await startTestServer();
    const scans = [data('manuscripts', '2568591_15.jpg'), data('manuscripts', '2544473_03.jpg'), data('manuscripts', '2544473_01.jpg'), data('manuscripts', '2568591_16.jpg')];
    for (const [i, scan] of scans.entries()) await addLegacyImage(srv.deps.store, scan, IDS[i]!);
    // A page ingested from a PDF: its record says "jpeg" (the page image) but its master is the PDF,
    // which sharp cannot read; rebuilt from its stored pyramid.
    await addLegacyImage(srv.deps.store, data('manuscripts', '2544473_01.jpg'), 'trang-5-pdf', data('pdf', 'synthetic_ocr_3pages.pdf'));
    env = { VANKHO_STORAGE_ROOT: srv.root, VANKHO_LOG_LEVEL: 'silent' };
  });
  after(() => srv.close());

  it('asks which images: names, or --all', async () => {
    const none = await runCli(['image', 'rebuild'], env);
    assert.strictEqual(none.code, 2);
    assert.match(none.stderr, /name images to rebuild, or give --all/);
    const unknown = await runCli(['image', 'rebuild', 'khong-co'], env);
    assert.strictEqual(unknown.code, 1);
    assert.match(unknown.stderr, /khong-co: no image with identifier "khong-co"/);
    assert.match(unknown.stdout, /0 rebuilt, 0 already current, 1 failed/);
  });

  it('survives SIGKILL mid-build, just after a switch, and mid-build of a later image, then resumes', async () => {
    const before = await body(await srv.get('/iiif/3/trang-1/0,0,256,256/256,/0/default.jpg'));
    await assertWhole('before');

    // Kill 1: the first image's new version folder exists, its record still points at format 1.
    await killWhen('mid-build', async () => (await versions('trang-1')).length > 0 && !(await switched('trang-1')));
    await assertWhole('after kill 1');
    assert.isFalse(await switched('trang-1'));

    // Kill 2: the first image has switched, the second not yet.
    await killWhen('after a switch', async () => (await switched('trang-1')) && !(await switched('trang-2')));
    await assertWhole('after kill 2');
    assert.isTrue(await switched('trang-1'));

    // Kill 3: a later image is being built.
    await killWhen('mid-build of trang-3', async () => (await versions('trang-3')).length > 0 && !(await switched('trang-3')));
    await assertWhole('after kill 3');

    // Resume to the end.
    const done = await runCli(['image', 'rebuild', '--all'], env);
    assert.strictEqual(done.code, 0, done.stderr + done.stdout);
    assert.match(done.stdout, /trang-5-pdf: rebuilt from the pyramid/);
    // trang-1 and trang-2 were switched before the kills; trang-3 (half-built), trang-4 and trang-5-pdf remained.
    assert.match(done.stdout, /^3 rebuilt, 2 already current, 0 failed$/m);
    await assertWhole('after the resumed run');

    for (const id of IDS) {
      const record = (await readImageRecord(srv.deps.store, id))!;
      assert.strictEqual(record.format, PYRAMID_FORMAT, id);
      // Only the record, the master and the current version remain: no old pyramid, no half-built folder.
      const names = (await readdir(folder(id))).sort();
      assert.deepEqual(names, [record.version!, 'image.json', path.basename(record.masterKey)].sort(), id);
      const info = (await (await srv.get(`/iiif/3/${id}/info.json`)).json()) as { sizes: unknown[] };
      assert.strictEqual(info.sizes.length, record.sizes!.length);
    }
    // The same region, served from the new pyramid: smaller, and still the same picture.
    const after = await body(await srv.get('/iiif/3/trang-1/0,0,256,256/256,/0/default.jpg'));
    assert.isBelow(after.length, before.length * 0.6);
    const [a, b] = await Promise.all([after, before].map((x) => sharp(x).raw().toBuffer()));
    let total = 0;
    for (let i = 0; i < a!.length; i++) total += Math.abs(a![i]! - b![i]!);
    assert.isBelow(total / a!.length, 5);

    // Run again: nothing to do.
    const again = await runCli(['image', 'rebuild', '--all'], env);
    assert.strictEqual(again.code, 0);
    assert.match(again.stdout, new RegExp(`0 rebuilt, ${IDS.length} already current, 0 failed`));
  });

  it('a request looked up just before a rebuild removed its version is produced from the new one', async () => {
    const ask = (region: string, size: string) => parseImageRequest('trang-4', { region, size, rotation: '0', qualityFormat: 'default.jpg' }, 3);
    // A stored tile (copied from the TIFF), a size entry (copied from the extras), a render.
    const stored = (await readImageRecord(srv.deps.store, 'trang-4'))!.sizes!.at(-1)!;
    const requests = [ask('0,0,256,256', '256,'), ask('full', `${stored.width},${stored.height}`), ask('full', '300,')];
    const prepared = await Promise.all(requests.map((r) => srv.deps.images.prepare(r, ANONYMOUS)));
    const old = prepared[0]!.image.version;
    const r = await runCli(['image', 'rebuild', 'trang-4', '--force'], env);
    assert.strictEqual(r.code, 0, r.stderr);
    for (const [i, p] of prepared.entries()) {
      const out = await srv.deps.images.produce(p);
      const meta = await sharp(out).metadata();
      assert.deepEqual([meta.width], [[256, stored.width, 300][i]]);
    }
    assert.notStrictEqual((await srv.deps.images.prepare(requests[0]!, ANONYMOUS)).image.version, old);
  });

  it('draws a progress bar on a terminal', async () => {
    // util-linux `script` runs the CLI on a pseudo-terminal, as a librarian's shell would.
    const command = [process.execPath, '--import', 'tsx', path.join(projectRoot, 'server', 'cli.ts'), 'image', 'rebuild', '--all', '--force'].map((a) => `'${a}'`).join(' ');
    const out = await new Promise<string>((resolve, reject) =>
      execFile('script', ['-qec', command, '/dev/null'], { cwd: projectRoot, env: { ...process.env, ...env } }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    assert.match(out, new RegExp(`Ảnh / images \\[█+\\] ${IDS.length}/${IDS.length}`));
    // The PDF page's only source is its pyramid: --force does not re-encode it again.
    assert.match(out, new RegExp(`${IDS.length - 1} rebuilt, 1 already current, 0 failed`));
  });

  it('--force rebuilds current images into a new version, switching the ETag', async () => {
    const etag = (await srv.get('/iiif/3/trang-4/0,0,256,256/256,/0/default.jpg')).headers.get('etag');
    const { version } = (await readImageRecord(srv.deps.store, 'trang-4'))!;
    const r = await runCli(['image', 'rebuild', 'trang-4', '--force'], env);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /1\/1 trang-4: rebuilt from the master/);
    const now = (await readImageRecord(srv.deps.store, 'trang-4'))!;
    assert.notStrictEqual(now.version, version);
    assert.deepEqual(await versions('trang-4'), [now.version!]);
    assert.notStrictEqual((await srv.get('/iiif/3/trang-4/0,0,256,256/256,/0/default.jpg')).headers.get('etag'), etag);
  });
});

describe('vankho image rebuild: what it refuses, and going on past it', () => {
  let s2: TestServer;
  let env2: Record<string, string>;

  before(async () => {
    s2 = await startTestServer();
    env2 = { VANKHO_STORAGE_ROOT: s2.root, VANKHO_LOG_LEVEL: 'silent' };
  });
  after(() => s2.close());

  it('says so and exits 1 when the storage root holds no image (a wrong path)', async () => {
    const r = await runCli(['image', 'rebuild', '--all'], env2);
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /0 image\(s\)/);
    assert.match(r.stderr, /no images here: is storage.root/);
  });

  it('leaves an image whose master is not the same picture as it was, fails a damaged record, rebuilds the rest', async () => {
    await addLegacyImage(s2.deps.store, data('manuscripts', '2568591_15.jpg'), 'a-good');
    // The master kept for this image is another scan, of another size (as a wrong page would be).
    await addLegacyImage(s2.deps.store, data('manuscripts', '2568591_15.jpg'), 'b-wrong-master', validatorImage());
    await addLegacyImage(s2.deps.store, data('manuscripts', '2544473_03.jpg'), 'c-damaged');
    await writeFile(s2.deps.store.localPath(imageKeys('c-damaged').record), '{"id": "c-damaged", "wid');
    await addLegacyImage(s2.deps.store, data('manuscripts', '2544473_01.jpg'), 'd-good');
    const before = await body(await s2.get('/iiif/3/b-wrong-master/full/200,/0/default.jpg'));

    const r = await runCli(['image', 'rebuild', '--all'], env2);
    assert.strictEqual(r.code, 1, r.stderr);
    assert.match(r.stdout, /^2 rebuilt, 0 already current, 2 failed$/m, r.stdout + r.stderr);
    assert.match(r.stderr, /not rebuilt b-wrong-master: b-wrong-master: its master gives 1000×1000, the stored image is 1600×1200; left as it was/);
    assert.match(r.stderr, /not rebuilt c-damaged: /);
    for (const id of ['a-good', 'd-good']) assert.strictEqual((await readImageRecord(s2.deps.store, id))!.format, PYRAMID_FORMAT);
    // Left exactly as it was: format 1, the same pixels served, no new folder.
    assert.strictEqual((await readImageRecord(s2.deps.store, 'b-wrong-master'))!.format, undefined);
    assert.deepEqual(await readdir(s2.deps.store.localPath(imageKeys('b-wrong-master').dir)).then((n) => n.filter((x) => x.startsWith('v'))), []);
    assert.ok(before.equals(await body(await s2.get('/iiif/3/b-wrong-master/full/200,/0/default.jpg'))));
  });
});
