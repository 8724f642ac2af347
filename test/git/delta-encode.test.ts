/** createDelta over random edits: applyDelta gives the target back, and a size limit is kept. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDelta, createDelta } from '../../src/git/index.js';

function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    return x % n;
  };
}

describe('createDelta', () => {
  it('inverts applyDelta for random edits, within maxSize when it returns one', () => {
    const rand = rng(7);
    let deltas = 0;
    for (let t = 0; t < 400; t++) {
      const len = rand(5000);
      const base = Buffer.from(Array.from({ length: len }, () => rand(t % 3 === 0 ? 4 : 256)));
      const insert = Buffer.from(String(t).repeat(rand(300)));
      const target = Buffer.concat([base.subarray(rand(len + 1)), insert, base.subarray(0, rand(len + 1))]);
      const maxSize = [Infinity, target.length / 2, rand(100)][t % 3];
      const delta = createDelta(base, target, maxSize);
      if (!delta) continue;
      deltas++;
      assert.ok(delta.length <= maxSize, `case ${t}: ${delta.length} > ${maxSize}`);
      assert.ok(applyDelta(base, delta).equals(target), `case ${t}`);
    }
    assert.ok(deltas > 200, `${deltas} deltas`);
  });

  it('copies long shared runs instead of inserting them', () => {
    const base = Buffer.from('x'.repeat(10) + 'the same long run of text, shared by both versions'.repeat(40));
    const target = Buffer.concat([Buffer.from('new start '), base.subarray(10), Buffer.from(' new end')]);
    const delta = createDelta(base, target)!;
    assert.ok(delta.length < 40, `${delta.length} bytes`);
    assert.ok(applyDelta(base, delta).equals(target));
    assert.equal(createDelta(base, target, 10), undefined);
  });
});
