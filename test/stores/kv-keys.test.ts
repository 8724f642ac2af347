/** The key schema: escaped components keep code point order and can never run into one another. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareStrings } from '../../src/datastore/filters.js';
import {
  NS,
  compareBytes,
  decodeTime,
  encodeTime,
  escapeComponent,
  eventIndexKey,
  key,
  keyPrefix,
  prefixEnd,
  unescapeComponent,
} from '../../src/datastore/stores/kv/keys.js';

/** Strings rich in the bytes that matter: separators, escapes, surrogate pairs, U+FFFD, 0xff-leading UTF-8. */
const ALPHABET = ['\u0000', '\u0001', '\u0002', 'a', 'b', '/', ':', '\u00ff', '\ud7ff', '\ue000', '\ufffd', '😀', '\u{10ffff}'];

function randomString(rand: () => number): string {
  const n = Math.floor(rand() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

/** A small deterministic generator, so a failure reproduces. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('kv key schema', () => {
  it('escapes components reversibly, without a 0x00 byte', () => {
    const rand = lcg(1);
    for (let i = 0; i < 2000; i++) {
      const s = randomString(rand);
      const e = escapeComponent(s);
      assert.equal(e.includes(0), false, JSON.stringify(s));
      assert.equal(unescapeComponent(e), s);
    }
  });

  it('orders (component, component) keys exactly as code point order of the parts', () => {
    const rand = lcg(2);
    const pairs = Array.from({ length: 400 }, () => [randomString(rand), randomString(rand)] as const);
    const byKey = [...pairs].sort((a, b) => compareBytes(key(NS.ref, a[0], a[1]), key(NS.ref, b[0], b[1])));
    const byText = [...pairs].sort((a, b) => compareStrings(a[0], b[0]) || compareStrings(a[1], b[1]));
    assert.deepEqual(byKey, byText);
  });

  it('never gives two different (repository, ref) pairs the same key or prefix', () => {
    const rand = lcg(3);
    const seen = new Map<string, string>();
    for (let i = 0; i < 3000; i++) {
      const repo = randomString(rand);
      const ref = randomString(rand);
      const k = key(NS.ref, repo, ref).toString('latin1');
      const pair = JSON.stringify([repo, ref]);
      assert.ok(!seen.has(k) || seen.get(k) === pair, `${pair} collides with ${seen.get(k)}`);
      seen.set(k, pair);
    }
    // A repository's ref range holds its refs and nobody else's.
    const a = keyPrefix(NS.ref, 'a');
    const inRange = (k: Buffer) => compareBytes(k, a) >= 0 && compareBytes(k, prefixEnd(a)!) < 0;
    assert.equal(inRange(key(NS.ref, 'a', 'refs/heads/x')), true);
    assert.equal(inRange(key(NS.ref, 'a\u0000b', 'c')), false);
    assert.equal(inRange(key(NS.ref, 'a\u0001', 'c')), false);
    assert.equal(inRange(key(NS.ref, 'ab', 'c')), false);
    assert.notDeepEqual(key(NS.ref, 'a\u0000b', 'c'), key(NS.ref, 'a', 'b\u0000c'));
  });

  it('keeps literal prefixes as key prefixes: a name starts with p exactly when its key starts with the key of p', () => {
    const rand = lcg(4);
    for (let i = 0; i < 2000; i++) {
      const s = randomString(rand);
      const p = Array.from(randomString(rand)).slice(0, 2).join('');
      const keyHasPrefix = key(NS.repositoryName, s).subarray(0, key(NS.repositoryName, p).length).equals(key(NS.repositoryName, p));
      assert.equal(keyHasPrefix, s.startsWith(p), JSON.stringify({ s, p }));
    }
  });

  it('encodes times so byte order is numeric order, negative times included', () => {
    const times = [-8.64e15, -1, 0, 1, 999, 1000, Date.UTC(2025, 0, 1), 8.64e15];
    for (let i = 1; i < times.length; i++) assert.ok(compareBytes(encodeTime(times[i - 1]), encodeTime(times[i])) < 0);
    for (const t of times) assert.equal(decodeTime(encodeTime(t)), t);
  });

  it('orders event index keys by value, then time, then id', () => {
    const keys = [
      eventIndexKey('userId', 'u', 2000, 'a'),
      eventIndexKey('userId', 'u', 1000, 'b'),
      eventIndexKey('userId', 'u', 1000, 'a'),
      eventIndexKey('userId', 'u\u0000', 0, 'a'),
      eventIndexKey('userId', 't', 5000, 'z'),
    ].sort(compareBytes);
    assert.deepEqual(keys, [
      eventIndexKey('userId', 't', 5000, 'z'),
      eventIndexKey('userId', 'u', 1000, 'a'),
      eventIndexKey('userId', 'u', 1000, 'b'),
      eventIndexKey('userId', 'u', 2000, 'a'),
      eventIndexKey('userId', 'u\u0000', 0, 'a'),
    ]);
  });
});
