/**
 * Telling our disk's faults from a client's bad input (storage/faults.ts), on the errors the libraries
 * and programs really give: Node's and SQLite's codes, libvips's and poppler's messages.
 */
import { assert } from 'chai';
import { describe, it } from 'mocha';
import { InvalidInputError, StorageFaultError } from '../../server/errors.js';
import { storageFault, withoutPaths } from '../../server/storage/faults.js';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('storage faults', () => {
  it('tells full, read-only and failing storage by code', () => {
    for (const [code, status, kind] of [
      ['ENOSPC', 507, 'storage_full'],
      ['EDQUOT', 507, 'storage_full'],
      ['SQLITE_FULL', 507, 'storage_full'],
      ['EROFS', 503, 'storage_read_only'],
      ['SQLITE_READONLY_DBMOVED', 503, 'storage_read_only'],
      ['EIO', 503, 'storage_failed'],
      ['SQLITE_IOERR_WRITE', 503, 'storage_failed'],
    ] as const) {
      const f = storageFault(coded(code));
      assert.instanceOf(f, StorageFaultError, code);
      assert.deepEqual([f!.status, f!.code], [status, kind], code);
      assert.isAbove(f!.retryAfter, 0);
    }
    for (const code of ['ENOENT', 'SQLITE_BUSY', 'SQLITE_CONSTRAINT', 'ECONNRESET']) assert.isNull(storageFault(coded(code)), code);
  });

  it("tells them by the C library's words at the end of a line, as libvips and poppler give them", () => {
    const vips = '/srv/vankho/.tmp/0a7c.19493.1x.ab-pyramid.tif: write error\nsystem error: No space left on device\nvips2tiff: TIFF write tile failed';
    assert.strictEqual(storageFault(new Error(vips))?.code, 'storage_full');
    assert.strictEqual(storageFault(new Error("Couldn't open file '/tmp/vankho-ingest-x/1-1.png': Read-only file system."))?.code, 'storage_read_only');
    // A bad file is not our disk, even named after an error.
    assert.isNull(storageFault(new Error('/scans/No space left on device.jpg: VipsJpeg: Premature end of input file')));
    assert.isNull(storageFault(new Error('Input file contains unsupported image format')));
    assert.isNull(storageFault(new InvalidInputError('corrupt_file', 'x: No space left on device')), 'an AppError is what it says');
  });

  it('takes the server paths out of a message, keeping the file names', () => {
    assert.strictEqual(withoutPaths('/srv/vankho/.tmp/0a7c.1.x.ab-pyramid.tif: write error'), '0a7c.1.x.ab-pyramid.tif: write error');
    assert.strictEqual(withoutPaths("Couldn't open file '/tmp/vankho-ingest-1/1-2.png': oops"), "Couldn't open file '1-2.png': oops");
    assert.strictEqual(withoutPaths('see http://example.org/a/b and ./rel/x'), 'see http://example.org/a/b and ./rel/x');
  });
});
