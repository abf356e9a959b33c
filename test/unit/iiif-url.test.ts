import { assert } from 'chai';
import { describe, it } from 'mocha';
import { BadRequestError, NotFoundError } from '../../server/errors.js';
import { throws } from '../helpers/assert.js';
import { parseIdentifier, parseRegion, parseRotation, parseSize, parseQualityFormat } from '../../server/image/iiif-url.js';

const rejects = (fn: () => unknown, pattern: RegExp) =>
  throws(fn, (e: unknown) => e instanceof BadRequestError && e.status === 400 && pattern.test(e.publicMessage));

describe('Image API parameter parsing (3.0 §4, 2.1 §4)', () => {
  it('parses every region form', () => {
    assert.deepEqual(parseRegion('full'), { kind: 'full' });
    assert.deepEqual(parseRegion('square'), { kind: 'square' });
    assert.deepEqual(parseRegion('10,20,30,40'), { kind: 'pixels', x: 10, y: 20, w: 30, h: 40 });
    assert.deepEqual(parseRegion('pct:10,20.5,30,.5'), { kind: 'percent', x: 10, y: 20.5, w: 30, h: 0.5 });
  });

  it('rejects malformed regions with the reason', () => {
    rejects(() => parseRegion('0,0,0,10'), /zero width or height/);
    rejects(() => parseRegion('1,2,3'), /must be full, square/);
    rejects(() => parseRegion('-1,0,10,10'), /non-negative whole number/);
    rejects(() => parseRegion('pct:100,0,10,10'), /outside the image/);
    rejects(() => parseRegion('99999999999,0,1,1'), /whole number|too large/);
  });

  it('parses every 3.0 size form, with and without ^', () => {
    assert.deepEqual(parseSize('max', 3), { upscale: false, kind: 'max' });
    assert.deepEqual(parseSize('^max', 3), { upscale: true, kind: 'max' });
    assert.deepEqual(parseSize('200,', 3), { upscale: false, kind: 'width', w: 200 });
    assert.deepEqual(parseSize('^,300', 3), { upscale: true, kind: 'height', h: 300 });
    assert.deepEqual(parseSize('pct:50', 3), { upscale: false, kind: 'percent', pct: 50 });
    assert.deepEqual(parseSize('^pct:150', 3), { upscale: true, kind: 'percent', pct: 150 });
    assert.deepEqual(parseSize('20,30', 3), { upscale: false, kind: 'exact', w: 20, h: 30 });
    assert.deepEqual(parseSize('^!20,30', 3), { upscale: true, kind: 'confined', w: 20, h: 30 });
  });

  it('knows which forms belong to which version', () => {
    rejects(() => parseSize('full', 3), /removed in Image API 3.0/);
    assert.deepEqual(parseSize('full', 2), { upscale: false, kind: 'full' });
    // 2.1 has no ^: it is just an unknown form there.
    rejects(() => parseSize('^max', 2), /not one of/);
  });

  it('parses rotation and mirroring', () => {
    assert.deepEqual(parseRotation('0'), { mirror: false, rotation: 0 });
    assert.deepEqual(parseRotation('!90'), { mirror: true, rotation: 90 });
    assert.deepEqual(parseRotation('22.5'), { mirror: false, rotation: 22.5 });
    assert.deepEqual(parseRotation('360'), { mirror: false, rotation: 0 });
    rejects(() => parseRotation('361'), /outside 0–360/);
    rejects(() => parseRotation('-90'), /non-negative number/);
  });

  it('parses quality and format', () => {
    assert.deepEqual(parseQualityFormat('gray.png'), { quality: 'gray', format: 'png' });
    rejects(() => parseQualityFormat('grey.png'), /quality "grey"/);
    rejects(() => parseQualityFormat('default.jp2'), /format "jp2" is not supported/);
    rejects(() => parseQualityFormat('default'), /quality\.format/);
  });

  it('accepts only safe identifiers; any other names no image we hold (404, with the rule)', () => {
    assert.strictEqual(parseIdentifier('ndl-2568591_15.v2'), 'ndl-2568591_15.v2');
    for (const bad of ['..', '../etc/passwd', '/abs', 'a/b', 'a\0b', '.hidden', 'a..b', 'x'.repeat(129), '', 'ảnh']) {
      throws(() => parseIdentifier(bad), (e: unknown) => e instanceof NotFoundError && e.status === 404 && /identifier must be/.test(e.publicMessage));
    }
  });
});
