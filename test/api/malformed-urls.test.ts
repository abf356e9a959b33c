/**
 * A client's mistake is never a 500: each malformed or hostile image URL gets the status the spec
 * asks for and a body that says what was wrong. The stored image is unharmed afterwards.
 */
import { assert } from 'chai';
import { after, before, describe, it } from 'mocha';
import { STAFF, startTestServer, type TestServer } from '../helpers/server.js';
import { VALIDATOR_ID, validatorImage } from '../helpers/shared.js';

let srv: TestServer;
const I = VALIDATOR_ID;

/** [path, expected status, pattern the body must match] */
const CASES: [string, number, RegExp][] = [
  // --- identifiers: unknown → 404; outside our alphabet (so naming nothing we could hold) → 404 with the rule
  ['/iiif/3/a%2Fb/full/max/0/default.jpg', 404, /identifier must be/],
  ['/iiif/2/a%2Fb/full/full/0/default.jpg', 404, /identifier must be/],
  ['/iiif/3/unknown-image/info.json', 404, /no image with identifier \\"unknown-image\\"/],
  ['/iiif/3/unknown-image/full/max/0/default.jpg', 404, /no image/],
  ['/iiif/2/unknown-image/full/full/0/default.jpg', 404, /no image/],
  ['/iiif/3/unknown-image', 303, /./],
  ['/iiif/3/..%2F..%2Fetc%2Fpasswd/info.json', 404, /identifier must be/],
  ['/iiif/3/..%2f..%2fetc%2fpasswd/full/max/0/default.jpg', 404, /identifier must be/],
  ['/iiif/3/%2Fetc%2Fpasswd/info.json', 404, /identifier must be/],
  ['/iiif/3/a%00b/info.json', 404, /identifier must be/],
  ['/iiif/3/%2e%2e/info.json', 404, /identifier must be/],
  ['/iiif/3/.hidden/info.json', 404, /identifier must be/],
  ['/iiif/3/a%5C..%5Cb/info.json', 404, /identifier must be/],
  ['/iiif/3/%E0%A4%A/info.json', 400, /percent-encoded/],
  ['/iiif/3/%/info.json', 400, /percent-encoded/],
  ['/iiif/3/' + 'x'.repeat(200) + '/info.json', 404, /identifier must be/],
  ['/iiif/3/%C3%A1nh/info.json', 404, /identifier must be/],
  ['/iiif/3/a%20b/info.json', 404, /identifier must be/],
  ['/iiif/3/<script>/info.json', 404, /identifier must be/],
  ['/iiif/3//info.json', 400, /an image URI is/],
  ['/iiif/3/', 400, /an image URI is/],
  // --- path shape
  [`/iiif/3/${I}/full/max/0`, 400, /four parameters/],
  [`/iiif/3/${I}/full/max`, 400, /four parameters/],
  [`/iiif/3/${I}/full`, 400, /four parameters/],
  [`/iiif/3/${I}/full/max/0/default.jpg/extra`, 400, /four parameters/],
  [`/iiif/3/${I}/info.xml`, 400, /four parameters/],
  [`/iiif/3/${I}/full/max/0/default.jpg%2Fx`, 400, /format/],
  // --- region
  [`/iiif/3/${I}/fullx/max/0/default.jpg`, 400, /region "fullx"/],
  [`/iiif/3/${I}/FULL/max/0/default.jpg`, 400, /region/],
  [`/iiif/3/${I}/0,0,10/max/0/default.jpg`, 400, /region "0,0,10"/],
  [`/iiif/3/${I}/0,0,10,10,10/max/0/default.jpg`, 400, /region/],
  [`/iiif/3/${I}/a,0,10,10/max/0/default.jpg`, 400, /region x must be/],
  [`/iiif/3/${I}/-1,0,10,10/max/0/default.jpg`, 400, /region x must be/],
  [`/iiif/3/${I}/0,-5,10,10/max/0/default.jpg`, 400, /region y must be/],
  [`/iiif/3/${I}/0,0,0,10/max/0/default.jpg`, 400, /zero width or height/],
  [`/iiif/3/${I}/0,0,10,0/max/0/default.jpg`, 400, /zero width or height/],
  [`/iiif/3/${I}/1.5,0,10,10/max/0/default.jpg`, 400, /whole number/],
  [`/iiif/3/${I}/1e3,0,10,10/max/0/default.jpg`, 400, /whole number/],
  [`/iiif/3/${I}/0x10,0,10,10/max/0/default.jpg`, 400, /whole number/],
  [`/iiif/3/${I}/%201,0,10,10/max/0/default.jpg`, 400, /whole number/],
  [`/iiif/3/${I}/1000,0,10,10/max/0/default.jpg`, 400, /outside/],
  [`/iiif/3/${I}/0,1000,10,10/max/0/default.jpg`, 400, /outside/],
  [`/iiif/3/${I}/5000,5000,10,10/max/0/default.jpg`, 400, /outside/],
  [`/iiif/3/${I}/99999999999,0,10,10/max/0/default.jpg`, 400, /whole number|too large/],
  [`/iiif/3/${I}/0,0,99999999999,10/max/0/default.jpg`, 400, /whole number|too large/],
  [`/iiif/3/${I}/pct:0,0,0,10/max/0/default.jpg`, 400, /zero width/],
  [`/iiif/3/${I}/pct:100,0,10,10/max/0/default.jpg`, 400, /outside/],
  [`/iiif/3/${I}/pct:-1,0,10,10/max/0/default.jpg`, 400, /non-negative number/],
  [`/iiif/3/${I}/pct:a,0,10,10/max/0/default.jpg`, 400, /region x/],
  [`/iiif/3/${I}/pct:0,0,10/max/0/default.jpg`, 400, /pct:x,y,w,h/],
  [`/iiif/3/${I}/pct:0,0,0.001,0.001/max/0/default.jpg`, 400, /smaller than one pixel/],
  [`/iiif/3/${I}/pct:1.2.3,0,10,10/max/0/default.jpg`, 400, /region x/],
  [`/iiif/3/${I}/pct:NaN,0,10,10/max/0/default.jpg`, 400, /region x/],
  [`/iiif/3/${I}/pct:Infinity,0,10,10/max/0/default.jpg`, 400, /region x/],
  [`/iiif/3/${I}/squares/max/0/default.jpg`, 400, /region/],
  ['/iiif/3/' + I + '/' + '1,'.repeat(500) + '1/max/0/default.jpg', 400, /region/],
  // --- size
  [`/iiif/3/${I}/full/full/0/default.jpg`, 400, /removed in Image API 3.0/],
  [`/iiif/3/${I}/full/maximum/0/default.jpg`, 400, /size "maximum"/],
  [`/iiif/3/${I}/full/MAX/0/default.jpg`, 400, /size/],
  [`/iiif/3/${I}/full/,/0/default.jpg`, 400, /neither a width nor a height/],
  [`/iiif/3/${I}/full/0,/0/default.jpg`, 400, /zero width/],
  [`/iiif/3/${I}/full/,0/0/default.jpg`, 400, /zero height/],
  [`/iiif/3/${I}/full/0,0/0/default.jpg`, 400, /zero width or height/],
  [`/iiif/3/${I}/full/-10,/0/default.jpg`, 400, /size width/],
  [`/iiif/3/${I}/full/10.5,/0/default.jpg`, 400, /size width/],
  [`/iiif/3/${I}/full/a,b/0/default.jpg`, 400, /size width/],
  [`/iiif/3/${I}/full/10,10,10/0/default.jpg`, 400, /size "10,10,10"/],
  [`/iiif/3/${I}/full/!10,/0/default.jpg`, 400, /needs both/],
  [`/iiif/3/${I}/full/!,10/0/default.jpg`, 400, /needs both/],
  [`/iiif/3/${I}/full/pct:0/0/default.jpg`, 400, /is zero/],
  [`/iiif/3/${I}/full/pct:-5/0/default.jpg`, 400, /size percentage/],
  [`/iiif/3/${I}/full/pct:abc/0/default.jpg`, 400, /size percentage/],
  [`/iiif/3/${I}/full/pct:101/0/default.jpg`, 400, /prefix the size with \^/],
  [`/iiif/3/${I}/full/1001,/0/default.jpg`, 400, /prefix the size with \^/],
  [`/iiif/3/${I}/full/,1001/0/default.jpg`, 400, /prefix the size with \^/],
  [`/iiif/3/${I}/full/1001,1001/0/default.jpg`, 400, /prefix the size with \^/],
  [`/iiif/3/${I}/0,0,10,10/20,20/0/default.jpg`, 400, /prefix the size with \^/],
  [`/iiif/3/${I}/full/^20000,/0/default.jpg`, 400, /over this server's limits/],
  [`/iiif/3/${I}/full/^,20000/0/default.jpg`, 400, /over this server's limits/],
  [`/iiif/3/${I}/full/^9000,9000/0/default.jpg`, 400, /maxArea/],
  [`/iiif/3/${I}/full/^pct:100000/0/default.jpg`, 400, /over this server's limits/],
  [`/iiif/3/${I}/full/^^max/0/default.jpg`, 400, /size/],
  [`/iiif/3/${I}/full/99999999999,/0/default.jpg`, 400, /size width/],
  [`/iiif/2/${I}/full/^max/0/default.jpg`, 400, /size "\^max"/],
  [`/iiif/2/${I}/full/20000,/0/default.jpg`, 400, /over this server's limits/],
  [`/iiif/2/${I}/full/0,/0/default.jpg`, 400, /zero width/],
  // --- rotation
  [`/iiif/3/${I}/full/max/361/default.jpg`, 400, /outside 0–360/],
  [`/iiif/3/${I}/full/max/-90/default.jpg`, 400, /rotation must be/],
  [`/iiif/3/${I}/full/max/ninety/default.jpg`, 400, /rotation must be/],
  [`/iiif/3/${I}/full/max/!!90/default.jpg`, 400, /rotation must be/],
  [`/iiif/3/${I}/full/max/90!/default.jpg`, 400, /rotation must be/],
  [`/iiif/3/${I}/full/max//default.jpg`, 400, /rotation must be/],
  [`/iiif/3/${I}/full/max/1e2/default.jpg`, 400, /rotation must be/],
  [`/iiif/3/${I}/full/max/99999999999/default.jpg`, 400, /rotation/],
  [`/iiif/3/${I}/full/max/NaN/default.jpg`, 400, /rotation must be/],
  // --- quality and format
  [`/iiif/3/${I}/full/max/0/native.jpg`, 400, /quality "native"/],
  [`/iiif/3/${I}/full/max/0/grey.jpg`, 400, /quality "grey"/],
  [`/iiif/3/${I}/full/max/0/DEFAULT.jpg`, 400, /quality/],
  [`/iiif/3/${I}/full/max/0/default`, 400, /quality\.format/],
  [`/iiif/3/${I}/full/max/0/default.`, 400, /format ""/],
  [`/iiif/3/${I}/full/max/0/.jpg`, 400, /quality ""/],
  [`/iiif/3/${I}/full/max/0/default.jp2`, 400, /format "jp2" is not supported/],
  [`/iiif/3/${I}/full/max/0/default.pdf`, 400, /format "pdf"/],
  [`/iiif/3/${I}/full/max/0/default.JPG`, 400, /format "JPG"/],
  [`/iiif/3/${I}/full/max/0/default.jpeg`, 400, /format "jpeg"/],
  [`/iiif/3/${I}/full/max/0/default.svg`, 400, /format "svg"/],
  [`/iiif/3/${I}/full/max/0/default.jpg.png`, 400, /quality "default.jpg"/],
  [`/iiif/3/${I}/full/max/0/default.exe`, 400, /format "exe"/],
  // --- versions and methods
  [`/iiif/4/${I}/info.json`, 404, /nothing at/],
  [`/iiif/1/${I}/info.json`, 404, /nothing at/],
  [`/iiif/${I}/info.json`, 404, /nothing at/],
];

describe('malformed and hostile image URLs', () => {
  before(async () => {
    srv = await startTestServer();
    await srv.add(validatorImage(), I);
  });
  after(() => srv.close());

  it(`covers at least 100 cases`, () => assert.ok(CASES.length >= 100, `${CASES.length}`));

  for (const [path, status, reason] of CASES) {
    it(`${status} ${path.length > 90 ? path.slice(0, 90) + '…' : path}`, async () => {
      const res = await srv.raw(path);
      const text = res.body.toString();
      assert.strictEqual(res.status, status, `${path} → ${res.status}: ${text}`);
      assert.match(text || String(res.headers.location), reason);
      assert.notStrictEqual(res.headers['cache-control'], 'public, max-age=86400');
    });
  }

  it('refuses methods other than GET, HEAD and OPTIONS with 405 and an Allow header', async () => {
    for (const path of [`/iiif/3/${I}/info.json`, `/iiif/2/${I}/full/100,/0/default.jpg`, `/iiif/3/${I}`]) {
      for (const method of ['DELETE', 'PUT', 'POST', 'PATCH']) {
        const res = await srv.get(path, { method });
        assert.strictEqual(res.status, 405, `${method} ${path}`);
        assert.strictEqual(res.headers.get('allow'), 'GET, HEAD, OPTIONS');
        assert.match(await res.text(), new RegExp(`${method} is not supported`));
      }
    }
    // OPTIONS stays: a CORS preflight before a request with a bearer token.
    const pre = await srv.get(`/iiif/3/${I}/info.json`, { method: 'OPTIONS', headers: { Origin: 'https://partner.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    assert.strictEqual(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/i);
  });

  it('still serves the image after all that', async () => {
    const res = await srv.get(`/iiif/3/${I}/full/100,/0/default.jpg`);
    assert.strictEqual(res.status, 200);
    const metrics = await (await srv.get('/metrics', { headers: STAFF })).text();
    assert.notMatch(metrics, /status="5\d\d"/);
  });
});
