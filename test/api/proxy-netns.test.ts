/**
 * The reading-room rule and the trusted-proxy rule, asked by clients that are not on this machine: a
 * network namespace joined to this one by a veth pair, with two addresses of its own (10.231.N.2 and
 * 10.231.N.3, N free and chosen per run), and curl run inside it (`ip netns exec`). The servers listen
 * on the host end of the pair (10.231.N.1) only, so what they see as the socket peer is the
 * namespace's address, as it would be for a reader's PC or a reverse proxy on another host.
 *
 * The namespace has no route but its own /24: no packet from it can go anywhere else. 10.99.0.5 and
 * 1.2.3.4 appear only inside X-Forwarded-For headers; nothing is sent to them.
 *
 * Two servers, each with one reading-room item:
 *   direct  trustProxy [],              readingRoom [10.231.N.2/32]  (readers reach it directly)
 *   proxied trustProxy [10.231.N.2],    readingRoom [10.99.0.5/32]   (10.231.N.2 is the proxy)
 * Needs root (CAP_NET_ADMIN) for `ip netns`; without it the suite is skipped, saying why.
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'mocha';
import { assert } from 'chai';
import sharp from 'sharp';
import { track } from '../helpers/fixtures.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

const ITEM = 'muc-phong-doc';
const IMAGE = 'anh-phong-doc';
const INFO = `/iiif/3/${IMAGE}/info.json`;
/** A forwarded client address inside the proxied server's reading room: only ever a header value. */
const FORWARDED_IN_ROOM = '10.99.0.5';
/** A forwarded client address outside every reading room: only ever a header value. */
const FORWARDED_ELSEWHERE = '1.2.3.4';

