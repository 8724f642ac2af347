/** The engine's API: ordering and iterators, batches, snapshots, close and the lock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LsmDb, WriteBatch } from '../../src/lsm/index.js';
import { b, freshDir, modelRange, SMALL, text } from './helpers.js';

const keysOf = (db: LsmDb, r: Parameters<LsmDb['iterator']>[0]) => [...db.iterator(r)].map((e) => text(e.key));

describe('lsm engine: ordering and iterators', () => {
  it('orders keys as unsigned bytes with every bound, both directions and limits, across memtable and tables', async () => {
    const db = await LsmDb.open(freshDir(), SMALL);
    try {
      const keys = ['a', 'a\u0000', 'a\u0001', 'ab', 'b', 'b\u00ff', 'c', '\u00ff'];
      // Half the keys end up in a table, half stay in the memtable; one is deleted in the memtable.
      await db.write(keys.slice(0, 4).map((k) => ({ type: 'put', key: b(k), value: b(`v-${k}`) })));
      await db.flush();
      await db.write(keys.slice(4).map((k) => ({ type: 'put', key: b(k), value: b(`v-${k}`) })));
      await db.delete(b('a\u0001'));
      const model = new Map(keys.filter((k) => k !== 'a\u0001').map((k) => [k, `v-${k}`]));
      const ranges = [
        {}, { gte: 'a', lt: 'b' }, { gt: 'a', lte: 'b' }, { gte: 'a', lt: 'b', reverse: true }, { gt: 'a', lte: 'b', reverse: true },
        { gte: 'b', reverse: true, limit: 2 }, { lt: 'b', limit: 2 }, { gt: 'c' }, { gt: '\u00ff' }, { reverse: true },
      ];
      for (const r of ranges) {
        const range = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' ? b(v) : v]));
        const got = [...db.iterator(range)].map((e) => [text(e.key), text(e.value)]);
        assert.deepEqual(got, modelRange(model, r), JSON.stringify(r));
      }
      assert.equal(text(db.get(b('ab'))), 'v-ab');
      assert.equal(db.get(b('a\u0001')), undefined);
      assert.equal(db.get(b('zz')), undefined);
    } finally {
      await db.close();
    }
  });

  it('applies a batch all together, the last op on a key winning', async () => {
    const db = await LsmDb.open(freshDir(), SMALL);
    try {
      await db.put(b('x'), b('old'));
      await db.write(new WriteBatch().put(b('x'), b('1')).delete(b('x')).put(b('y'), b('2')).put(b('y'), b('3')));
      assert.equal(db.get(b('x')), undefined);
      assert.equal(text(db.get(b('y'))), '3');
      await assert.rejects(db.write([{ type: 'put', key: Buffer.alloc(70_000), value: b('v') }]), /exceeds/);
    } finally {
      await db.close();
    }
  });

  it('keeps snapshots and open iterators on their state through writes, flushes and compactions', async () => {
    const db = await LsmDb.open(freshDir(), SMALL);
    try {
      for (let i = 0; i < 300; i++) await db.put(b(`k${String(i).padStart(4, '0')}`), b(`old${i}`.padEnd(40, '.')));
      const snap = db.snapshot();
      const it = db.iterator({ gte: b('k') });
      const first = it.next();
      assert.equal(text(first.value!.key), 'k0000');
      for (let i = 0; i < 600; i++) {
        if (i >= 300) await db.put(b(`other${i}`), b('x'.repeat(200)));
        else if (i % 3 === 0) await db.delete(b(`k${String(i).padStart(4, '0')}`));
        else await db.put(b(`k${String(i).padStart(4, '0')}`), b(`new${i}`.padEnd(300, '!')));
      }
      await db.flush();
      await db.waitForBackground();
      assert.ok(db.stats().compactions + db.stats().trivialMoves > 0, 'the writes compacted');
      const rest = [...it].map((e) => text(e.value)!.replace(/\.+$/, ''));
      assert.equal(rest.length, 299);
      assert.ok(rest.every((v, i) => v === `old${i + 1}`));
      const atSnap = [...db.iterator({ snapshot: snap })];
      assert.equal(atSnap.length, 300);
      assert.equal(text(db.get(b('k0000'), snap))!.replace(/\.+$/, ''), 'old0');
      assert.equal(db.get(b('k0000')), undefined);
      assert.equal(text(db.get(b('k0001')))!.slice(0, 4), 'new1');
      snap.release();
      assert.throws(() => db.get(b('k0000'), snap), /released/);
      assert.equal([...db.iterator({ lt: b('l') })].length, 200);
    } finally {
      await db.close();
    }
  });

  it('refuses use after close with CLOSED and a second open with LOCKED', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, SMALL);
    await assert.rejects(LsmDb.open(dir, SMALL), (err: { code?: string; message: string }) => err.code === 'LOCKED' && /already open/.test(err.message));
    await db.put(b('k'), b('v'));
    await db.close();
    assert.throws(() => db.get(b('k')), (err: { code?: string }) => err.code === 'CLOSED');
    await assert.rejects(db.put(b('k'), b('v')), (err: { code?: string }) => err.code === 'CLOSED');
    const again = await LsmDb.open(dir, SMALL);
    assert.equal(text(again.get(b('k'))), 'v');
    await again.close();
  });

  it('commits concurrent writes in groups, fsynced once per group with sync', async () => {
    const db = await LsmDb.open(freshDir(), { ...SMALL, sync: true });
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => db.put(b(`g${i}`), b(`v${i}`))));
      for (let i = 0; i < 200; i++) assert.equal(text(db.get(b(`g${i}`))), `v${i}`);
      assert.equal(keysOf(db, { gte: b('g'), lt: b('h') }).length, 200);
      const { writeGroups, walSyncs } = db.stats();
      assert.equal(walSyncs, writeGroups);
      assert.ok(writeGroups < 100, `200 concurrent writes took ${writeGroups} groups`);
    } finally {
      await db.close();
    }
  });
});
