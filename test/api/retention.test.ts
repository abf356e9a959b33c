/**
 * What ingest keeps for staff past the catalogue: uploads and refused files, kept while their job runs
 * and for `ingest.retention` days after it ends, then removed (ingest/retention.ts). Real uploads through
 * `POST /api/ingest`, real jobs; the job's end moved back in time in the job table, as days passing would.
 */
import { assert } from 'chai';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import Database from 'better-sqlite3';
import { sweepKept } from '../../server/ingest/retention.js';
import { STAFF, startTestServer, type TestServer } from '../helpers/server.js';
import { data } from '../helpers/shared.js';

let srv: TestServer;
const DAY = 86_400_000;

/** Uploads a file; waits for its job to end; returns the job id and its upload folder. */
async function upload(file: string, name: string): Promise<{ job: string; folder: string }> {
  const res = await srv.get(`/api/ingest?collection=so-hoa&filename=${name}`, { method: 'POST', body: await readFile(file), headers: STAFF });
  assert.strictEqual(res.status, 202, await res.clone().text());
  const { job, events } = (await res.json()) as { job: string; events: string };
  await (await srv.get(events, { headers: STAFF })).text();
  const folder = (await readdir(path.join(srv.root, 'uploads'))).find((f) => !seen.has(f))!;
  seen.add(folder);
  return { job, folder };
}
const seen = new Set<string>();

/** Moves a job's end back by `days`, as time passing would. */
function endedDaysAgo(job: string, days: number): void {
  const db = new Database(path.join(srv.root, 'catalogue.sqlite'));
  try {
    db.prepare('UPDATE ingest_jobs SET updated_at = ? WHERE id = ?').run(new Date(Date.now() - days * DAY).toISOString(), job);
  } finally {
    db.close();
  }
}

const listing = async (dir: string) => (await readdir(path.join(srv.root, dir)).catch(() => [] as string[])).sort();

describe('retention of uploads and quarantined files', () => {
  before(async () => {
    srv = await startTestServer();
    await srv.deps.catalogue.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh' } });
    await srv.deps.catalogue.putCollection({ id: 'so-hoa', library: 'tinh', label: { vi: 'Số hoá' } });
  });
  after(() => srv.close());

  it('keeps them while their job runs and for the configured days after it ends, then removes them', async () => {
    const old = await upload(data('manuscripts', '2568591_15.jpg'), 'cu.jpg');
    const recent = await upload(data('manuscripts', '2544473_01.jpg'), 'moi.jpg');
    const refused = await upload(data('hostile', 'truncated.jpg'), 'hong.jpg');
    assert.deepEqual(await listing('quarantine'), [refused.job], 'the refused file is quarantined');
    assert.strictEqual((await srv.deps.catalogue.getItem('cu')).canvases.length, 1);
    endedDaysAgo(old.job, 8);
    endedDaysAgo(recent.job, 2);
    endedDaysAgo(refused.job, 8);
    // A job still running, however old, keeps its upload.
    const running = srv.deps.jobs.create(path.join(srv.root, 'uploads', 'dang-chay', 'x.jpg'), 'so-hoa', null);
    await mkdir(path.join(srv.root, 'uploads', 'dang-chay'));
    await writeFile(path.join(srv.root, 'uploads', 'dang-chay', 'x.jpg'), 'x');
    srv.deps.jobs.claim(running);
    endedDaysAgo(running, 30);
    // Uploads no job reads (a crash between the upload and its job): by age, never within the hour.
    for (const [name, days] of [['mo-coi-cu', 8], ['mo-coi-moi', 0]] as const) {
      await mkdir(path.join(srv.root, 'uploads', name));
      const t = new Date(Date.now() - days * DAY);
      await utimes(path.join(srv.root, 'uploads', name), t, t);
    }
    // Quarantine of a job no longer known, 100 days old.
    await mkdir(path.join(srv.root, 'quarantine', 'job-cu'), { recursive: true });
    const t = new Date(Date.now() - 100 * DAY);
    await utimes(path.join(srv.root, 'quarantine', 'job-cu'), t, t);

    const removed = await sweepKept(srv.deps.store, srv.deps.jobs, { uploadsDays: 7, quarantineDays: 90 });
    assert.deepEqual(removed, { uploads: 3, quarantine: 1 });
    assert.deepEqual(await listing('uploads'), [recent.folder, 'dang-chay', 'mo-coi-moi'].sort());
    assert.deepEqual(await listing('quarantine'), [refused.job], 'refused 8 days ago: kept for 90');
    // What was ingested stays whole: the master is in images/, not in the upload.
    assert.strictEqual((await srv.get('/iiif/3/cu-p1/full/200,/0/default.jpg', { headers: STAFF })).status, 200);

    const strict = await sweepKept(srv.deps.store, srv.deps.jobs, { uploadsDays: 0, quarantineDays: 5 });
    assert.deepEqual(strict, { uploads: 1, quarantine: 1 });
    assert.deepEqual(await listing('uploads'), ['dang-chay', 'mo-coi-moi']);
    assert.deepEqual(await listing('quarantine'), []);
  });
});
