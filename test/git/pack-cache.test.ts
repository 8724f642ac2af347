/**
 * The clone pack cache on its own: made once, then served from its file;
 * identical requests in flight follow the one being made; a maker that fails
 * or dies leaves nothing behind and the next request makes the pack again;
 * a cache that cannot be written never fails the clone; sweeping by age and
 * size; and what the key depends on.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { cloneKey, sendCachedPack, sweep, type CloneRequest, type PackCacheOptions, type PackWritten } from '../../src/git/protocol/pack-cache.js';
import { GitOutput } from '../../src/git/protocol/sideband.js';
import { tempDir } from '../../support/temp-dir.js';

const tmp = tempDir('govc-pack-cache-');
after(() => tmp.remove());
let serial = 0;

function cacheIn(): PackCacheOptions {
  return { dir: join(tmp.path, `cache-${serial++}`), maxAgeMs: 60_000, maxBytes: 1 << 30 };
}

/** A pack-shaped body: a PACK header with `count`, then `size` bytes of a pattern. */
function fakePack(count: number, size: number): Buffer {
  const body = Buffer.alloc(12 + size);
  body.write('PACK', 0);
  body.writeUInt32BE(2, 4);
  body.writeUInt32BE(count, 8);
  for (let i = 12; i < body.length; i++) body[i] = i % 251;
  return body;
}

/** A client: collects what the server writes, raw (not multiplexed). */
function client(): { out: GitOutput; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { out: new GitOutput(sink), bytes: () => Buffer.concat(chunks) };
}

/** A maker that writes `pack` in pieces and ends the sink, as sendPack's does, waiting `delayMs` between them, and counts its runs; `failAfter` pieces it throws. */
function maker(pack: Buffer, opts: { delayMs?: number; failAfter?: number } = {}) {
  let runs = 0;
  const make = async (sink: Writable): Promise<PackWritten> => {
    runs++;
    const piece = 4096;
    for (let i = 0, n = 0; i < pack.length; i += piece, n++) {
      if (opts.failAfter !== undefined && n === opts.failAfter) throw new Error('store went away');
      if (!sink.write(pack.subarray(i, i + piece))) await new Promise((r) => sink.once('drain', r));
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    }
    await new Promise((r) => sink.end(r));
    return { count: pack.readUInt32BE(8), bytes: pack.length, reused: 7 };
  };
  return { make, runs: () => runs };
}

