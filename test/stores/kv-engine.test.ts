/**
 * The KvEngine contract every key-value engine keeps (RocksDB and LMDB here;
 * the LSM engine later): byte-ordered ranges with every bound and direction,
 * chunked snapshot scans, atomic batches and transact() that writes nothing when its
 * plan throws.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { KvEngine, KvRange } from '../../src/datastore/stores/kv/engine.js';
import { eachEntry } from '../../src/datastore/stores/kv/iterate.js';
import { LmdbEngine } from '../../src/datastore/stores/lmdb/lmdb-engine.js';
import { RocksEngine } from '../../src/datastore/stores/rocksdb/rocksdb-engine.js';
import { LsmEngine } from '../../src/datastore/stores/lsm/lsm-engine.js';

const root = mkdtempSync(join(tmpdir(), 'govc-kv-engine-test-'));
let counter = 0;
after(() => rmSync(root, { recursive: true, force: true }));

const b = (s: string) => Buffer.from(s, 'latin1');
const text = (x: Uint8Array) => Buffer.from(x).toString('latin1');

async function keysOf(engine: KvEngine, range: KvRange): Promise<string[]> {
  const out: string[] = [];
  for await (const e of eachEntry(engine, range)) out.push(text(e.key));
  return out;
}

export function describeKvEngine(name: string, make: (dir: string) => KvEngine): void {
  describe(`${name} KvEngine contract`, () => {
    async function withEngine(fn: (engine: KvEngine) => Promise<void>): Promise<void> {
      const engine = make(join(root, `${name}-${++counter}`));
      await engine.open();
      try {
        await fn(engine);
      } finally {
        await engine.close();
      }
    }

    it('scans byte order with every bound, both directions, limits and keys only', async () => {
      await withEngine(async (engine) => {
        // 0xff and 0x00 bytes, and prefixes of one another.
        const keys = ['a', 'a\u0000', 'a\u0001', 'ab', 'b', 'b\u00ff', 'c'];
        await engine.batch(keys.map((k, i) => ({ type: 'put', key: b(k), value: b(`v${i}`) })));
        assert.deepEqual(await keysOf(engine, { gte: b('a'), lt: b('b') }), ['a', 'a\u0000', 'a\u0001', 'ab']);
        assert.deepEqual(await keysOf(engine, { gt: b('a'), lte: b('b') }), ['a\u0000', 'a\u0001', 'ab', 'b']);
        assert.deepEqual(await keysOf(engine, { gte: b('a'), lt: b('b'), reverse: true }), ['ab', 'a\u0001', 'a\u0000', 'a']);
        assert.deepEqual(await keysOf(engine, { gt: b('a'), lte: b('b'), reverse: true }), ['b', 'ab', 'a\u0001', 'a\u0000']);
        assert.deepEqual(await keysOf(engine, { gte: b('b'), lt: b('c'), reverse: true, limit: 1 }), ['b\u00ff']);
        assert.deepEqual(await keysOf(engine, { gte: b('a'), lt: b('d'), limit: 3 }), ['a', 'a\u0000', 'a\u0001']);
        const values: string[] = [];
        for await (const e of eachEntry(engine, { gte: b('c'), lt: b('d') })) values.push(text(e.value));
        assert.deepEqual(values, ['v6']);
        for await (const e of eachEntry(engine, { gte: b('c'), lt: b('d'), keysOnly: true })) assert.equal(text(e.key), 'c');
        assert.deepEqual((await engine.getMany([b('ab'), b('zz'), b('a')])).map((v) => v && text(v)), ['v3', undefined, 'v0']);
      });
    });

    it('keeps a scan on the snapshot it started with', async () => {
      await withEngine(async (engine) => {
        await engine.batch(Array.from({ length: 50 }, (_, i) => ({ type: 'put' as const, key: b(`k${String(i).padStart(3, '0')}`), value: b('old') })));
        const seen: string[] = [];
        let wrote = false;
        for await (const e of eachEntry(engine, { gte: b('k'), lt: b('l') })) {
          seen.push(`${text(e.key)}=${text(e.value)}`);
          if (!wrote) {
            wrote = true;
            await engine.batch([
              { type: 'put', key: b('k049'), value: b('new') },
              { type: 'put', key: b('k100'), value: b('added') },
              { type: 'del', key: b('k010') },
            ]);
          }
        }
        assert.equal(seen.length, 50);
        assert.ok(seen.includes('k049=old') && seen.includes('k010=old') && !seen.some((s) => s.startsWith('k100')));
        assert.equal(text((await engine.get(b('k049')))!), 'new');
        assert.equal(await engine.get(b('k010')), undefined);
      });
    });

    it('transact sees the latest state, commits its ops together, and writes nothing when the plan throws', async () => {
      await withEngine(async (engine) => {
        await engine.batch([{ type: 'put', key: b('n'), value: b('0') }]);
        const increment = () =>
          engine.transact((r) => {
            const n = Number(text(r.get(b('n'))!));
            return { ops: [{ type: 'put', key: b('n'), value: b(String(n + 1)) }, { type: 'put', key: b(`log${n}`), value: b('x') }], result: n + 1 };
          });
        const results = await Promise.all(Array.from({ length: 20 }, increment));
        assert.deepEqual([...results].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
        assert.equal(text((await engine.get(b('n')))!), '20');
        assert.equal((await keysOf(engine, { gte: b('log'), lt: b('loh') })).length, 20);
        await assert.rejects(
          engine.transact(() => {
            throw new Error('plan failed');
          }),
          /plan failed/,
        );
        assert.equal(text((await engine.get(b('n')))!), '20');
        // Reads in a plan see the range too, and deletes apply.
        const deleted = await engine.transact((r) => {
          const logs = [...r.range({ gte: b('log'), lt: b('loh'), keysOnly: true })].map((e) => e.key);
          return { ops: logs.map((key) => ({ type: 'del' as const, key })), result: logs.length };
        });
        assert.equal(deleted, 20);
        assert.deepEqual(await keysOf(engine, { gte: b('log'), lt: b('loh') }), []);
      });
    });

    it('counts the reads it serves', async () => {
      await withEngine(async (engine) => {
        await engine.batch(Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, key: b(`r${String(i).padStart(3, '0')}`), value: b('v') })));
        const before = { ...engine.counters };
        await engine.getMany([b('r001'), b('r002'), b('nope')]);
        assert.equal(engine.counters.pointReads - before.pointReads, 3);
        for await (const _ of eachEntry(engine, { gte: b('r'), lt: b('s'), limit: 7 })) void _;
        assert.equal(engine.counters.rangeEntries - before.rangeEntries, 7);
      });
    });
  });
}

describeKvEngine('rocksdb', (dir) => new RocksEngine({ location: dir, compression: 'zstd', bloomBitsPerKey: 10, cacheBytes: 8 * 1024 ** 2, sync: false }));
describeKvEngine('lsm', (dir) => new LsmEngine({ location: dir }));
describeKvEngine('lmdb', (dir) => new LmdbEngine({ location: dir, compression: 'none', compressionThreshold: 1024, sync: false, maxReaders: 126 }));
