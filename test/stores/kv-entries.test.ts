/**
 * Object entries in the key-value stores, seen from the keys and values:
 * a record written before entries (type byte + data) still reads as the
 * object, as a raw entry; new records carry the versioned header; the `ob:`
 * reverse index follows every put, replace and delete of a delta.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { hashObject, type DataStore } from '../../src/datastore/index.js';
import { deltaEntry, ENCODING, wholeEntry } from '../../src/datastore/objects/encoding.js';
import type { ObjectEntry } from '../../src/datastore/types.js';
import type { KvEngine } from '../../src/datastore/stores/kv/engine.js';
import { eachEntry } from '../../src/datastore/stores/kv/iterate.js';
import type { KvDriver } from '../../src/datastore/stores/kv/kv-driver.js';
import { ENTRY_VALUE_V1 } from '../../src/datastore/stores/kv/object-value.js';
import { encodeCounter } from '../../src/datastore/stores/kv/records.js';
import { createDelta } from '../../src/git/pack/delta-encode.js';
import { withStore } from '../support/with-store.js';

const root = mkdtempSync(join(tmpdir(), 'govc-kv-entries-test-'));
let counter = 0;
after(() => rmSync(root, { recursive: true, force: true }));

const latin1 = (s: string) => Buffer.from(s, 'latin1');

/** Every `ob:` key, as text. */
async function reverseIndex(engine: KvEngine): Promise<string[]> {
  const out: string[] = [];
  for await (const e of eachEntry(engine, { gte: latin1('ob:'), lt: latin1('ob;'), keysOnly: true })) out.push(Buffer.from(e.key).toString('latin1'));
  return out;
}

function delta(base: Buffer, data: Buffer, depth = 1): ObjectEntry {
  const d = createDelta(base, data)!;
  return deltaEntry(hashObject('blob', data), 'blob', data.length, hashObject('blob', base), depth, d.length, deflateSync(d));
}

const text = (n: number) => Buffer.from(Array.from({ length: 40 }, (_, i) => `line ${i} of version ${i === 7 ? n : 0}\n`).join(''));

for (const type of ['rocksdb', 'lmdb']) {
  describe(`${type} object entries in keys and values`, () => {
    const run = (fn: (store: DataStore, engine: KvEngine) => Promise<void>) =>
      withStore<void, KvDriver>(`${type}://${join(root, `${type}-${++counter}`)}`, (store, driver) => fn(store, driver.engine));

    it('reads a record written before entries (type byte + data) as the object, an entry of encoding 0', async () => {
      await run(async (store, engine) => {
        // Data that starts like a new value's header: the legacy type byte in front decides.
        const data = Buffer.concat([Buffer.of(ENTRY_VALUE_V1, 1, 5, 1, 0), Buffer.from(' legacy blob')]);
        const id = hashObject('blob', data);
        await engine.batch([
          { type: 'put', key: latin1(`o:${id}`), value: Buffer.concat([Buffer.of(1), data]) },
          { type: 'put', key: latin1('m:objects'), value: encodeCounter(1) },
          { type: 'put', key: latin1('m:object-bytes'), value: encodeCounter(data.length) },
        ]);
        assert.deepEqual(Buffer.from((await store.getObject(id))!.data), data);
        const entry = (await store.getEntries([id])).get(id)!;
        assert.equal(entry.encoding, ENCODING.raw);
        assert.equal(entry.base, null);
        assert.equal(entry.size, data.length);
        assert.deepEqual(Buffer.from(entry.bytes), data);
        assert.deepEqual(await store.statObject(id), { id, type: 'blob', size: data.length });
        assert.deepEqual(await store.hasObjects([id]), [true]);

        // A new delta may build on it; deleting the legacy base rewrites the delta whole.
        const next = Buffer.concat([data, Buffer.from(' and a little more')]);
        const d = delta(data, next);
        await store.putEntries([d]);
        assert.deepEqual(await reverseIndex(engine), [`ob:${id}\0${d.id}`]);
        assert.deepEqual(Buffer.from((await store.getObject(d.id))!.data), next);
        await store.deleteObject(id);
        assert.equal(await store.hasObject(id), false);
        assert.equal((await store.getEntries([d.id])).get(d.id)!.encoding, ENCODING.whole);
        assert.deepEqual(await reverseIndex(engine), []);
        const rewritten = (await store.getEntries([d.id])).get(d.id)!;
        assert.deepEqual((await store.driver.stats()), { objectCount: 1, storageBytes: rewritten.bytes.byteLength });
      });
    });

    it('writes the versioned header and gives entries back exactly as written', async () => {
      await run(async (store, engine) => {
        const base = wholeEntry(hashObject('blob', text(0)), 'blob', text(0));
        const d = delta(text(0), text(1));
        await store.putEntries([base, d]);
        const value = (await engine.get(latin1(`o:${d.id}`)))!;
        assert.equal(value[0], ENTRY_VALUE_V1);
        const got = await store.getEntries([base.id, d.id]);
        for (const e of [base, d]) assert.deepEqual({ ...got.get(e.id)!, bytes: Buffer.from(got.get(e.id)!.bytes) }, { ...e, bytes: Buffer.from(e.bytes) });
        assert.equal((await store.driver.stats()).storageBytes, base.bytes.byteLength + d.bytes.byteLength);
      });
    });

    it('keeps ob:<base>\\0<id> keys with their delta entries: put, replace, delete', async () => {
      await run(async (store, engine) => {
        const [a, b] = [text(0), text(1)];
        const [idA, idB] = [hashObject('blob', a), hashObject('blob', b)];
        const c = text(2);
        const onA = delta(a, c);
        const onB = delta(b, c);
        await store.putEntries([wholeEntry(idA, 'blob', a), wholeEntry(idB, 'blob', b), onA]);
        assert.deepEqual(await reverseIndex(engine), [`ob:${idA}\0${onA.id}`]);
        assert.deepEqual(await store.listDependents(idA), [onA.id]);

        // Putting it again without replace keeps the first entry and its key.
        await store.putEntries([onB]);
        assert.deepEqual(await reverseIndex(engine), [`ob:${idA}\0${onA.id}`]);

        // Replace moves the key to the new base, then away when the entry becomes whole.
        await store.driver.write([{ op: 'putObject', entry: onB, replace: true }]);
        assert.deepEqual(await reverseIndex(engine), [`ob:${idB}\0${onB.id}`]);
        assert.deepEqual(await store.listDependents(idA), []);
        assert.deepEqual(await store.listDependents(idB), [onB.id]);
        const whole = wholeEntry(onB.id, 'blob', c);
        await store.driver.write([{ op: 'putObject', entry: whole, replace: true }]);
        assert.deepEqual(await reverseIndex(engine), []);
        assert.equal((await store.driver.stats()).storageBytes, [...(await store.getEntries([idA, idB, whole.id])).values()].reduce((n, e) => n + e.bytes.byteLength, 0));

        // Deleting a delta removes its key in the same write.
        await store.driver.write([{ op: 'putObject', entry: onA, replace: true }]);
        assert.deepEqual(await reverseIndex(engine), [`ob:${idA}\0${onA.id}`]);
        await store.driver.write([{ op: 'deleteObject', id: onA.id }]);
        assert.deepEqual(await reverseIndex(engine), []);
        assert.equal((await store.driver.stats()).objectCount, 2);
      });
    });
  });
}
