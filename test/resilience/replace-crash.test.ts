/**
 * `vankho image add --replace` of a larger scan, run as a real CLI process beside a running server and
 * SIGKILLed at several points: while the new pyramid is built, while the new master is copied, just
 * after the record switched. After each kill, a restart (the catalogue opened again, as the server and
 * every CLI command do) must find the image consistent: its record, pyramid, master and the manifest's
 * canvas all describe one scan, the old or the new. The state a kill leaves between the record's switch
 * and the catalogue's update (too short a window to hit by polling) is made by hand and settled too.
 */
import { assert } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'mocha';
import pino from 'pino';
import sharp from 'sharp';
import { openCatalogue } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { OWNER } from '../../server/storage/owner.js';
import { imageKeys, pyramidKey, readImageRecord, type ImageRecord } from '../../server/storage/layout.js';
import { pyramidLevels, readTiffFile } from '../../server/storage/tiff.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { STAFF, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { data } from '../helpers/shared.js';

let srv: TestServer;
let env: Record<string, string>;
let big: string;
const small = data('manuscripts', '2568591_15.jpg');
const ID = 'to-khai';
const ITEM = 'so-to-khai';

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const record = async () => (await readImageRecord(srv.deps.store, ID))!;
const files = async (id = ID) => (await readdir(srv.deps.store.localPath(imageKeys(id).dir))).sort();

/** Starts the replacement and SIGKILLs it as soon as `when` holds (polled every few ms). */
async function killWhen(what: string, when: (before: ImageRecord) => Promise<boolean>): Promise<void> {
  const before = await record();
  const child = spawnCli(['image', 'add', big, '--id', ID, '--replace'], env);
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await when(before).catch(() => false)) {
      child.kill('SIGKILL');
      break;
    }
    await sleep(2);
  }
  await exited;
  assert.strictEqual(child.signalCode, 'SIGKILL', `killed ${what}`);
}

/** What a restart does first (server or CLI): the catalogue opened, open replacements settled. */
async function restart(): Promise<void> {
  const config = loadConfig({ env: {}, overrides: { storage: { root: srv.root }, demo: { enabled: false } } });
  const { db } = await openCatalogue(config, srv.deps.store, pino({ level: 'silent' }));
  db.close();
}

/** One scan throughout: record, pyramid, master, manifest canvas and info.json agree. Returns its width. */
async function assertConsistent(when: string): Promise<number> {
  assert.deepEqual(await srv.deps.catalogue.openImageChanges(), [], `${when}: no replacement left open`);
  const r = await record();
  const levels = pyramidLevels(await readTiffFile(srv.deps.store.localPath(pyramidKey(r))));
  assert.deepEqual([levels[0]!.width, levels[0]!.height], [r.width, r.height], `${when}: the pyramid is the record's`);
  assert.strictEqual(await sha(srv.deps.store.localPath(r.masterKey)), r.masterSha256, `${when}: the master is the record's`);
  const master = await sharp(srv.deps.store.localPath(r.masterKey)).metadata();
  assert.deepEqual([master.width, master.height], [r.width, r.height], `${when}: the master is the picture the pyramid shows`);
  const manifest = (await (await srv.get(`/iiif/presentation/3/items/${ITEM}/manifest`, { headers: STAFF })).json()) as { items: { width: number; height: number }[] };
  assert.deepEqual([manifest.items[0]!.width, manifest.items[0]!.height], [r.width, r.height], `${when}: the manifest's canvas is the record's`);
  const info = (await (await srv.get(`/iiif/3/${ID}/info.json`, { headers: STAFF })).json()) as { width: number };
  assert.strictEqual(info.width, r.width, `${when}: info.json`);
  const tile = await srv.get(`/iiif/3/${ID}/full/200,/0/default.jpg`, { headers: STAFF });
  assert.strictEqual(tile.status, 200, `${when}: a view is served`);
  return r.width;
}

