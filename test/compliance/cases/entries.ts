/**
 * Objects as stored entries, the same on every store: whole objects deflated,
 * delta chains (bounded, across batches), corrupt or baseless deltas refused
 * by name, deleting a base never breaking what builds on it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';
import { hashObject, type DataStore } from '../../../src/datastore/index.js';
import { deltaEntry, ENCODING, MAX_DELTA_DEPTH } from '../../../src/datastore/objects/encoding.js';
import type { ObjectEntry } from '../../../src/datastore/types.js';
import { createDelta } from '../../../src/git/pack/delta-encode.js';
import { rejectsWithCode, type SuiteContext } from '../context.js';

/** Versions of a text file, each a small edit of the one before. */
function versions(n: number, tag = ''): Buffer[] {
  const out: Buffer[] = [];
  let text = Array.from({ length: 60 }, (_, i) => `line ${i} of a file that changes a little each time ${tag}\n`).join('');
  for (let v = 0; v < n; v++) {
    text = text.replace(`line ${v % 60} `, `line ${v % 60} (edited in version ${v}) `);
    out.push(Buffer.from(text));
  }
  return out;
}

/** Entries for `datas`: the first whole, each next a delta on the one before (depth 1, 2, ...). */
function chain(datas: Buffer[], startDepth = 0, base?: Buffer): ObjectEntry[] {
  const out: ObjectEntry[] = [];
  let prev = base;
  let depth = startDepth;
  for (const data of datas) {
    const id = hashObject('blob', data);
    if (!prev) {
      out.push({ id, type: 'blob', size: data.length, encoding: ENCODING.whole, base: null, bytes: deflateSync(data) });
    } else {
      const delta = createDelta(prev, data)!;
      out.push(deltaEntry(id, 'blob', data.length, hashObject('blob', prev), ++depth, delta.length, deflateSync(delta)));
    }
    prev = data;
  }
  return out;
}

async function readsBack(store: DataStore, datas: Buffer[]): Promise<void> {
  const got = await store.getObjects(datas.map((d) => hashObject('blob', d)));
  for (const d of datas) assert.ok(Buffer.from(got.get(hashObject('blob', d))!.data).equals(d));
}

