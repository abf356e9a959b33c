/**
 * Ingest survives being killed: a real `vankho ingest` is SIGKILLed at several points of a real job
 * (while pyramids are built, while pages are read by OCR), then resumed; the job completes with no
 * duplicate, no half-written file under a real name, and a catalogue consistent with storage.
 */
import { assert } from 'chai';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OWNER } from '../../server/storage/owner.js';
import { after, before, describe, it } from 'mocha';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { rejects } from '../helpers/assert.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { data } from '../helpers/shared.js';

let srv: TestServer;
let folder: string;
let env: Record<string, string>;
const PAGES = 4;
/** Pids of the ingests killed: their work folders and temp files must not outlive the next start. */
const killed: number[] = [];

/** Page stages of the one job, read from the database the CLI writes (as another process would). */
function stages(root: string): string[] {
  const db = new Database(path.join(root, 'catalogue.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT stage FROM ingest_pages ORDER BY item_position, position').pluck().all() as string[];
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/** Starts an ingest and SIGKILLs it as soon as `when` holds for the job's page stages. */
async function killWhen(args: string[], when: (stages: string[]) => boolean): Promise<string[]> {
  const child = spawnCli(args, env);
  killed.push(child.pid!);
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 60_000;
  let seen: string[] = [];
  while (Date.now() < deadline && child.exitCode === null) {
    seen = stages(srv.root);
    if (when(seen)) {
      child.kill('SIGKILL');
      break;
    }
    await sleep(15);
  }
  await exited;
  assert.strictEqual(child.signalCode, 'SIGKILL', `the ingest was killed (stages then: ${seen.join(',')})`);
  return seen;
}

describe('an ingest killed and resumed', () => {
  before(async () => {
    srv = await startTestServer();
    await srv.deps.catalogue.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh' } });
    await srv.deps.catalogue.putCollection({ id: 'so-hoa', library: 'tinh', label: { vi: 'Số hoá' } });
    folder = path.join(await tempDir('vankho-crash-'), 'sach-bi-ngat');
    await mkdir(folder);
    const pages = [data('ocr', 'vi_print_02.jpg'), data('manuscripts', '2568591_15.jpg'), data('ocr', 'vi_print_01.png'), data('manuscripts', '2544473_03.jpg')];
    for (const [i, p] of pages.entries()) await copyFile(p, path.join(folder, `${i + 1}${path.extname(p)}`));
    // One page at a time, so that the kills land between well-defined steps.
    env = { VANKHO_STORAGE_ROOT: srv.root, VANKHO_LOG_LEVEL: 'silent', VANKHO_INGEST_CONCURRENCY: '1' };
  });
  after(() => srv.close());

  it('completes with every page once, whole files only, and a consistent catalogue', async () => {
    const args = ['ingest', folder, '--collection', 'so-hoa'];
    // Kill 1: the first pyramid is stored, OCR has not finished.
    const first = await killWhen(args, (s) => s[0] === 'pyramid');
    assert.strictEqual(first.filter((s) => s === 'ocr').length, 0);
    await rejects(srv.deps.catalogue.getItem('sach-bi-ngat'), /no item/, 'no item is visible before it is complete');
    // Kill 2: resumed, then killed again once two pages are through OCR.
    await killWhen(['ingest', '--resume'], (s) => s.filter((x) => x === 'ocr').length >= 2);
    await rejects(srv.deps.catalogue.getItem('sach-bi-ngat'), /no item/);
    // Kill 3: straight after the last page's pyramid.
    await killWhen(['ingest', '--resume'], (s) => s[PAGES - 1] === 'pyramid');
    // Resume to the end.
    const done = await runCli(['ingest', '--resume'], env);
    assert.strictEqual(done.code, 0, done.stderr + done.stdout);
    assert.match(done.stdout, /sach-bi-ngat: done/);

    // What the killed processes were writing (page images in TMPDIR, temp files in storage) is gone.
    const host = OWNER.split('.')[0];
    const leftovers = (await readdir(os.tmpdir())).filter((n) => killed.some((pid) => n.includes(`-${host}.${pid}.`)));
    assert.deepEqual(leftovers, [], 'no work folder of a killed ingest is left');
    assert.deepEqual(await readdir(path.join(srv.root, '.tmp')), [], 'no temp file of a killed ingest is left');

    // Again, as a librarian would by mistake: nothing new.
    const again = await runCli(['ingest', folder, '--collection', 'so-hoa'], env);
    assert.strictEqual(again.code, 0, again.stderr);
    assert.match(again.stdout, /sach-bi-ngat: done/);

    const item = await srv.deps.catalogue.getItem('sach-bi-ngat');
    assert.deepEqual(item.canvases.map((c) => c.image), ['sach-bi-ngat-p1', 'sach-bi-ngat-p2', 'sach-bi-ngat-p3', 'sach-bi-ngat-p4']);
    const images = (await readdir(path.join(srv.root, 'images'))).filter((d) => d.startsWith('sach-bi-ngat'));
    assert.deepEqual(images.sort(), item.canvases.map((c) => c.image), 'no duplicate images');
    for (const c of item.canvases) {
      // Every file under a real name is whole: the pyramid decodes, the JSON parses, the ALTO is closed.
      const meta = await sharp(await srv.pyramid(c.image)).metadata();
      assert.deepEqual([meta.width, meta.height], [c.width, c.height]);
      const record = JSON.parse(await readFile(srv.deps.store.localPath(`images/${c.image}/image.json`), 'utf8')) as { width: number };
      assert.strictEqual(record.width, c.width);
      const lines = JSON.parse(await readFile(srv.deps.store.localPath(`ocr/${c.image}/lines.json`), 'utf8')) as { lines: unknown[] };
      assert.ok(lines.lines.length > 0, `${c.image} has recognised lines`);
      assert.match(await readFile(srv.deps.store.localPath(`ocr/${c.image}/alto.xml`), 'utf8'), /<\/alto>\s*$/);
      assert.ok(await srv.deps.index.getPage(item.id, c.position), `page ${c.position} is indexed`);
    }
    assert.match((await srv.deps.index.getPage(item.id, 1))!.text, /Tư liệu địa phương và văn hoá các dân tộc/);
    const db = new Database(path.join(srv.root, 'catalogue.sqlite'), { readonly: true });
    try {
      // Two jobs (the run and the mistaken repeat), both done; one remembered source.
      assert.deepEqual(db.prepare('SELECT state FROM ingest_jobs').pluck().all(), ['done', 'done']);
      assert.strictEqual(db.prepare('SELECT count(*) FROM ingest_sources').pluck().get(), 1);
      assert.strictEqual(db.prepare('SELECT count(*) FROM search_page WHERE item_id = ?').pluck().get('sach-bi-ngat'), PAGES);
    } finally {
      db.close();
    }
  });
});
