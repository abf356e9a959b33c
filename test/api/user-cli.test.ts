/**
 * The first administrator, as a library's IT person makes one: `vankho user add` on the server's
 * storage, then signing in on the site and doing what only an administrator may; `vankho user role`
 * makes a librarian of one library.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { assert } from 'chai';
import { BrowserSession } from '../helpers/browser-session.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

describe('vankho user: the first administrator and staff roles', function () {
  let root: string;
  let srv: TestServer | undefined;
  before(async () => {
    root = await tempDir();
  });
  after(() => srv?.close());

  it('adds an administrator who signs in and adds a library; gives a librarian one library', async function () {
    const env = { VANKHO_STORAGE_ROOT: root, VANKHO_DEMO_ENABLED: 'false' };
    const pw = path.join(root, 'pw.txt');
    await writeFile(pw, 'mat-khau-quan-tri-dai\n', { mode: 0o600 });
    const added = await runCli(['user', 'add', 'admin@thuvien.example.vn', '--name', 'Quản trị viên', '--role', 'admin', '--password-file', pw], env);
    assert.strictEqual(added.code, 0, added.stderr);
    assert.match(added.stdout, /admin@thuvien\.example\.vn: admin/);
    const bad = await runCli(['user', 'add', 'x@example.org', '--name', 'X', '--role', 'librarian', '--password-file', pw], env);
    assert.strictEqual(bad.code, 2, 'a librarian without a library is a usage error');
    assert.match(bad.stderr, /--library/);
    const short = path.join(root, 'short.txt');
    await writeFile(short, 'ngan\n');
    const weak = await runCli(['user', 'add', 'y@example.org', '--name', 'Y', '--password-file', short], env);
    assert.notStrictEqual(weak.code, 0);
    assert.match(weak.stderr, /at least 10/);

    srv = await startTestServer({ storage: { root }, api: { staffKey: '' } });
    const admin = new BrowserSession(srv.url);
    assert.strictEqual((await admin.signIn('admin@thuvien.example.vn', 'mat-khau-quan-tri-dai')).status, 200);
    const put = await admin.request('PUT', '/api/libraries/tinh', { body: JSON.stringify({ name: { vi: 'Thư viện tỉnh' } }), headers: { 'Content-Type': 'application/json', Origin: srv.url } });
    assert.strictEqual(put.status, 200, put.body);

    await srv.deps.auth.accounts.upsert('thu-thu@example.org', 'Thủ thư', 'mat-khau-thu-thu-dai', ['reader'], null);
    const role = await runCli(['user', 'role', 'thu-thu@example.org', 'librarian', '--library', 'tinh'], env);
    assert.strictEqual(role.code, 0, role.stderr);
    const unknownLibrary = await runCli(['user', 'role', 'thu-thu@example.org', 'librarian', '--library', 'khong-co'], env);
    assert.notStrictEqual(unknownLibrary.code, 0);
    const librarian = new BrowserSession(srv.url);
    await librarian.signIn('thu-thu@example.org', 'mat-khau-thu-thu-dai');
    const own = await librarian.request('PUT', '/api/collections/kho', { body: JSON.stringify({ library: 'tinh', label: { vi: 'Kho' } }), headers: { 'Content-Type': 'application/json', Origin: srv.url } });
    assert.strictEqual(own.status, 200, own.body);
    const other = await librarian.request('PUT', '/api/libraries/huyen', { body: JSON.stringify({ parent: 'tinh', name: { vi: 'Huyện' } }), headers: { 'Content-Type': 'application/json', Origin: srv.url } });
    assert.strictEqual(other.status, 403, 'adding a library is an administrator’s decision');
    const list = await runCli(['user', 'list'], env);
    assert.match(list.stdout, /thu-thu@example\.org\tThủ thư\tlibrarian\ttinh\tverified/);
  });
});