describe('vankho image add --replace killed and run again', () => {
  before(async () => {
    srv = await startTestServer();
    big = path.join(await tempDir('vankho-bigscan-'), 'to-khai-600dpi.jpg');
    // A scan large enough that building its pyramid takes seconds (the kill windows are wide).
    await sharp({ create: { width: 7200, height: 5400, channels: 3, background: '#c8b48c', noise: { type: 'gaussian', mean: 150, sigma: 30 } } })
      .jpeg({ quality: 90 })
      .toFile(big);
    await srv.add(small, ID);
    await srv.deps.catalogue.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh' } });
    await srv.deps.catalogue.putCollection({ id: 'dia-chi', library: 'tinh', label: { vi: 'Địa chí' } });
    await srv.deps.catalogue.putItem({ id: ITEM, collection: 'dia-chi', kind: 'book', canvases: [{ image: ID }], description: { title: { vi: 'Tờ khai' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/NoC-NC/1.0/' } });
    env = { VANKHO_STORAGE_ROOT: srv.root, VANKHO_LOG_LEVEL: 'silent' };
  });
  after(() => srv.close());

  it('finds the image whole, old or new, after a kill at each point, and replaced after a run to the end', async () => {
    assert.strictEqual(await assertConsistent('before'), 1600);
    const itemVersion = await srv.deps.catalogue.getItemVersion(ITEM);

    // 1. The new pyramid is being written: a version folder the record does not point to.
    await killWhen('while the pyramid is built', async (b) => (await files()).some((f) => f.startsWith('v') && f !== b.version));
    await restart();
    assert.strictEqual(await assertConsistent('killed while building'), 1600);

    // 2. The new master is being copied (a temp file that grows); then, once it has landed under its
    // name (its own: the master in force is never written over), before the record switches.
    const tmpNames = async () => readdir(path.join(srv.root, '.tmp')).catch(() => [] as string[]);
    await killWhen('while the master is copied', async () => (await tmpNames()).some((f) => f.includes('-master')));
    await restart();
    assert.strictEqual(await assertConsistent('killed while copying the master'), 1600);
    const masterTime = async (b: ImageRecord) => (await srv.deps.store.stat(b.masterKey))?.mtimeMs;
    let was: number | undefined;
    await killWhen('when the master has landed', async (b) => {
      was ??= await masterTime(b);
      return (await files()).some((f) => f.startsWith('master') && f !== path.basename(b.masterKey)) || (await masterTime(b)) !== was;
    });
    await restart();
    const afterTwo = await assertConsistent('killed once the master landed');

    // 3. Just after the record switched to the new version.
    if (afterTwo === 1600) {
      await killWhen('just after the switch', async (b) => (await record()).version !== b.version);
      await restart();
      assert.strictEqual(await assertConsistent('killed after the switch'), 7200);
    }
    assert.isAbove(await srv.deps.catalogue.getItemVersion(ITEM), itemVersion, "the item's version moved on: caches see a new manifest");

    // Run to the end (again): one version, one master, no temp file kept.
    const done = await runCli(['image', 'add', big, '--id', ID, '--replace'], env);
    assert.strictEqual(done.code, 0, done.stderr);
    assert.match(done.stdout, /added to-khai \(7200×5400/);
    assert.strictEqual(await assertConsistent('replaced'), 7200);
    const left = await files();
    assert.deepEqual(left.filter((f) => f.startsWith('v')), [(await record()).version], 'only the current version is kept');
    assert.deepEqual(left.filter((f) => f.startsWith('master')), [path.basename((await record()).masterKey)], 'only the current master is kept');
  });

  it('settles a replacement left between the record switch and the catalogue update, and leaves a live one alone', async () => {
    // The state such a kill leaves: the journal entry written, the record switched, the pages not told.
    await srv.add(small, 'to-khai-2');
    await srv.deps.catalogue.putItem({ id: 'so-2', collection: 'dia-chi', kind: 'book', canvases: [{ image: 'to-khai-2' }], description: { title: { vi: 'Tờ khai 2' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/NoC-NC/1.0/' } });
    const [replacement] = await srv.add(big, 'to-khai-lon');
    const dead = `${OWNER.split('.')[0]}.${spawnSync('true').pid}.1x`;
    await srv.deps.catalogue.beginImageChanges(['to-khai-2'], dead);
    await srv.deps.catalogue.beginImageChanges(['to-khai-lon'], OWNER);
    // The switched record points at whole files of a 7200 × 5400 scan.
    await srv.deps.store.put(imageKeys('to-khai-2').record, JSON.stringify({ ...replacement!, id: 'to-khai-2' }));
    let canvas = (await srv.deps.catalogue.getItem('so-2')).canvases[0]!;
    assert.deepEqual([canvas.width, canvas.height], [1600, 1200], 'stale before the restart');
    await restart();
    canvas = (await srv.deps.catalogue.getItem('so-2')).canvases[0]!;
    assert.deepEqual([canvas.width, canvas.height], [7200, 5400], 'settled by the restart');
    // The old record's master went with it; the entry of a process still running (this one) is its own.
    assert.deepEqual((await files('to-khai-2')).filter((f) => f.startsWith('master')), [], 'the replaced master is removed');
    assert.deepEqual((await srv.deps.catalogue.openImageChanges()).map((c) => [c.imageId, c.owner]), [['to-khai-lon', OWNER]]);
    // While it is open, another process may neither replace nor rebuild that image: refused, not raced.
    const second = await runCli(['image', 'add', small, '--id', 'to-khai-lon', '--replace'], env);
    assert.strictEqual(second.code, 1);
    assert.match(second.stderr, /image "to-khai-lon" is being replaced by another process/);
    const rebuild = await runCli(['image', 'rebuild', 'to-khai-lon', '--force'], env);
    assert.match(rebuild.stderr + rebuild.stdout, /to-khai-lon: image "to-khai-lon" is being replaced by another process/);
    assert.strictEqual((await readImageRecord(srv.deps.store, 'to-khai-lon'))!.width, 7200, 'left as it was');
    await srv.deps.catalogue.settleImageChanges(['to-khai-lon'], OWNER);
  });
});
