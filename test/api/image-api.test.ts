/**
 * IIIF Image API 3.0 and 2.1 over a real server, in the spec's order: base URI, info.json, then each
 * request parameter, then HTTP behaviour. Pixels are checked against the validator's test image
 * (10×10 squares of 100 px, each a known colour).
 */
import { assert } from 'chai';
import { after, before, describe, it } from 'mocha';
import sharp from 'sharp';
import { body, colourDistance, pixels, type Pixels } from '../helpers/pixels.js';
import { STAFF, startTestServer, type TestServer } from '../helpers/server.js';
import { data, VALIDATOR_ID, validatorImage } from '../helpers/shared.js';

let srv: TestServer;
let original: Pixels;
const V = `/iiif/3/${VALIDATOR_ID}`;
const V2 = `/iiif/2/${VALIDATOR_ID}`;
/** JPEG tiles of the pyramid (q90) and re-encoding leave a little error at square centres. */
const TOLERANCE = 12;

/** Colour of the validator image's square (col,row), read from the original PNG. */
const square = (col: number, row: number) => original.at(col * 100 + 50, row * 100 + 50);

async function image(path: string): Promise<{ res: Response; buf: Buffer; px: Pixels }> {
  const res = await srv.get(path);
  const buf = await body(res);
  assert.strictEqual(res.status, 200, `${path}: ${buf.toString().slice(0, 200)}`);
  return { res, buf, px: await pixels(buf) };
}

function near(actual: number[], expected: number[], what: string) {
  assert.ok(colourDistance(actual, expected) <= TOLERANCE, `${what}: got ${actual}, expected ${expected}`);
}

