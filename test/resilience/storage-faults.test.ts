/**
 * Our disk full or read-only, told from a bad file everywhere: a real server whose storage root is a
 * small tmpfs mounted for the test (root only), filled with a filler file to leave exactly the space a
 * case needs; then made read-only with a read-only bind mount over it (`chmod` does not stop root).
 * Uploads, ingest (images and a PDF), `image add --replace` and catalogue writes answer 507/503 with
 * Retry-After, or pause (ingest) — never 422, never a refused page or quarantine — and lose nothing;
 * images stay served; once space is back the paused job finishes.
 */
import { assert } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import Database from 'better-sqlite3';
import { readImageRecord } from '../../server/storage/layout.js';
import { rejects } from '../helpers/assert.js';
import { runCli } from '../helpers/cli.js';
import { STAFF, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { data } from '../helpers/shared.js';

const isRoot = process.getuid?.() === 0;
let mnt: string;
let srv: TestServer;
const mounted: string[] = [];
const scan = data('manuscripts', '2544473_01.jpg'); // 604 KB
const FILLER = 'filler.bin';

function mount(...args: string[]): void {
  execFileSync('mount', args, { stdio: 'pipe' });
  mounted.push(args[args.length - 1]!);
}

/** Fills the storage file system so that `leave` bytes stay free (0: full). */
async function leaveFree(leave: number): Promise<void> {
  await rm(path.join(mnt, FILLER), { force: true });
  const s = await statfs(mnt);
  const free = s.bavail * s.bsize;
  await writeFile(path.join(mnt, FILLER), Buffer.alloc(Math.max(0, free - leave)));
}
const freeAll = () => rm(path.join(mnt, FILLER), { force: true });

async function upload(body: Buffer, name: string): Promise<Response> {
  return srv.get(`/api/ingest?collection=so-hoa&filename=${name}`, { method: "POST", body: new Uint8Array(body), headers: STAFF });
}

/** The job's JSON as staff read it, once its event stream has ended. */
async function jobAfter(res: Response): Promise<{ id: string; state: string; error: string | null; items: { state: string; pages: { stage: string; message: string | null }[] }[] }> {
  assert.strictEqual(res.status, 202, await res.clone().text());
  const { job, events } = (await res.json()) as { job: string; events: string };
  await (await srv.get(events, { headers: STAFF })).text();
  const text = await (await srv.get(`/api/ingest/jobs/${job}`, { headers: STAFF })).text();
  assert.notInclude(text, mnt, 'no server path in the job');
  assert.notInclude(text, os.tmpdir(), 'no server path in the job');
  return JSON.parse(text);
}

const tmpLeft = async () => (await readdir(path.join(mnt, '.tmp')).catch(() => [] as string[])).length;

describe('storage full or read-only', function () {
  if (!isRoot) {
    it.skip('needs root to mount a small file system as storage (run the suite as root, as CI does)');
    return;
  }

  before(async () => {
    mnt = await tempDir('vankho-tmpfs-');
    mount('-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt);
    srv = await startTestServer({ storage: { root: mnt } });
    await srv.deps.catalogue.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh' } });
    await srv.deps.catalogue.putCollection({ id: 'so-hoa', library: 'tinh', label: { vi: 'Số hoá' } });
    await srv.add(data('manuscripts', '2568591_15.jpg'), 'trang-co-san');
  });
  afterEach(freeAll);
  after(async () => {
    await srv?.close();
    for (const m of mounted.reverse()) execFileSync('umount', ['--lazy', m]);
  });

  it('answers an upload that does not fit with 507 and Retry-After, keeping nothing of it', async () => {
    const jobsBefore = srv.deps.jobs.all().length;
    await leaveFree(200_000);
    const res = await upload(await readFile(scan), 'khong-vua.jpg');
    assert.strictEqual(res.status, 507, await res.clone().text());
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    const body = (await res.json()) as { error: string; message: string };
    assert.strictEqual(body.error, 'storage_full');
    assert.match(body.message, /storage is full: nothing was lost or refused/);
    assert.strictEqual(await tmpLeft(), 0, 'the partial upload is removed');
    assert.deepEqual(await readdir(path.join(mnt, 'uploads')).catch(() => []), []);
    assert.strictEqual(srv.deps.jobs.all().length, jobsBefore, 'no job for it');
    await freeAll();
  });

  it('pauses an ingest that meets a full disk (nothing refused) and finishes it once space is back', async () => {
    // Room for the upload, not for its pyramid and master.
    await leaveFree(900_000);
    const job = await jobAfter(await upload(await readFile(scan), 'tap-day-dia.jpg'));
    assert.strictEqual(job.state, 'paused');
    assert.match(job.error ?? '', /storage is full/);
    const stages = job.items.flatMap((i) => i.pages.map((p) => p.stage));
    assert.notInclude(stages, 'rejected', 'the page is not refused');
    assert.notInclude(job.items.map((i) => i.state), 'failed');
    assert.deepEqual(await readdir(path.join(mnt, 'quarantine')).catch(() => []), [], 'nothing quarantined');
    // Images are still served from the full disk.
    assert.strictEqual((await srv.get('/iiif/3/trang-co-san/full/300,/0/default.jpg')).status, 200);
    assert.strictEqual((await srv.get('/iiif/3/trang-co-san/info.json')).status, 200);

    await freeAll();
    srv.deps.runner.kick(); // as the runner's timer (or the next upload) does
    await srv.deps.runner.idle();
    const done = (await (await srv.get(`/api/ingest/jobs/${job.id}`, { headers: STAFF })).json()) as { state: string; error: string | null };
    assert.deepEqual([done.state, done.error], ['done', null]);
    assert.strictEqual((await srv.deps.catalogue.getItem('tap-day-dia')).canvases.length, 1);
  });

  it('stops `image add --replace` on a full disk with exit 75, the stored image as it was', async () => {
    const before = await readImageRecord(srv.deps.store, 'trang-co-san');
    await leaveFree(150_000);
    const env = { VANKHO_STORAGE_ROOT: mnt, VANKHO_LOG_LEVEL: 'silent' };
    const run = await runCli(['image', 'add', scan, '--id', 'trang-co-san', '--replace'], env);
    assert.strictEqual(run.code, 75, run.stderr + run.stdout);
    assert.match(run.stderr, /storage is full/);
    assert.notMatch(run.stderr, /^refused/m);
    assert.deepEqual(await readImageRecord(srv.deps.store, 'trang-co-san'), before);
    assert.strictEqual(await tmpLeft(), 0);
    await freeAll();
  });

  it('pauses a PDF ingest whose pages cannot be rasterised into a full TMPDIR (exit 75), and resumes it', async () => {
    const scratch = await tempDir('vankho-tmpfs-scratch-');
    mount('-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', scratch);
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const page = doc.addPage([595, 842]);
    page.drawText('Dia chi tinh, trang 1', { x: 72, y: 760, size: 24, font });
    page.drawRectangle({ x: 72, y: 200, width: 450, height: 500, borderWidth: 3 });
    const folder = await tempDir('vankho-pdf-');
    const pdf = path.join(folder, 'dia-chi.pdf');
    await writeFile(pdf, await doc.save());
    const env = { VANKHO_STORAGE_ROOT: mnt, VANKHO_LOG_LEVEL: 'silent', TMPDIR: scratch };
    const run = await runCli(['ingest', pdf, '--collection', 'so-hoa'], env);
    assert.strictEqual(run.code, 75, run.stderr + run.stdout);
    const said = run.stdout.split('\n').filter((l) => !l.startsWith('{')).join('\n'); // without the log's JSON lines
    assert.match(said, /: paused — the server's storage is full/);
    assert.notMatch(said, /refused:|: failed/);
    const resumed = await runCli(['ingest', '--resume'], { ...env, TMPDIR: os.tmpdir() });
    assert.strictEqual(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, /dia-chi: done/);
  });

  it('answers a catalogue write on a full disk with 507, and takes it once space is back', async () => {
    // The write-ahead log emptied first, so that a write must grow a file.
    const db = new Database(path.join(mnt, 'catalogue.sqlite'));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    await leaveFree(0);
    const item = { collection: 'so-hoa', kind: 'book', canvases: [{ image: 'trang-co-san' }], description: { title: { vi: 'Sổ đinh' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/NoC-NC/1.0/' } };
    const res = await srv.get('/api/items/so-dinh', { method: 'PUT', body: JSON.stringify(item), headers: { ...STAFF, 'Content-Type': 'application/json' } });
    assert.strictEqual(res.status, 507, await res.clone().text());
    assert.strictEqual(((await res.json()) as { error: string }).error, 'storage_full');
    await rejects(srv.deps.catalogue.getItem('so-dinh'), /no item/);
    await freeAll();
    await srv.put('/api/items/so-dinh', item);
    assert.strictEqual((await srv.deps.catalogue.getItem('so-dinh')).description.title.vi, 'Sổ đinh');
  });

  it('answers writes with 503 storage_read_only while the storage is read-only, and serves images', async () => {
    // A read-only bind mount over the storage root: what the server opens from now on is read-only.
    mount('--bind', '-o', 'ro', mnt, mnt);
    try {
      const res = await upload(await readFile(scan), 'chi-doc.jpg');
      assert.strictEqual(res.status, 503, await res.clone().text());
      assert.strictEqual(((await res.json()) as { error: string }).error, 'storage_read_only');
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      const add = await runCli(['image', 'add', scan, '--id', 'chi-doc'], { VANKHO_STORAGE_ROOT: mnt, VANKHO_LOG_LEVEL: 'silent' });
      assert.strictEqual(add.code, 75, add.stderr);
      assert.match(add.stderr, /read-only/);
      assert.strictEqual((await srv.get('/iiif/3/trang-co-san/full/256,/0/default.jpg')).status, 200);
      assert.strictEqual((await srv.get('/iiif/presentation/3/items/tap-day-dia/manifest')).status, 200);
    } finally {
      execFileSync('umount', ['--lazy', mnt]);
      mounted.pop();
    }
    const again = await upload(await readFile(scan), 'chi-doc.jpg');
    assert.strictEqual(again.status, 202, 'writable again');
    await srv.deps.runner.idle();
  });
});