export function entryCases(ctx: SuiteContext): void {
  it('keeps a put object deflated, and gives back its entry as stored', async () => {
    await ctx.withStore(async (store) => {
      const data = Buffer.from('compressible '.repeat(2000));
      const id = await store.putObject({ type: 'blob', data });
      const entry = (await store.getEntries([id])).get(id)!;
      assert.equal(entry.encoding, ENCODING.whole);
      assert.equal(entry.base, null);
      assert.equal(entry.size, data.length);
      assert.ok(entry.bytes.byteLength < data.length / 10, 'deflated');
      assert.ok(inflateSync(entry.bytes).equals(data));
      assert.deepEqual(await store.statObject(id), { id, type: 'blob', size: data.length });
    });
  });

  it('reads delta chains up to the depth bound, across batches, and refuses a deeper one', async () => {
    await ctx.withStore(async (store) => {
      const datas = versions(MAX_DELTA_DEPTH + 2);
      const entries = chain(datas.slice(0, MAX_DELTA_DEPTH + 1));
      // Three writes: a chain across batches, each delta's base already stored.
      await store.putEntries(entries.slice(0, 10));
      await store.putEntries(entries.slice(10, 30));
      await store.putEntries(entries.slice(30));
      await readsBack(store, datas.slice(0, MAX_DELTA_DEPTH + 1));
      const last = entries[MAX_DELTA_DEPTH];
      assert.equal((await store.getEntries([last.id])).get(last.id)!.base, entries[MAX_DELTA_DEPTH - 1].id);
      assert.deepEqual(await store.statObject(last.id), { id: last.id, type: 'blob', size: datas[MAX_DELTA_DEPTH].length });
      const tooDeep = chain([datas[MAX_DELTA_DEPTH + 1]], MAX_DELTA_DEPTH, datas[MAX_DELTA_DEPTH]);
      await rejectsWithCode(store.putEntries(tooDeep), 'INVALID_ARGUMENT', /depth 51/);
      assert.equal(await store.hasObject(tooDeep[0].id), false);
    });
  });

  it('refuses a delta whose base is nowhere, naming the object, and writes nothing of that batch', async () => {
    await ctx.withStore(async (store) => {
      const datas = versions(3, 'orphan');
      const [, second, third] = chain(datas);
      await rejectsWithCode(store.putEntries([second, third]), 'INVALID_DATA', new RegExp(`${second.id} is a delta on ${hashObject('blob', datas[0])}`));
      assert.deepEqual(await store.hasObjects([second.id, third.id]), [false, false]);
    });
  });

  it('gives INVALID_DATA naming the object for a corrupt delta or a missing base', async () => {
    await ctx.withStore(async (store) => {
      const datas = versions(3, 'corrupt');
      const [first, second] = chain(datas);
      // Content the caller vouched for but that does not hash to its id: refused on read.
      const lying = deltaEntry(hashObject('blob', Buffer.from('something else')), 'blob', datas[1].length, first.id, 1, 0, Buffer.alloc(0));
      const delta = createDelta(datas[0], datas[1])!;
      lying.bytes = deltaEntry(lying.id, 'blob', datas[1].length, first.id, 1, delta.length, deflateSync(delta)).bytes;
      await store.putEntries([first, second, lying]);
      await rejectsWithCode(store.getObject(lying.id), 'INVALID_DATA', new RegExp(lying.id));
      // Readable neighbours stay readable.
      await readsBack(store, datas.slice(0, 2));
    });
  });

  it('keeps deltas readable when their base is deleted, rewriting them whole', async () => {
    await ctx.withStore(async (store) => {
      const datas = versions(4, 'bases');
      const entries = chain(datas);
      await store.putEntries(entries);
      assert.deepEqual(await store.listDependents(entries[0].id), [entries[1].id]);
      await store.deleteObject(entries[0].id);
      assert.equal(await store.hasObject(entries[0].id), false);
      await readsBack(store, datas.slice(1));
      assert.equal((await store.getEntries([entries[1].id])).get(entries[1].id)!.encoding, ENCODING.whole);
      await store.deleteObject(entries[1].id);
      await readsBack(store, datas.slice(2));
      assert.deepEqual(await store.listDependents(entries[1].id), []);
    });
  });

  it('lists the deltas on a base in id order, page by page', async () => {
    await ctx.withStore(async (store) => {
      const base = versions(1, 'fan')[0];
      const entries = chain([base]);
      const children: string[] = [];
      for (let i = 0; i < 25; i++) {
        const data = Buffer.concat([base, Buffer.from(`child ${i}\n`)]);
        const delta = createDelta(base, data)!;
        const e = deltaEntry(hashObject('blob', data), 'blob', data.length, entries[0].id, 1, delta.length, deflateSync(delta));
        entries.push(e);
        children.push(e.id);
      }
      await store.putEntries(entries);
      children.sort();
      assert.deepEqual(await store.listDependents(entries[0].id, { limit: 10 }), children.slice(0, 10));
      assert.deepEqual(await store.listDependents(entries[0].id, { after: children[9], limit: 100 }), children.slice(10));
    });
  });

  it('keeps the first entry of an id: putting it again, whole or as a delta, changes nothing', async () => {
    await ctx.withStore(async (store) => {
      const datas = versions(2, 'twice');
      const entries = chain(datas);
      await store.putEntries(entries);
      await store.putObject({ type: 'blob', data: datas[1] });
      assert.equal((await store.getEntries([entries[1].id])).get(entries[1].id)!.encoding, ENCODING.delta);
      await readsBack(store, datas);
    });
  });

  it('stores entries inside a transaction: seen there, not outside, until commit', async () => {
    const caps = await ctx.capabilities();
    if (!caps.transactions) return;
    await ctx.withStore(async (store) => {
      const datas = versions(3, 'tx');
      const entries = chain(datas);
      const tx = await store.begin();
      await tx.putEntries(entries);
      assert.ok(Buffer.from((await tx.getObject(entries[2].id))!.data).equals(datas[2]));
      assert.equal(await store.hasObject(entries[2].id), false);
      await tx.commit();
      await readsBack(store, datas);
    });
  });
}
