/**
 * Slow and stalled clients (http/timeouts.ts): a request head trickled byte by byte, a body trickled
 * below the minimum rate, idle keep-alive connections — each closed within its deadline — and a slow but
 * steady body that is let through. Raw TCP on 127.0.0.1 against a real server.
 */
import { assert } from 'chai';
import net from 'node:net';
import { after, before, describe, it } from 'mocha';
import { startTestServer, STAFF, type TestServer } from '../helpers/server.js';

/** A connection to the server; `closed` resolves with the seconds it stayed open, and what came back. */
function connect(srv: TestServer): { socket: net.Socket; closed: Promise<{ seconds: number; answer: string }> } {
  const { hostname, port } = new URL(srv.url);
  const socket = net.connect(Number(port), hostname);
  const started = Date.now();
  let answer = '';
  socket.on('data', (d) => (answer += d.toString('latin1')));
  const closed = new Promise<{ seconds: number; answer: string }>((resolve) => {
    socket.on('close', () => resolve({ seconds: (Date.now() - started) / 1000, answer }));
    socket.on('error', () => undefined);
  });
  return { socket, closed };
}

/** Writes `text` a few bytes at a time, every `ms`, until the socket closes or `text` is sent. */
async function trickle(socket: net.Socket, text: string, bytes: number, ms: number): Promise<void> {
  for (let i = 0; i < text.length && !socket.destroyed; i += bytes) {
    socket.write(text.slice(i, i + bytes));
    await new Promise((r) => setTimeout(r, ms));
  }
}

describe('resilience: slow clients', function () {
  this.timeout(60_000);
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ server: { timeouts: { headersSeconds: 2, keepAliveSeconds: 1, idleSeconds: 60, bodyMinBytesPerSecond: 200, bodyGraceSeconds: 2 } } });
  });
  after(() => srv?.close());

  it('closes a connection whose request head trickles in past headersSeconds', async () => {
    const { socket, closed } = connect(srv);
    void trickle(socket, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`, 1, 250);
    const { seconds, answer } = await closed;
    assert.isBelow(seconds, 5, 'closed soon after the 2 s allowed');
    assert.isAtLeast(seconds, 1.5);
    assert.notMatch(answer, /200 OK/, 'never answered');
  });

  it('closes a connection whose body arrives below the minimum rate, and lets a slow steady one through', async () => {
    const body = JSON.stringify({ title: 'x'.repeat(3000) });
    const head = (n: number) => `PUT /api/items/cham HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${STAFF.Authorization}\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\n\r\n`;
    // 10 bytes a second against 200 required: cut after the 2 s of grace, not after the 300 s of Node's default.
    const slow = connect(srv);
    slow.socket.write(head(body.length));
    void trickle(slow.socket, body, 10, 1000);
    const cut = await slow.closed;
    assert.isBelow(cut.seconds, 6);
    assert.strictEqual(cut.answer, '', 'no answer: the connection was closed');

    // 400 bytes a second: slow, but over the rate: the request is answered (here, a 400 naming the bad field).
    const steady = connect(srv);
    steady.socket.write(head(body.length));
    void trickle(steady.socket, body, 200, 500);
    const answered = await new Promise<string>((resolve) => steady.socket.once('data', (d) => resolve(d.toString('latin1'))));
    assert.match(answered, /^HTTP\/1\.1 400 /, answered.slice(0, 200));
    steady.socket.destroy();
  });

  it('closes an idle keep-alive connection after keepAliveSeconds', async () => {
    const { socket, closed } = connect(srv);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const { seconds, answer } = await closed;
    assert.match(answer, /^HTTP\/1\.1 200 OK/);
    assert.isBelow(seconds, 4, 'closed about a second after the answer');
  });
});
