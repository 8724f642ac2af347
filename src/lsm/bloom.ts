/** A bloom filter over a table's user keys: a get skips tables that surely lack the key. */

/** 32-bit murmur-style hash of a key. */
export function hashKey(key: Uint8Array): number {
  let h = 0x9747b28c ^ key.length;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key[i]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Filter bytes: the bit array, then one byte with the number of probes. */
export function buildBloom(hashes: number[], bitsPerKey: number): Buffer {
  const probes = Math.max(1, Math.min(30, Math.round(bitsPerKey * 0.69)));
  const bits = Math.max(64, hashes.length * bitsPerKey);
  const bytes = Math.ceil(bits / 8);
  const out = Buffer.alloc(bytes + 1);
  const nbits = bytes * 8;
  for (let h of hashes) {
    // Double hashing (as LevelDB): probe i is h + i * delta.
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let i = 0; i < probes; i++) {
      const bit = h % nbits;
      out[bit >>> 3]! |= 1 << (bit & 7);
      h = (h + delta) >>> 0;
    }
  }
  out[bytes] = probes;
  return out;
}

export function bloomMayContain(filter: Buffer, key: Uint8Array): boolean {
  return bloomHashMayContain(filter, hashKey(key));
}

/** bloomMayContain for a key whose hashKey() is known. */
export function bloomHashMayContain(filter: Buffer, hash: number): boolean {
  if (filter.length < 2) return true;
  const bytes = filter.length - 1;
  const probes = filter[bytes]!;
  const nbits = bytes * 8;
  let h = hash;
  const delta = ((h >>> 17) | (h << 15)) >>> 0;
  for (let i = 0; i < probes; i++) {
    const bit = h % nbits;
    if ((filter[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    h = (h + delta) >>> 0;
  }
  return true;
}
