/**
 * Issue 19, item 5: a socket dripping its headers is closed within
 * server.timeouts.headers; a body that stalls is cut after
 * server.timeouts.idle; silent sockets past max_connections do not lock
 * others out. Meanwhile other requests are answered within a second, and
 * the store is unchanged.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/datastore/errors.js';
import { DEFAULT_TIMEOUTS, parseServerYaml } from '../../src/server/config.js';
import { assertCloneFsckClean, assertResponsive, createAndPush, snapshot, STORES, startTestServer, type TestServer } from './hardening-helpers.js';
import { zeroId } from '../../src/datastore/hash.js';

const HEADERS_MS = 600;
const IDLE_MS = 600;

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with how long the socket stayed open, and what the server sent. */
function closed(socket: Socket, since: number): Promise<{ ms: number; received: string }> {
  let received = '';
  socket.on('data', (d) => (received += d));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve({ ms: performance.now() - since, received })));
}

describe('server.timeouts config', () => {
  it('has defaults that cut silence, not long transfers', () => {
    assert.equal(DEFAULT_TIMEOUTS.headersMs, 10_000);
    assert.equal(DEFAULT_TIMEOUTS.idleMs, 60_000);
    assert.ok(DEFAULT_TIMEOUTS.requestMs >= 3_600_000, 'a 2 GiB push on a slow link fits');
  });

  it('reads durations and max_connections; refuses zero, unknown keys, and a request timeout shorter than headers', () => {
    const c = parseServerYaml('server:\n  timeouts: {headers: 5s, idle: 30s, request: 2h, keep_alive: 1s}\n  max_connections: 100\n', 't.yaml');
    assert.deepEqual(c.timeouts, { headersMs: 5000, idleMs: 30000, requestMs: 7_200_000, keepAliveMs: 1000 });
    assert.equal(c.maxConnections, 100);
    assert.throws(() => parseServerYaml('server:\n  timeouts: {headers: 0}\n', 't.yaml'), (e: Error) => e instanceof ConfigError && /server\.timeouts\.headers/.test(e.message));
    assert.throws(() => parseServerYaml('server:\n  timeouts: {body: 5s}\n', 't.yaml'), (e: Error) => e instanceof ConfigError && /body/.test(e.message));
    assert.throws(() => parseServerYaml('server:\n  timeouts: {headers: 20s, request: 10s}\n', 't.yaml'), ConfigError);
    assert.throws(() => parseServerYaml('server:\n  max_connections: 0\n', 't.yaml'), (e: Error) => e instanceof ConfigError && /max_connections/.test(e.message));
  });
});

for (const kind of STORES) {
  describe(`timeouts and the connection cap (${kind} store)`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(kind, {
        timeouts: { headersMs: HEADERS_MS, idleMs: IDLE_MS, requestMs: 60_000, keepAliveMs: 1000 },
        maxConnections: 40,
      });
      await createAndPush(t, 'base');
    });
    after(async () => {
      await t.close();
    });

    it('closes a socket that drips its headers within the headers timeout, answering others meanwhile', async () => {
      const before = await snapshot(t.store);
      const socket = await open(t.url);
      const started = performance.now();
      const done = closed(socket, started);
      socket.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => socket.writable && socket.write('X'), 100);
      try {
        await assertResponsive(t.url);
        const { ms } = await done;
        assert.ok(ms >= HEADERS_MS - 50, `closed after ${ms} ms, not before the timeout`);
        assert.ok(ms < HEADERS_MS + 1500, `closed after ${ms} ms`);
      } finally {
        clearInterval(drip);
      }
      assert.deepEqual(await snapshot(t.store), before);
    });

    it('cuts a body that stalls after the idle timeout with 408', async () => {
      const before = await snapshot(t.store);
      const socket = await open(t.url);
      const started = performance.now();
      const done = closed(socket, started);
      socket.write(
        `POST /api/v1/repositories HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`,
      );
      await assertResponsive(t.url);
      const { ms, received } = await done;
      assert.match(received, /^HTTP\/1\.1 408 /);
      assert.match(received, /server\.timeouts\.idle/);
      assert.ok(ms >= IDLE_MS - 50 && ms < IDLE_MS + 3000, `cut after ${ms} ms`);
      assert.deepEqual(await snapshot(t.store), before);
    });

    it('cuts a push whose pack stalls, and the push changes nothing', async () => {
      const before = await snapshot(t.store);
      const socket = await open(t.url);
      const done = closed(socket, performance.now());
      const zero = zeroId();
      const command = `${zero} ${'1'.repeat(40)} refs/heads/stalled\0report-status side-band-64k\n`;
      const head = `${(command.length + 4).toString(16).padStart(4, '0')}${command}0000PACK`;
      socket.write(
        `POST /base.git/git-receive-pack HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.adminToken}\r\n` +
          `Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 100000\r\n\r\n${head}`,
      );
      await assertResponsive(t.url);
      await done;
      const after = await snapshot(t.store);
      assert.deepEqual({ ...after, events: 0 }, { ...before, events: 0 });
      await assertCloneFsckClean(t, 'base');
    });

    it('keeps answering while more silent sockets are open than max_connections', async () => {
      const silent: Socket[] = [];
      let closedByServer = 0;
      try {
        for (let i = 0; i < 100; i++) {
          const s = await open(t.url);
          s.on('error', () => undefined);
          s.once('close', () => closedByServer++);
          silent.push(s);
        }
        await assertResponsive(t.url);
        await assertResponsive(t.url);
        // The cap is 40: the oldest silent sockets made room for the newer ones.
        assert.ok(closedByServer >= 60, `${closedByServer} silent sockets closed`);
      } finally {
        for (const s of silent) s.destroy();
      }
    });
  });
}
