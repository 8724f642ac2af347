/** The byte-bounded LRU behind the delta-base, tree and block caches. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteLru } from '../../src/datastore/lru-cache.js';

const v = (n: number) => ({ byteLength: n });

describe('ByteLru', () => {
  it('evicts the least recently used first; a get makes an entry recent', () => {
    const lru = new ByteLru<string, { byteLength: number }>(40);
    for (const k of ['a', 'b', 'c', 'd']) lru.set(k, v(10));
    assert.ok(lru.get('a'));
    lru.set('e', v(10));
    assert.equal(lru.get('b'), undefined);
    assert.ok(lru.get('a') && lru.get('c') && lru.get('d') && lru.get('e'));
    assert.equal(lru.evictions, 1);
  });

  it('stays within its bytes, evicting as many as needed; skips values over a quarter of it', () => {
    const lru = new ByteLru<number, { byteLength: number }>(100);
    for (let i = 0; i < 10; i++) lru.set(i, v(10));
    lru.set(10, v(25));
    lru.set(11, v(26));
    assert.equal(lru.get(11), undefined);
    assert.deepEqual([...Array(11).keys()].filter((k) => lru.get(k)), [3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(lru.evictions, 3);
  });

  it('replaces a key in place, and forgets deleted and cleared keys', () => {
    const lru = new ByteLru<string, { byteLength: number; tag?: string }>(40);
    lru.set('a', { byteLength: 10, tag: 'old' });
    lru.set('a', { byteLength: 10, tag: 'new' });
    assert.equal(lru.get('a')?.tag, 'new');
    lru.set('b', v(10));
    lru.delete('a');
    lru.delete('missing');
    assert.equal(lru.get('a'), undefined);
    // What the deleted and replaced entries held is given back: four more fit without eviction.
    for (const k of ['c', 'd', 'e']) lru.set(k, v(10));
    assert.equal(lru.evictions, 0);
    lru.clear();
    assert.equal(lru.get('b'), undefined);
    for (const k of ['f', 'g', 'h', 'i']) lru.set(k, v(10));
    assert.equal(lru.evictions, 0);
  });
});