/** `ip …` as root; rejects with ip's own message. */
async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args, { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/** A third octet N such that nothing on this host uses 10.231.N.0/24 yet (parallel runs pick apart). */
async function freeSubnet(): Promise<number> {
  const used = (await ip('-o', '-4', 'addr', 'show')) + (await ip('-4', 'route', 'show', 'table', 'all'));
  for (let i = 0; i < 200; i++) {
    const n = ((process.pid + i) % 200) + 20;
    if (!used.includes(`10.231.${n}.`)) return n;
  }
  throw new Error('no free 10.231.N.0/24 subnet for the test namespace');
}

interface Netns {
  readonly name: string;
  /** The host end of the veth pair: where the servers listen. */
  readonly host: string;
  /** The namespace's two addresses. */
  readonly a: string;
  readonly b: string;
  close(): Promise<void>;
}

/**
 * A namespace `vk<pid>` joined by a veth pair (`vk<pid>h` here, `vk<pid>n` there, 15 characters at
 * most) to this one; its only route is the pair's /24. Closing deletes both, ignoring what is gone.
 */
async function createNetns(): Promise<Netns> {
  const name = `vk${process.pid}`;
  const hostIf = `${name}h`;
  const nsIf = `${name}n`;
  const n = await freeSubnet();
  const host = `10.231.${n}.1`;
  const a = `10.231.${n}.2`;
  const b = `10.231.${n}.3`;
  await ip('netns', 'add', name);
  let untrack = () => {};
  const close = async () => {
    untrack();
    await ip('netns', 'del', name).catch(() => {});
    // Deleting the namespace destroys its end, and with it ours; in case it did not:
    await ip('link', 'del', hostIf).catch(() => {});
  };
  untrack = track(`network namespace ${name} (${host}/24)`, close);
  try {
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', name);
    await ip('addr', 'add', `${host}/24`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    await ip('-n', name, 'addr', 'add', `${a}/24`, 'dev', nsIf);
    await ip('-n', name, 'addr', 'add', `${b}/24`, 'dev', nsIf);
    await ip('-n', name, 'link', 'set', nsIf, 'up');
  } catch (err) {
    await close();
    throw err;
  }
  return { name, host, a, b, close };
}

interface Reply {
  readonly status: number;
  /** The address curl sent from, as curl reports it: proves which namespace address asked. */
  readonly from: string;
  readonly setCookies: string[];
}

/** GET `url` from inside the namespace, from address `from`, with exactly these extra headers. */
async function curlFrom(ns: Netns, from: string, url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const args = ['netns', 'exec', ns.name, 'curl', '-sS', '--noproxy', '*', '--max-time', '30', '--interface', from];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push('-o', '/dev/null', '-D', '-', '-w', '\n@@ %{http_code} %{local_ip}', url);
  // A bare environment: no proxy variables reach curl.
  const { stdout } = await run('ip', args, { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
  const m = /\n@@ (\d{3}) (\S+)$/.exec(stdout);
  if (!m) throw new Error(`curl gave no status: ${stdout}`);
  const setCookies = stdout
    .split(/\r?\n/)
    .filter((l) => /^set-cookie:/i.test(l))
    .map((l) => l.replace(/^set-cookie:\s*/i, ''));
  return { status: Number(m[1]), from: m[2]!, setCookies };
}

/** A test server listening on `host` (the veth's host end) only, with one reading-room item whose only canvas is `image`. */
async function startServer(host: string, image: string, overrides: Record<string, unknown>): Promise<TestServer> {
  const srv = await startTestServer({ server: { host, port: 0, trustProxy: [] }, ...overrides });
  try {
    await srv.add(image, IMAGE);
    // From this host to the veth's host end: the staff key, not the address, makes these writes.
    await srv.put('/api/libraries/tinh', { name: { vi: 'Thư viện tỉnh' } });
    await srv.put('/api/collections/han-nom', { library: 'tinh', label: { vi: 'Hán Nôm' } });
    await srv.put(`/api/items/${ITEM}`, {
      collection: 'han-nom',
      kind: 'manuscript',
      accessLevel: 'reading-room',
      description: { title: { vi: 'Sách phòng đọc' }, languages: ['vi'], rights: 'http://rightsstatements.org/vocab/InC/1.0/' },
      canvases: [{ image: IMAGE }],
    });
    return srv;
  } catch (err) {
    await srv.close();
    throw err;
  }
}

/** The one cookie named `name` among Set-Cookie values, split into lower-cased attribute names. */
function cookieAttributes(setCookies: string[], name: string): string[] {
  const found = setCookies.filter((c) => c.startsWith(`${name}=`));
  assert.lengthOf(found, 1, `one ${name} cookie in ${JSON.stringify(setCookies)}`);
  return found[0]!.split(';').slice(1).map((a) => a.trim().split('=')[0]!.toLowerCase());
}

describe('reading room and trusted proxies, from a client on another host (network namespace)', function () {
  let ns: Netns | undefined;
  /** trustProxy [], readingRoom [ns.a/32]. */
  let direct: TestServer | undefined;
  /** trustProxy [ns.a], readingRoom [10.99.0.5/32]. */
  let proxied: TestServer | undefined;
  let dir: string | undefined;

  before(async function () {
    if (process.platform !== 'linux') this.skip(); // network namespaces are Linux's
    try {
      ns = await createNetns();
    } catch (err) {
      // Not root, or no CAP_NET_ADMIN (an unprivileged container): nothing here can be asked.
      if (/Operation not permitted|Permission denied|ENOENT|not found/i.test(String(err))) {
        console.warn(`    skipped: cannot create a network namespace (needs root / CAP_NET_ADMIN): ${String(err)}`);
        this.skip();
      }
      throw err;
    }
    dir = await tempDir();
    const image = path.join(dir, 'page.jpg');
    await writeFile(image, await sharp({ create: { width: 600, height: 400, channels: 3, background: '#8a5a3c' } }).jpeg().toBuffer());
    direct = await startServer(ns.host, image, { access: { unattachedImages: 'staff', readingRoom: [`${ns.a}/32`] } });
    proxied = await startServer(ns.host, image, {
      server: { host: ns.host, port: 0, trustProxy: [ns.a] },
      access: { unattachedImages: 'staff', readingRoom: [`${FORWARDED_IN_ROOM}/32`] },
    });
  });

  after(async function () {
    // Each one even if another fails to close.
    const results = await Promise.allSettled([direct?.close(), proxied?.close()]);
    await Promise.allSettled([ns?.close(), dir ? rm(dir, { recursive: true, force: true }) : undefined]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  });

  it('lets a client whose own address is in access.readingRoom read the reading-room item, and refuses one outside with 403', async function () {
    const inside = await curlFrom(ns!, ns!.a, direct!.url + INFO);
    assert.strictEqual(inside.from, ns!.a);
    assert.strictEqual(inside.status, 200, `${ns!.a} is in the reading room ${ns!.a}/32`);
    const outside = await curlFrom(ns!, ns!.b, direct!.url + INFO);
    assert.strictEqual(outside.from, ns!.b);
    assert.strictEqual(outside.status, 403, `${ns!.b} is not in the reading room ${ns!.a}/32`);
    // The same client, in the reading room of one server and not of the other (its room is 10.99.0.5/32).
    assert.strictEqual((await curlFrom(ns!, ns!.a, proxied!.url + INFO)).status, 403);
  });

  it('ignores a forged X-Forwarded-For (or Forwarded) from an untrusted client', async function () {
    // direct trusts no proxy: a client outside the room naming an address inside it is still outside.
    const forged: Record<string, string>[] = [
      { 'X-Forwarded-For': ns!.a },
      { 'X-Forwarded-For': `${ns!.a}, ${ns!.a}` },
      { Forwarded: `for=${ns!.a}` },
      { 'X-Real-IP': ns!.a },
    ];
    for (const headers of forged) {
      const r = await curlFrom(ns!, ns!.b, direct!.url + INFO, headers);
      assert.strictEqual(r.from, ns!.b);
      assert.strictEqual(r.status, 403, `from ${ns!.b} with ${JSON.stringify(headers)}`);
    }
    // proxied trusts ns.a only: ns.b naming the room's forwarded address is not believed either.
    const r = await curlFrom(ns!, ns!.b, proxied!.url + INFO, { 'X-Forwarded-For': FORWARDED_IN_ROOM });
    assert.strictEqual(r.status, 403, `untrusted ${ns!.b} forwarding for ${FORWARDED_IN_ROOM}`);
  });

  it('believes a trusted proxy: the client is the right-most untrusted hop of X-Forwarded-For', async function () {
    const cases: [string | null, number, string][] = [
      [FORWARDED_IN_ROOM, 200, 'the proxy forwards for a reader in the room'],
      [null, 403, 'no X-Forwarded-For: the client is the proxy itself, outside the room'],
      [`${FORWARDED_ELSEWHERE}, ${FORWARDED_IN_ROOM}`, 200, 'right-most untrusted hop is in the room; what it claims is not believed'],
      [`${FORWARDED_IN_ROOM}, ${FORWARDED_ELSEWHERE}`, 403, 'right-most untrusted hop 1.2.3.4 is outside; the hop before it is not believed'],
      [`${FORWARDED_IN_ROOM}, ${ns!.a}`, 200, 'a trusted hop in the chain is skipped'],
      [`${FORWARDED_ELSEWHERE}, ${ns!.a}`, 403, 'a trusted hop in the chain is skipped, the hop before it is outside'],
    ];
    for (const [xff, status, why] of cases) {
      const r = await curlFrom(ns!, ns!.a, proxied!.url + INFO, xff === null ? {} : { 'X-Forwarded-For': xff });
      assert.strictEqual(r.from, ns!.a);
      assert.strictEqual(r.status, status, `X-Forwarded-For ${xff ?? '(none)'} from the trusted proxy ${ns!.a}: ${why}`);
    }
  });

  it('makes cookies Secure for X-Forwarded-Proto: https from a trusted proxy only', async function () {
    const untrusted = await curlFrom(ns!, ns!.b, proxied!.url + '/account/register', { 'X-Forwarded-Proto': 'https' });
    assert.strictEqual(untrusted.status, 200);
    const plain = cookieAttributes(untrusted.setCookies, 'vankho_csrf');
    assert.notInclude(plain, 'secure', `from untrusted ${ns!.b}: ${untrusted.setCookies.join(' | ')}`);
    assert.include(plain, 'httponly');

    // Same for a server that trusts no one, from the address that is in its reading room.
    const noProxy = await curlFrom(ns!, ns!.a, direct!.url + '/account/register', { 'X-Forwarded-Proto': 'https', Forwarded: 'proto=https' });
    assert.strictEqual(noProxy.status, 200);
    assert.notInclude(cookieAttributes(noProxy.setCookies, 'vankho_csrf'), 'secure', noProxy.setCookies.join(' | '));

    const trusted = await curlFrom(ns!, ns!.a, proxied!.url + '/account/register', { 'X-Forwarded-Proto': 'https' });
    assert.strictEqual(trusted.status, 200);
    const secure = cookieAttributes(trusted.setCookies, 'vankho_csrf');
    assert.include(secure, 'secure', `from the trusted proxy ${ns!.a}: ${trusted.setCookies.join(' | ')}`);
    assert.include(secure, 'httponly');

    // The trusted proxy saying plain http: not Secure.
    const viaHttp = await curlFrom(ns!, ns!.a, proxied!.url + '/account/register', { 'X-Forwarded-Proto': 'http' });
    assert.notInclude(cookieAttributes(viaHttp.setCookies, 'vankho_csrf'), 'secure', viaHttp.setCookies.join(' | '));
  });
});
