/** The shared object representation: what reading an entry costs in memory. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inflateDelta, inflateWhole, deltaEntry, deflate, wholeEntry } from '../../src/datastore/objects/encoding.js';

describe('object entries', () => {
  it('inflate small objects into buffers of their own size, not views of a 16 KiB zlib chunk', () => {
    // A walk keeps thousands of small trees and commits in byte-bounded caches: a view that
    // holds a 16 KiB chunk made a 32 MiB cache hold 2 GiB.
    const held = (bufs: Buffer[]) => [...new Set(bufs.map((b) => b.buffer))].reduce((n, ab) => n + ab.byteLength, 0);
    const wholes: Buffer[] = [];
    const deltas: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const data = Buffer.from(`tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b> ${i} +0000\n`);
      const whole = inflateWhole(wholeEntry('a'.repeat(40), 'commit', data));
      assert.deepEqual(whole, data);
      wholes.push(whole);
      const delta = Buffer.from([data.length, data.length, 0x90, data.length]);
      const d = inflateDelta(deltaEntry('b'.repeat(40), 'commit', data.length, 'a'.repeat(40), 1, delta.length, deflate(delta)));
      assert.deepEqual(d, delta);
      deltas.push(d);
    }
    // Small results may share Node's 8 KiB buffer pool; none may hold a chunk of its own.
    assert.ok(held(wholes) < 2000 * 1024, `2,000 small objects hold ${held(wholes)} bytes`);
    assert.ok(held(deltas) < 2000 * 1024, `2,000 small deltas hold ${held(deltas)} bytes`);
  });

  it('inflates a large object whole', () => {
    const data = Buffer.alloc(3 << 20, 7);
    assert.deepEqual(inflateWhole(wholeEntry('c'.repeat(40), 'blob', data)), data);
  });
});
