import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashObject } from '../../src/datastore/hash.js';
import { CHUNK_IDS, IdList } from '../../src/datastore/id-list.js';
import { IdSet } from '../../src/datastore/id-set.js';
import { SendList } from '../../src/git/transfer/send-list.js';

const ids = (n: number, format: 'sha1' | 'sha256' = 'sha1') => Array.from({ length: n }, (_, i) => hashObject('blob', Buffer.from(`object ${i}`), format));

describe('IdSet', () => {
  it('holds each id once, in the order first added, and tells members from others', () => {
    const set = new IdSet();
    const [a, b, c] = ids(3);
    assert.equal(set.has(a), false, 'an empty set has nothing');
    assert.equal(set.add(a), true);
    assert.equal(set.add(b), true);
    assert.equal(set.add(a), false, 'a second add is not new');
    assert.equal(set.size, 2);
    assert.deepEqual([set.has(a), set.has(b), set.has(c)], [true, true, false]);
    assert.deepEqual([set.indexOf(b), set.indexOf(a), set.indexOf(c)], [1, 0, -1]);
    assert.deepEqual([...set], [a, b]);
    assert.equal(set.insert(b), 1, 'insert gives the place of an id it has');
    assert.equal(set.insert(c), 2, 'and of one it adds');
  });

  it('grows far past its first size and still finds every id, and none it was not given', () => {
    const all = ids(20_000);
    const set = new IdSet(4);
    for (const id of all.slice(0, 10_000)) set.add(id);
    assert.equal(set.size, 10_000);
    assert.ok(all.slice(0, 10_000).every((id, i) => set.indexOf(id) === i));
    assert.ok(all.slice(10_000).every((id) => !set.has(id)));
  });

  it('finds ids whose hashes collide (the same words where the hash reads), told apart by their other bytes', () => {
    // The hash reads the first and last four bytes: these ids share both and probe the same slots.
    const colliding = Array.from({ length: 300 }, (_, i) => `abcdef01${i.toString(16).padStart(24, '0')}23456789`);
    const set = new IdSet(2);
    for (const id of colliding) assert.equal(set.add(id), true);
    assert.equal(set.size, colliding.length);
    assert.ok(colliding.every((id, i) => set.indexOf(id) === i));
    assert.equal(set.has(`abcdef01${'f'.repeat(24)}23456789`), false);
  });

  it('takes SHA-256 ids, and refuses what is not an id of its width', () => {
    const set = new IdSet();
    const [a] = ids(1, 'sha256');
    set.add(a);
    assert.ok(set.has(a));
    assert.equal(set.has(ids(1)[0]), false, 'a SHA-1 id is no member of a SHA-256 set');
    assert.throws(() => set.add(ids(1)[0]), RangeError);
    assert.throws(() => new IdSet().add('not an id'), RangeError);
    assert.equal(new IdSet().has('zz'.repeat(20)), false);
  });
});

describe('IdList', () => {
  it('orders ids as their hex does, and copies their bytes', () => {
    const list = new IdList(1);
    const [a, b] = ids(2).sort();
    list.push(b);
    list.push(a);
    assert.ok(list.compare(1, 0) < 0 && list.compare(0, 1) > 0 && list.compare(0, 0) === 0);
    assert.ok(list.prefixAt(1) <= list.prefixAt(0));
    const out = Buffer.alloc(20);
    list.copyTo(1, out, 0);
    assert.equal(out.toString('hex'), a);
  });

  it('keeps ids past its first chunks whole: each read, compared and copied as pushed, across chunk edges', () => {
    const n = 2 * CHUNK_IDS + 3;
    const all = ids(n);
    const list = new IdList(5);
    all.forEach((id, i) => assert.equal(list.push(id), i));
    assert.equal(list.length, n);
    const edges = [0, 4, 5, CHUNK_IDS - 1, CHUNK_IDS, CHUNK_IDS + 1, 2 * CHUNK_IDS - 1, 2 * CHUNK_IDS, n - 1];
    const out = Buffer.alloc(20);
    const key = Buffer.alloc(32);
    for (const i of edges) {
      assert.equal(list.at(i), all[i], `id ${i}`);
      list.copyTo(i, out, 0);
      assert.equal(out.toString('hex'), all[i]);
      assert.equal(list.prefixAt(i), parseInt(all[i].slice(0, 12), 16));
      assert.ok(list.parse(all[i], key) && list.matches(i, key));
      assert.equal(list.matches(i === 0 ? 1 : 0, key), false);
    }
    for (const [i, j] of [[CHUNK_IDS - 1, CHUNK_IDS], [1, 2 * CHUNK_IDS + 1], [2 * CHUNK_IDS, 7]]) {
      assert.equal(Math.sign(list.compare(i, j)), Math.sign(all[i] < all[j] ? -1 : 1), `compare ${i} ${j}`);
    }
    assert.throws(() => list.at(n), RangeError);
    const set = new IdSet(3);
    for (const id of all) set.add(id);
    assert.ok(all.every((id, i) => set.indexOf(id) === i), 'a set over several chunks finds each id at its place');
  });
});

describe('SendList', () => {
  it('keeps objects in the order pushed with their types and names, each id once', () => {
    const [a, b, c] = ids(3);
    const list = new SendList(1);
    assert.equal(list.push(a, 'commit'), true);
    assert.equal(list.push(b, 'blob', 'README'), true);
    assert.equal(list.push(a, 'tag'), false, 'an id already in the list is dropped');
    assert.equal(list.push(c, 'tree', 'README'), true);
    assert.deepEqual([...list], [
      { id: a, type: 'commit' },
      { id: b, type: 'blob', name: 'README' },
      { id: c, type: 'tree', name: 'README' },
    ]);
    assert.deepEqual([list.indexOf(c), list.typeAt(2), list.has(b)], [2, 'tree', true]);
    const many = ids(5000);
    const big = SendList.from(many.map((id, i) => ({ id, type: 'blob' as const, name: `f${i % 7}` })));
    assert.equal(big.length, many.length);
    assert.deepEqual(big.at(4999), { id: many[4999], type: 'blob', name: `f${4999 % 7}` });
  });
});
