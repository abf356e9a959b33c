import { assert } from 'chai';
import path from 'node:path';
import { describe, it } from 'mocha';
import { CATALOGUE_MIGRATIONS, SqliteCatalogue } from '../../server/catalogue/sqlite-catalogue.js';
import { BadRequestError, NotFoundError } from '../../server/errors.js';
import { openDatabase } from '../../server/storage/sqlite.js';
import { rejects } from '../helpers/assert.js';
import { tempDir } from '../helpers/server.js';

const IMAGES: Record<string, { width: number; height: number }> = { 'p-1': { width: 1600, height: 1200 }, 'p-2': { width: 1200, height: 1600 } };

async function fresh(file?: string) {
  const db = openDatabase(file ?? path.join(await tempDir(), 'catalogue.sqlite'), CATALOGUE_MIGRATIONS);
  const cat = new SqliteCatalogue(db, async (id) => IMAGES[id] ?? null);
  await cat.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh', en: 'Province Library' } });
  await cat.putCollection({ id: 'han-nom', library: 'tinh', label: { vi: 'Hán Nôm' } });
  return { db, cat };
}

const item = (over: Record<string, unknown> = {}) => ({
  id: 'sach-1',
  collection: 'han-nom',
  kind: 'manuscript',
  description: {
    title: { vi: 'Đại Nam quốc sử diễn ca', original: '大南國史演歌', originalLanguage: 'vi-Hani' },
    date: { text: 'Tự Đức năm thứ 5', from: 1852, to: 1852 },
    languages: ['vi'],
    scripts: ['nom'],
    rights: 'http://rightsstatements.org/vocab/NoC-OKLR/1.0/',
    viewingDirection: 'right-to-left',
    behavior: 'paged',
  },
  canvases: [{ image: 'p-1', label: 'Tờ 1a' }, { image: 'p-2' }],
  structures: [{ label: { vi: 'Quyển thượng' }, canvases: [1, 2] }],
  ...over,
});

const badFields = (pattern: RegExp) => (e: unknown) => e instanceof BadRequestError && e.status === 400 && pattern.test(e.publicMessage);

