/** The shared object representation: what reading an entry costs in memory. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntegrityError } from '../../src/datastore/errors.js';
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

  it('refuses an entry whose stream is corrupt, truncated, or inflates to another size than it declares, and reads the next one', () => {
    const data = Buffer.from('x'.repeat(3000) + 'tail');
    const good = wholeEntry('d'.repeat(40), 'blob', data);
    const cases = [
      { ...good, bytes: good.bytes.subarray(0, good.bytes.length - 8) },
      { ...good, bytes: Buffer.concat([Buffer.of(0x78, 0x01, 0xff, 0xff), good.bytes.subarray(4)]) },
      { ...good, size: data.length - 1 },
      { ...good, size: data.length + 1 },
    ];
    for (const bad of cases) {
      assert.throws(() => inflateWhole(bad), (err: unknown) => err instanceof IntegrityError && /does not inflate|inflates to/.test(err.message));
      assert.deepEqual(inflateWhole(good), data);
    }
    const delta = Buffer.from([4, 4, 0x90, 4]);
    const d = deltaEntry('e'.repeat(40), 'blob', 4, 'd'.repeat(40), 1, delta.length + 1, deflate(delta));
    assert.throws(() => inflateDelta(d), IntegrityError);
  });
});
