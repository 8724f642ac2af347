/** The byte-bounded LRU of delta bases: what it keeps, what it evicts, in which order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteLru } from '../../src/datastore/lru-cache.js';

const item = (byteLength: number, tag = '') => ({ byteLength, tag });

describe('ByteLru', () => {
  it('evicts least recently used first, a get counting as a use', () => {
    const lru = new ByteLru<number, ReturnType<typeof item>>(40);
    for (let k = 0; k < 4; k++) lru.set(k, item(10));
    assert.ok(lru.get(0)); // 0 is now the newest
    lru.set(4, item(10)); // evicts 1
    assert.equal(lru.get(1), undefined);
    lru.set(5, item(10)); // evicts 2
    assert.equal(lru.get(2), undefined);
    assert.ok(lru.get(0) && lru.get(3) && lru.get(4) && lru.get(5));
    assert.equal(lru.evictions, 2);
  });

  it('keeps its byte bound and its order over many evictions, set again and cleared', () => {
    const lru = new ByteLru<number, ReturnType<typeof item>>(1000);
    const live: number[] = [];
    let bytes = 0;
    for (let k = 0; k < 20_000; k++) {
      const size = 1 + (k % 7);
      lru.set(k, item(size, String(k)));
      live.push(k);
      bytes += size;
      while (bytes > 1000) bytes -= 1 + (live.shift()! % 7);
      if (k % 1000 === 999) {
        // Every live key is there, with its own value; the one evicted just before them is not.
        for (const key of live) assert.equal(lru.get(key)?.tag, String(key));
        assert.equal(lru.get(live[0] - 1), undefined);
      }
      if (k === 10_000) {
        lru.clear();
        live.length = 0;
        bytes = 0;
      }
    }
    // A key set again takes its new value and size, and becomes the newest.
    const first = live[0];
    lru.set(first, item(7, 'again'));
    assert.equal(lru.get(first)?.tag, 'again');
    lru.set(99_999, item(20));
    assert.equal(lru.get(first)?.tag, 'again');
    assert.equal(lru.get(live[1]), undefined);
  });

  it('does not keep a value larger than a quarter of its bound', () => {
    const lru = new ByteLru<string, ReturnType<typeof item>>(100);
    lru.set('big', item(26));
    assert.equal(lru.get('big'), undefined);
    lru.set('fits', item(25));
    assert.ok(lru.get('fits'));
  });
});