describe('clone pack cache', () => {
  it('makes a pack once and serves the same bytes from its file after', async () => {
    const cache = cacheIn();
    const pack = fakePack(3, 200_000);
    const m = maker(pack);
    const first = client();
    const made = await sendCachedPack(cache, 'k1', first.out, m.make);
    assert.equal(made.use, 'made');
    const second = client();
    const hit = await sendCachedPack(cache, 'k1', second.out, m.make);
    assert.equal(m.runs(), 1);
    assert.deepEqual({ use: hit.use, count: hit.count, bytes: hit.bytes, reused: hit.reused }, { use: 'hit', count: 3, bytes: pack.length, reused: 7 });
    assert.ok(first.bytes().equals(pack));
    assert.ok(second.bytes().equals(pack));
    assert.deepEqual(readdirSync(cache.dir).sort(), ['k1.json', 'k1.pack']);
  });

  it('lets identical requests in flight follow the pack being made', async () => {
    const cache = cacheIn();
    const pack = fakePack(5, 300_000);
    const m = maker(pack, { delayMs: 2 });
    const clients = [client(), client(), client(), client()];
    const results = await Promise.all(clients.map((c) => sendCachedPack(cache, 'k2', c.out, m.make)));
    assert.equal(m.runs(), 1);
    assert.deepEqual(results.map((r) => r.use).sort(), ['followed', 'followed', 'followed', 'made']);
    for (const c of clients) assert.ok(c.bytes().equals(pack));
    for (const r of results) assert.equal(r.count, 5);
  });

  it('leaves nothing when the maker fails; a follower that got bytes is told to retry; the next request makes it again', async () => {
    const cache = cacheIn();
    const pack = fakePack(2, 100_000);
    const failing = maker(pack, { delayMs: 5, failAfter: 10 });
    const a = client();
    const b = client();
    const first = sendCachedPack(cache, 'k3', a.out, failing.make);
    await new Promise((r) => setTimeout(r, 20));
    const second = sendCachedPack(cache, 'k3', b.out, failing.make);
    await assert.rejects(first, /store went away/);
    await assert.rejects(second, /identical clone was not finished; run the clone again/);
    assert.deepEqual(readdirSync(cache.dir), []);
    const good = maker(pack);
    const c = client();
    assert.equal((await sendCachedPack(cache, 'k3', c.out, good.make)).use, 'made');
    assert.ok(c.bytes().equals(pack));
  });

  it('takes over from a maker that died (no heartbeat for 15 s)', async () => {
    const cache = cacheIn();
    mkdirSync(cache.dir, { recursive: true });
    const temp = join(cache.dir, 'k4.tmp');
    writeFileSync(temp, fakePack(1, 10).subarray(0, 0));
    const old = new Date(Date.now() - 60_000);
    utimesSync(temp, old, old);
    const pack = fakePack(1, 5000);
    const m = maker(pack);
    const c = client();
    assert.equal((await sendCachedPack(cache, 'k4', c.out, m.make)).use, 'made');
    assert.ok(c.bytes().equals(pack));
  });

  it('still serves the clone when its pack cannot be kept', async () => {
    const cache = cacheIn();
    // A directory where the pack's record should go: keeping it fails.
    mkdirSync(join(cache.dir, 'k5.json', 'x'), { recursive: true });
    const pack = fakePack(4, 50_000);
    const m = maker(pack);
    const c = client();
    const r = await sendCachedPack(cache, 'k5', c.out, m.make);
    assert.equal(r.use, 'made');
    assert.ok(c.bytes().equals(pack));
    assert.deepEqual(readdirSync(cache.dir), ['k5.json'], 'no pack is kept, and the temp file is removed');
  });

  it('sweeps packs past their age, then the oldest over the size bound', async () => {
    const cache = { ...cacheIn(), maxBytes: 25_000 };
    mkdirSync(cache.dir, { recursive: true });
    const now = Date.now();
    const put = (key: string, ageMs: number) => {
      for (const ext of ['pack', 'json']) {
        const path = join(cache.dir, `${key}.${ext}`);
        writeFileSync(path, Buffer.alloc(ext === 'pack' ? 10_000 : 10));
        const t = new Date(now - ageMs);
        utimesSync(path, t, t);
      }
    };
    put('expired', 120_000);
    put('oldest', 30_000);
    put('middle', 20_000);
    put('newest', 10_000);
    await sweep(cache, now);
    assert.deepEqual(readdirSync(cache.dir).sort(), ['middle.json', 'middle.pack', 'newest.json', 'newest.pack']);
    assert.ok(statSync(join(cache.dir, 'newest.pack')).size === 10_000);
  });

  it('keys on what decides the objects, not on the order of the wants', () => {
    const base: CloneRequest = { repositoryId: 'r1', format: 'sha1', wants: ['b'.repeat(40), 'a'.repeat(40)], ofsDelta: true, includeTag: false, tags: [] };
    const key = cloneKey(base);
    assert.equal(cloneKey({ ...base, wants: [...base.wants].reverse() }), key);
    assert.equal(cloneKey({ ...base, tags: ['t p'] }), key, 'tags matter only with include-tag');
    for (const other of [
      { ...base, repositoryId: 'r2' },
      { ...base, wants: ['a'.repeat(40)] },
      { ...base, ofsDelta: false },
      { ...base, includeTag: true, tags: ['t p'] },
      { ...base, filter: 'blob:none' },
      { ...base, shallow: new Set(['c'.repeat(40)]) },
      { ...base, format: 'sha256' as const },
    ]) {
      assert.notEqual(cloneKey(other), key, JSON.stringify(other, (_k, v) => (v instanceof Set ? [...v] : v)));
    }
  });
});