describe('catalogue', () => {
  it('answers the access of an image at once after its own writes, and within a moment after another process’s', async () => {
    const file = path.join(await tempDir(), 'catalogue.sqlite');
    const { cat } = await fresh(file);
    await cat.putItem(item());
    assert.deepEqual((await cat.accessOfImage('p-1')).map((a) => a.access.level), ['public']);
    await cat.putItem(item({ accessLevel: 'researcher' }));
    assert.deepEqual((await cat.accessOfImage('p-1')).map((a) => a.access.level), ['researcher'], 'own write: at once');
    // Another process (the CLI, a second server) on the same database file.
    const other = new SqliteCatalogue(openDatabase(file, CATALOGUE_MIGRATIONS), async (id) => IMAGES[id] ?? null);
    await other.putCollection({ id: 'han-nom', library: 'tinh', label: { vi: 'Hán Nôm' }, accessLevel: 'staff' });
    await other.putItem(item({ accessLevel: null }));
    await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual((await cat.accessOfImage('p-1')).map((a) => a.access.level), ['staff'], 'another process: within 200 ms');
    assert.deepEqual(await cat.accessOfImage('khong-co'), []);
  });

  it('migrates a new database once and reopens it without migrating again', async () => {
    const file = path.join(await tempDir(), 'c.sqlite');
    const { db } = await fresh(file);
    assert.deepEqual(db.prepare('SELECT version, name FROM schema_migrations').all(), [
      { version: 1, name: 'catalogue' },
      { version: 4, name: 'access-levels' },
      { version: 12, name: 'image-changes' },
    ]);
    db.close();
    const again = openDatabase(file, CATALOGUE_MIGRATIONS);
    assert.strictEqual(again.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), 3);
    assert.strictEqual(again.prepare('SELECT count(*) FROM libraries').pluck().get(), 1);
    again.prepare('INSERT INTO schema_migrations VALUES (99, ?, ?)').run('future', 'x');
    again.close();
    assert.throws(() => openDatabase(file, CATALOGUE_MIGRATIONS), /schema version 99, newer than this program knows \(12\)/);
  });

  it('migrates levels stored before access rights: public inherits, restricted becomes researcher', async () => {
    const file = path.join(await tempDir(), 'old.sqlite');
    const old = openDatabase(file, CATALOGUE_MIGRATIONS.filter((m) => m.version === 1));
    const now = new Date().toISOString();
    old.prepare('INSERT INTO libraries VALUES (?, NULL, ?, ?)').run('tinh', JSON.stringify({ id: 'tinh', parent: null, name: { vi: 'Thư viện tỉnh' } }), now);
    old.prepare('INSERT INTO collections VALUES (?, ?, NULL, 0, ?, ?)').run('han-nom', 'tinh', JSON.stringify({ id: 'han-nom', library: 'tinh', parent: null, label: { vi: 'Hán Nôm' }, position: 0 }), now);
    const insert = old.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)');
    for (const [id, level] of [['mo', 'public'], ['dong', 'restricted'], ['the', 'registered']] as const) {
      insert.run(id, 'han-nom', 'book', level, JSON.stringify(item().description), '[]', now, now);
      old.prepare('INSERT INTO canvases VALUES (?, 1, ?, 1600, 1200, NULL)').run(id, 'p-1');
    }
    old.close();
    const db = openDatabase(file, CATALOGUE_MIGRATIONS);
    const cat = new SqliteCatalogue(db, async (id) => IMAGES[id] ?? null);
    const mo = await cat.getItem('mo');
    assert.strictEqual(mo.accessLevel, null);
    assert.deepEqual(mo.access, { level: 'public', embargoUntil: null });
    const dong = await cat.getItem('dong');
    assert.strictEqual(dong.accessLevel, 'researcher');
    assert.deepEqual(dong.access, { level: 'researcher', embargoUntil: null });
    assert.strictEqual((await cat.getItem('the')).accessLevel, 'registered');
    const listed = await cat.listItems({ collection: 'han-nom', offset: 0, limit: 10, staffScope: [] });
    assert.deepEqual(listed.items.map((i) => [i.id, i.access.level]), [['dong', 'researcher'], ['mo', 'public'], ['the', 'registered']]);
    db.close();
  });

  it('inherits levels and embargoes from collections and libraries, nearest first', async () => {
    const { cat } = await fresh();
    await cat.putCollection({ id: 'moc-ban', library: 'tinh', parent: 'han-nom', label: { vi: 'Mộc bản' } });
    await cat.putItem(item({ collection: 'moc-ban' }));
    await cat.putItem(item({ id: 'sach-2', collection: 'moc-ban', accessLevel: 'registered' }));
    await cat.putCollection({ id: 'han-nom', library: 'tinh', label: { vi: 'Hán Nôm' }, accessLevel: 'reading-room', embargoUntil: '2040-01-01' });
    assert.deepEqual((await cat.getItem('sach-1')).access, { level: 'reading-room', embargoUntil: '2040-01-01' });
    assert.deepEqual((await cat.getItem('sach-2')).access, { level: 'registered', embargoUntil: '2040-01-01' });
    assert.deepEqual((await cat.getCollection('moc-ban')).access, { level: 'reading-room', embargoUntil: '2040-01-01' });
    await cat.putLibrary({ id: 'tinh', name: { vi: 'Thư viện tỉnh' }, accessLevel: 'staff' });
    await cat.putCollection({ id: 'han-nom', library: 'tinh', label: { vi: 'Hán Nôm' } });
    assert.deepEqual((await cat.getItem('sach-1')).access, { level: 'staff', embargoUntil: null });
    assert.strictEqual((await cat.getItem('sach-1')).accessLevel, null);
    // Staff-level records are listed only for the libraries in scope.
    assert.deepEqual((await cat.listItems({ collection: null, offset: 0, limit: 10, staffScope: [] })).items.map((i) => i.id), ['sach-2']);
    assert.strictEqual((await cat.listItems({ collection: null, offset: 0, limit: 10, staffScope: ['tinh'] })).total, 2);
    assert.deepEqual(await cat.listCollections('tinh', null, []), []);
    assert.deepEqual((await cat.listCollections('tinh', null, 'all')).map((c) => c.id), ['han-nom']);
  });

  it('stores an item with its pages sized from the image store, and bumps its version on each write', async () => {
    const { cat } = await fresh();
    const first = await cat.putItem(item());
    assert.strictEqual(first.library, 'tinh');
    assert.deepEqual(first.canvases.map((c) => [c.position, c.image, c.width, c.height, c.label]), [
      [1, 'p-1', 1600, 1200, 'Tờ 1a'],
      [2, 'p-2', 1200, 1600, null],
    ]);
    assert.strictEqual(first.description.title.original, '大南國史演歌');
    assert.strictEqual(first.accessLevel, null, 'nothing set on the item: it inherits');
    assert.deepEqual(first.access, { level: 'public', embargoUntil: null });
    assert.strictEqual(first.version, 1);
    const second = await cat.putItem(item({ canvases: [{ image: 'p-2' }], structures: [], accessLevel: 'restricted' }));
    assert.strictEqual(second.version, 2);
    assert.strictEqual(second.createdAt, first.createdAt);
    assert.strictEqual(second.canvases.length, 1);
    assert.strictEqual(second.accessLevel, 'researcher', "'restricted' is read as 'researcher'");
    assert.deepEqual(second.access, { level: 'researcher', embargoUntil: null });
    assert.strictEqual(await cat.getItemVersion('sach-1'), 2);
    assert.strictEqual((await cat.listItems({ collection: 'han-nom', offset: 0, limit: 10, staffScope: 'all' })).total, 1);
    await rejects(cat.getItem('none'), NotFoundError);
  });

  it('names every bad field', async () => {
    const { cat } = await fresh();
    const d = item().description;
    await rejects(cat.putItem(item({ description: { ...d, title: { vi: '  ' } } })), badFields(/description\.title\.vi: must not be empty/));
    await rejects(cat.putItem(item({ description: { ...d, rights: 'public domain' } })), badFields(/description\.rights: must be a rightsstatements\.org or creativecommons\.org URI/));
    await rejects(cat.putItem(item({ description: { ...d, date: { text: 'x', from: 1900, to: 1800 } } })), badFields(/description\.date\.to: from must not be after to/));
    await rejects(cat.putItem(item({ description: { ...d, viewingDirection: 'sideways' } })), badFields(/description\.viewingDirection/));
    await rejects(cat.putItem(item({ description: { ...d, scripts: ['klingon'] } })), badFields(/description\.scripts\.0/));
    await rejects(cat.putItem(item({ kind: 'scroll' })), badFields(/kind: /));
    await rejects(cat.putItem(item({ canvases: [] })), badFields(/canvases: an item needs at least one page/));
    await rejects(cat.putItem(item({ surprise: 1 })), badFields(/surprise|Unrecognized key/));
    await rejects(cat.putItem(item({ collection: 'nowhere' })), badFields(/collection: no collection "nowhere"/));
    await rejects(cat.putItem(item({ canvases: [{ image: 'p-1' }, { image: 'missing' }] })), badFields(/canvases\.1\.image: no image "missing" is stored/));
    await rejects(cat.putItem(item({ structures: [{ label: { vi: 'x' }, canvases: [3] }] })), badFields(/structures\.0\.canvases: page 3 does not exist/));
    await rejects(cat.putCollection({ id: 'c', library: 'none', label: { vi: 'x' } }), badFields(/library: no library "none"/));
    assert.strictEqual((await cat.listItems({ collection: null, offset: 0, limit: 10, staffScope: 'all' })).total, 0, 'nothing was written');
  });

  it('nests collections and refuses a cycle', async () => {
    const { cat } = await fresh();
    await cat.putCollection({ id: 'moc-ban', library: 'tinh', parent: 'han-nom', label: { vi: 'Mộc bản' } });
    assert.deepEqual((await cat.listCollections('tinh', 'han-nom', 'all')).map((c) => c.id), ['moc-ban']);
    assert.deepEqual((await cat.listCollections('tinh', null, 'all')).map((c) => c.id), ['han-nom']);
    await rejects(cat.putCollection({ id: 'han-nom', library: 'tinh', parent: 'moc-ban', label: { vi: 'Hán Nôm' } }), badFields(/is inside "han-nom"/));
  });

  it('pages item lists', async () => {
    const { cat } = await fresh();
    for (let i = 0; i < 7; i++) await cat.putItem(item({ id: `sach-${i}` }));
    const page = await cat.listItems({ collection: 'han-nom', offset: 5, limit: 5, staffScope: 'all' });
    assert.strictEqual(page.total, 7);
    assert.deepEqual(page.items.map((i) => i.id), ['sach-5', 'sach-6']);
    assert.strictEqual(page.items[0]!.firstImage, 'p-1');
    assert.strictEqual(page.items[0]!.pages, 2);
  });
});
