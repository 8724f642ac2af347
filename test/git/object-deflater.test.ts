/** ObjectDeflater: one reused zlib state gives, object after object, what inflate reads back; the fallback too. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';
import { ObjectDeflater } from '../../src/git/pack/object-deflater.js';

const samples = [
  Buffer.alloc(0),
  Buffer.from('blob\n'),
  Buffer.from('tree 0123456789abcdef\n'.repeat(200)),
  randomBytes(70_000), // output larger than the 64 KiB scratch
  Buffer.alloc(1 << 20, 'abc'),
  randomBytes(3),
];

describe('ObjectDeflater', () => {
  it('reuses one zlib state on this Node', () => {
    const d = new ObjectDeflater(1);
    assert.equal(d.reusing, true);
    d.close();
  });

  for (const reuse of [true, false]) {
    it(`deflates each object as its own zlib stream after a prefix (${reuse ? 'reused state' : 'deflateSync'})`, () => {
      const d = new ObjectDeflater(1, reuse);
      assert.equal(d.reusing, reuse);
      try {
        for (let round = 0; round < 3; round++) {
          for (const s of samples) {
            const prefix = Buffer.from([round, 0x80 | s.length % 128, 0x11]);
            const out = d.deflate(s, prefix);
            assert.deepEqual(out.subarray(0, 3), prefix);
            assert.ok(inflateSync(out.subarray(3)).equals(s), `round ${round}, ${s.length} bytes`);
          }
        }
        // Same bytes as a fresh deflateSync: no state leaks from one object to the next.
        const text = Buffer.from('a short object that compresses a little, a little, a little\n');
        assert.deepEqual(d.deflate(text), deflateSync(text, { level: 1 }));
      } finally {
        d.close();
      }
    });
  }
});