describe('IIIF Image API', () => {
  before(async () => {
    srv = await startTestServer();
    await srv.add(validatorImage(), VALIDATOR_ID);
    await srv.add(data('manuscripts', '2568591_15.jpg'), 'karakuri');
    original = await pixels(validatorImage());
  });
  after(() => srv.close());

  describe('base URI and image information', () => {
    it('redirects the base URI to info.json with 303', async () => {
      const res = await srv.get(V);
      assert.strictEqual(res.status, 303);
      assert.strictEqual(res.headers.get('location'), `${srv.url}${V}/info.json`);
    });

    it('describes the image in 3.0 form', async () => {
      const res = await srv.get(`${V}/info.json`);
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.strictEqual(res.headers.get('access-control-allow-origin'), '*');
      const info = (await res.json()) as Record<string, any>;
      assert.strictEqual(info['@context'], 'http://iiif.io/api/image/3/context.json');
      assert.strictEqual(info.id, `${srv.url}${V}`);
      assert.strictEqual(info.type, 'ImageService3');
      assert.strictEqual(info.protocol, 'http://iiif.io/api/image');
      assert.strictEqual(info.profile, 'level2');
      assert.deepEqual([info.width, info.height], [1000, 1000]);
      assert.deepEqual(info.tiles, [{ width: 256, height: 256, scaleFactors: [1, 2, 4] }]);
      // Pre-rendered sizes (quarter-octave steps), smallest first; each pyramid level's size among them.
      assert.deepEqual(
        info.sizes.map((s: { width: number }) => s.width),
        [105, 125, 149, 177, 210, 250, 297, 354, 420, 500, 595, 707, 841],
      );
      assert.ok(info.sizes.every((s: { width: number; height: number }) => s.width === s.height));
      assert.deepEqual([info.maxWidth, info.maxHeight, info.maxArea], [10000, 10000, 50000000]);
      assert.deepEqual(info.extraFormats, ['webp', 'tif', 'gif']);
      assert.deepEqual(info.extraQualities, ['color', 'gray', 'bitonal']);
      assert.deepEqual(info.preferredFormats, ['jpg']);
      for (const f of ['mirroring', 'rotationArbitrary', 'sizeUpscaling', 'canonicalLinkHeader', 'baseUriRedirect']) {
        assert.ok(info.extraFeatures.includes(f), f);
      }
    });

    it('answers JSON-LD with the 3.0 context profile when asked (3.0 §6.1)', async () => {
      const res = await srv.get(`${V}/info.json`, { headers: { Accept: 'application/ld+json' } });
      assert.strictEqual(res.headers.get('content-type'), 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"');
    });

    it('describes the image in 2.1 form', async () => {
      const res = await srv.get(`${V2}/info.json`);
      assert.strictEqual(res.status, 200);
      assert.match(res.headers.get('link') ?? '', /<http:\/\/iiif.io\/api\/image\/2\/context.json>;rel="http:\/\/www.w3.org\/ns\/json-ld#context"/);
      const info = (await res.json()) as Record<string, any>;
      assert.strictEqual(info['@context'], 'http://iiif.io/api/image/2/context.json');
      assert.strictEqual(info['@id'], `${srv.url}${V2}`);
      assert.strictEqual(info.profile[0], 'http://iiif.io/api/image/2/level2.json');
      assert.deepEqual(info.profile[1].formats, ['jpg', 'png', 'webp', 'tif', 'gif']);
      assert.ok(info.profile[1].supports.includes('mirroring'));
      assert.strictEqual(info.profile[1].maxArea, 50000000);
      assert.deepEqual(info.tiles[0].scaleFactors, [1, 2, 4]);
    });

    it('uses the configured public base URL in ids', async () => {
      const other = await startTestServer({ server: { host: '127.0.0.1', port: 0, publicBaseUrl: 'https://thuvien.example.vn', trustProxy: false } });
      try {
        await other.add(validatorImage(), VALIDATOR_ID);
        const info = (await (await other.get(`${V}/info.json`)).json()) as { id: string };
        assert.strictEqual(info.id, `https://thuvien.example.vn${V}`);
      } finally {
        await other.close();
      }
    });
  });

  describe('region', () => {
    it('crops x,y,w,h to the right pixels', async () => {
      const { px } = await image(`${V}/200,300,200,100/max/0/default.png`);
      assert.deepEqual([px.width, px.height], [200, 100]);
      near(px.at(50, 50), square(2, 3), 'left half = square (2,3)');
      near(px.at(150, 50), square(3, 3), 'right half = square (3,3)');
    });

    it('crops percentages', async () => {
      const { px } = await image(`${V}/pct:90,90,10,10/max/0/default.png`);
      assert.deepEqual([px.width, px.height], [100, 100]);
      near(px.at(50, 50), square(9, 9), 'bottom-right square');
    });

    it('clips a region that runs off the image', async () => {
      const { px } = await image(`${V}/950,950,500,500/max/0/default.png`);
      assert.deepEqual([px.width, px.height], [50, 50]);
      near(px.at(25, 25), square(9, 9), 'clipped corner');
    });

    it('serves square and full', async () => {
      assert.deepEqual([(await image(`${V}/square/max/0/default.jpg`)).px.width], [1000]);
      const { px } = await image(`${V}/full/100,/0/default.png`);
      assert.deepEqual([px.width, px.height], [100, 100]);
      near(px.at(5, 5), square(0, 0), 'scaled top-left');
    });
  });

  describe('size', () => {
    const cases: [string, number, number][] = [
      ['max', 1000, 1000],
      ['250,', 250, 250],
      [',125', 125, 125],
      ['pct:25', 250, 250],
      ['300,200', 300, 200],
      ['!300,200', 200, 200],
      ['^1200,', 1200, 1200],
      ['^pct:150', 1500, 1500],
      ['^!2000,1500', 1500, 1500],
    ];
    for (const [size, w, h] of cases) {
      it(`${size} → ${w}×${h}`, async () => {
        const { px } = await image(`${V}/full/${size}/0/default.jpg`);
        assert.deepEqual([px.width, px.height], [w, h]);
      });
    }

    it('!w,h keeps the aspect ratio within one pixel', async () => {
      const { px } = await image(`${V}/0,0,1000,300/!333,333/0/default.jpg`);
      assert.strictEqual(px.width, 333);
      assert.ok(Math.abs(px.height - (333 * 300) / 1000) <= 1, `${px.height}`);
    });

    it('refuses upscaling without ^ (3.0) with the reason', async () => {
      const res = await srv.get(`${V}/full/1200,/0/default.jpg`);
      assert.strictEqual(res.status, 400);
      assert.match(await res.text(), /prefix the size with \^/);
    });

    it('2.1 size forms, including full and upscaling', async () => {
      assert.strictEqual((await image(`${V2}/full/full/0/default.jpg`)).px.width, 1000);
      assert.strictEqual((await image(`${V2}/full/1200,/0/default.jpg`)).px.width, 1200);
      assert.strictEqual((await image(`${V2}/full/!100,50/0/default.jpg`)).px.height, 50);
    });
  });

  describe('rotation and mirroring', () => {
    it('90° puts the bottom-left square at the top-left', async () => {
      const { px } = await image(`${V}/full/500,/90/default.png`);
      near(px.at(10, 10), square(0, 9), 'top-left after 90°');
      near(px.at(490, 10), square(0, 0), 'top-right after 90°');
    });

    it('180° and 270°', async () => {
      near((await image(`${V}/full/500,/180/default.png`)).px.at(10, 10), square(9, 9), '180');
      near((await image(`${V}/full/500,/270/default.png`)).px.at(10, 10), square(9, 0), '270');
    });

    it('!0 mirrors left to right; !90 mirrors, then rotates', async () => {
      near((await image(`${V}/full/500,/!0/default.png`)).px.at(10, 10), square(9, 0), 'mirrored');
      near((await image(`${V}/full/500,/!90/default.png`)).px.at(10, 10), square(9, 9), 'mirrored then 90');
    });

    it('an arbitrary angle grows the canvas and leaves the corners transparent in PNG', async () => {
      const { px } = await image(`${V}/400,400,100,100/max/45/default.png`);
      assert.ok(px.width >= 141 && px.width <= 142, `${px.width}`);
      assert.strictEqual(px.channels, 4);
      assert.strictEqual(px.at(0, 0)[3], 0, 'corner is transparent');
      near(px.at(Math.floor(px.width / 2), Math.floor(px.height / 2)), square(4, 4), 'centre is the square (4,4)');
      assert.strictEqual(px.at(Math.floor(px.width / 2), Math.floor(px.height / 2))[3], 255);
    });
  });

  describe('quality', () => {
    it('gray has one channel', async () => {
      const { buf } = await image(`${V}/full/200,/0/gray.jpg`);
      assert.strictEqual((await sharp(buf).metadata()).channels, 1);
    });

    it('bitonal has only black and white', async () => {
      const { px } = await image(`${V}/full/200,/0/bitonal.png`);
      const seen = new Set<number>();
      for (let y = 0; y < px.height; y += 3) for (let x = 0; x < px.width; x += 3) seen.add(px.at(x, y)[0]!);
      assert.deepEqual([...seen].sort((a, b) => a - b), [0, 255]);
    });

    it('color and default give the same colours', async () => {
      near((await image(`${V}/0,0,100,100/max/0/color.png`)).px.at(50, 50), square(0, 0), 'color');
    });
  });

  describe('format', () => {
    const magic: [string, string, number[]][] = [
      ['jpg', 'image/jpeg', [0xff, 0xd8, 0xff]],
      ['png', 'image/png', [0x89, 0x50, 0x4e, 0x47]],
      ['webp', 'image/webp', [0x52, 0x49, 0x46, 0x46]],
      ['tif', 'image/tiff', [0x49, 0x49, 0x2a, 0x00]],
      ['gif', 'image/gif', [0x47, 0x49, 0x46, 0x38]],
    ];
    for (const [ext, type, bytes] of magic) {
      it(`${ext}: ${type} with the right magic bytes, and the right picture`, async () => {
        const { res, buf, px } = await image(`${V}/100,100,100,100/50,/0/default.${ext}`);
        assert.strictEqual(res.headers.get('content-type'), type);
        assert.deepEqual([...buf.subarray(0, bytes.length)], bytes);
        assert.ok(colourDistance(px.at(25, 25), square(1, 1)) <= 30, `${ext}: ${px.at(25, 25)} vs ${square(1, 1)}`);
      });
    }
  });

  describe('tiles from the pyramid', () => {
    it('copies an aligned stored tile as stored (no re-encoding), showing the right region', async () => {
      const { buf, px } = await image('/iiif/3/karakuri/512,256,256,256/256,/0/default.jpg');
      assert.deepEqual([px.width, px.height], [256, 256]);
      const decoded = (await sharp(buf).raw().toBuffer()) as Buffer;
      // Exactly the stored pyramid pixels: a re-encode would have changed some of them.
      const pyramid = await srv.pyramid('karakuri');
      const stored = await sharp(pyramid, { page: 0 }).extract({ left: 512, top: 256, width: 256, height: 256 }).raw().toBuffer();
      assert.ok(decoded.equals(stored), 'tile pixels equal the stored tile');
      // And the stored tile is that region of the scan (one JPEG generation away).
      const scan = await sharp(data('manuscripts', '2568591_15.jpg')).extract({ left: 512, top: 256, width: 256, height: 256 }).raw().toBuffer();
      let total = 0;
      for (let i = 0; i < decoded.length; i++) total += Math.abs(decoded[i]! - scan[i]!);
      assert.ok(total / decoded.length < 6, `mean abs error ${total / decoded.length}`);
      const metrics = await (await srv.get('/metrics', { headers: STAFF })).text();
      assert.match(metrics, /vankho_image_responses_total\{outcome="tile_copy"\} [1-9]/);
    });

    it('serves edge tiles at the size IIIF clients compute (ceil), from the right level', async () => {
      // 1600×1200 at scale factor 8: the last tile column starts at 1024 → 576 px → ceil(576/8) = 72.
      const { px } = await image('/iiif/3/karakuri/1024,0,576,1200/72,/0/default.jpg');
      assert.deepEqual([px.width, px.height], [72, 150]);
    });
  });

  describe('HTTP behaviour', () => {
    it('sends a canonical Link header, Cache-Control, ETag and Last-Modified', async () => {
      const res = await srv.get(`${V}/0,0,1000,1000/1000,/0/color.jpg`);
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.headers.get('link'), `<${srv.url}${V}/full/max/0/color.jpg>;rel="canonical", <http://iiif.io/api/image/3/level2.json>;rel="profile"`);
      assert.strictEqual(res.headers.get('cache-control'), 'public, max-age=86400');
      assert.ok(res.headers.get('etag'));
      assert.ok(res.headers.get('last-modified'));
      assert.strictEqual(res.headers.get('access-control-allow-origin'), '*');
      assert.strictEqual(res.headers.get('content-encoding'), null, 'images are not compressed again');
    });

    it('answers 304 to a conditional request, by ETag and by date', async () => {
      const path = `${V}/full/120,/0/default.jpg`;
      const first = await srv.raw(path);
      assert.strictEqual(first.status, 200);
      const etag = String(first.headers.etag);
      assert.strictEqual((await srv.raw(path, { 'If-None-Match': etag })).status, 304);
      assert.strictEqual((await srv.raw(path, { 'If-Modified-Since': String(first.headers['last-modified']) })).status, 304);
      // A client forcing a reload gets the image again.
      assert.strictEqual((await srv.raw(path, { 'If-None-Match': etag, 'Cache-Control': 'no-cache' })).status, 200);
      assert.strictEqual((await srv.raw(`${V}/full/121,/0/default.jpg`, { 'If-None-Match': etag })).status, 200);
      const info = await srv.raw(`${V}/info.json`);
      assert.strictEqual((await srv.raw(`${V}/info.json`, { 'If-None-Match': String(info.headers.etag) })).status, 304);
    });

    it('answers a CORS preflight', async () => {
      const res = await srv.get(`${V}/info.json`, { method: 'OPTIONS', headers: { Origin: 'https://partner.example', 'Access-Control-Request-Method': 'GET' } });
      assert.strictEqual(res.status, 204);
      assert.strictEqual(res.headers.get('access-control-allow-origin'), '*');
    });

    it('serves a repeated rendered request from the derivative cache', async () => {
      const path = `${V}/pct:10,10,30,30/217,/0/gray.png`;
      const a = await body(await srv.get(path));
      const b = await body(await srv.get(path));
      assert.ok(a.equals(b));
      assert.match(await (await srv.get('/metrics', { headers: STAFF })).text(), /vankho_image_responses_total\{outcome="hit"\} [1-9]/);
    });
  });
});
