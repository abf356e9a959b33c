import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectType } from '../../server/ingest/detect.js';
import { idFromFileName } from '../../server/ingest/pyramid.js';
import { isValidImageId } from '../../server/storage/layout.js';

describe('identifiers from file names', () => {
  it('folds Vietnamese and replaces what is not safe', () => {
    assert.equal(idFromFileName('/scans/Bắc Kạn 01.tif'), 'Bac-Kan-01');
    assert.equal(idFromFileName('Địa chí Đồng Đăng.jpg'), 'Dia-chi-Dong-Dang');
    assert.equal(idFromFileName('../..hidden.png'), 'hidden');
    assert.equal(idFromFileName('漢喃.tif'), 'image');
    for (const name of ['Bắc Kạn 01.tif', '../..x.tif', '漢喃.tif', 'a'.repeat(300) + '.jpg']) {
      assert.ok(isValidImageId(idFromFileName(name)), name);
    }
  });
});

describe('type detection by magic bytes', () => {
  it('knows the image formats and ignores extensions', () => {
    assert.equal(detectType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
    assert.equal(detectType(Buffer.from('89504e470d0a1a0a', 'hex')), 'png');
    assert.equal(detectType(Buffer.from('49492a00', 'hex')), 'tiff');
    assert.equal(detectType(Buffer.from('4d4d002b', 'hex')), 'tiff');
    assert.equal(detectType(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')), 'webp');
    assert.equal(detectType(Buffer.from('0000000c6a5020200d0a870a', 'hex')), 'jp2');
    assert.equal(detectType(Buffer.from('%PDF-1.7', 'latin1')), 'pdf');
    assert.equal(detectType(Buffer.from('PK\x03\x04', 'latin1')), null);
    assert.equal(detectType(Buffer.alloc(0)), null);
  });
});
