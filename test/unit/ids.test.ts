import { assert } from 'chai';
import { describe, it } from 'mocha';
import { detectType } from '../../server/ingest/detect.js';
import { idFromFileName } from '../../server/ingest/pyramid.js';
import { isValidImageId } from '../../server/storage/layout.js';

describe('identifiers from file names', () => {
  it('folds Vietnamese and replaces what is not safe', () => {
    assert.strictEqual(idFromFileName('/scans/Bắc Kạn 01.tif'), 'Bac-Kan-01');
    assert.strictEqual(idFromFileName('Địa chí Đồng Đăng.jpg'), 'Dia-chi-Dong-Dang');
    assert.strictEqual(idFromFileName('../..hidden.png'), 'hidden');
    assert.strictEqual(idFromFileName('漢喃.tif'), 'image');
    for (const name of ['Bắc Kạn 01.tif', '../..x.tif', '漢喃.tif', 'a'.repeat(300) + '.jpg']) {
      assert.ok(isValidImageId(idFromFileName(name)), name);
    }
  });
});

describe('type detection by magic bytes', () => {
  it('knows the image formats and ignores extensions', () => {
    assert.strictEqual(detectType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
    assert.strictEqual(detectType(Buffer.from('89504e470d0a1a0a', 'hex')), 'png');
    assert.strictEqual(detectType(Buffer.from('49492a00', 'hex')), 'tiff');
    assert.strictEqual(detectType(Buffer.from('4d4d002b', 'hex')), 'tiff');
    assert.strictEqual(detectType(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')), 'webp');
    assert.strictEqual(detectType(Buffer.from('0000000c6a5020200d0a870a', 'hex')), 'jp2');
    assert.strictEqual(detectType(Buffer.from('%PDF-1.7', 'latin1')), 'pdf');
    assert.strictEqual(detectType(Buffer.from('PK\x03\x04', 'latin1')), null);
    assert.strictEqual(detectType(Buffer.alloc(0)), null);
  });
});
