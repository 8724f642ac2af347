/** A seeded PRNG and byte mutations in the style of AFL: small, stacked, reproducible. */

/** mulberry32: 32-bit state, good enough to spread mutations, and trivially seeded. */
export function prng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

export interface Rng {
  /** [0, 1) */
  next(): number;
  /** [0, n) */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

/** Bytes where parsers turn: sign bits, varint continuation, all-ones. */
const INTERESTING_BYTES = [0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xfe, 0xff];
const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** A varint git would read as a size far beyond any real object: continuation bits then a stop byte. */
function hugeVarint(rng: Rng): Buffer {
  const n = 1 + rng.int(11);
  return Buffer.from([...Array(n).fill(rng.pick([0xff, 0x80, 0x8f])), rng.pick([0x7f, 0x01, 0x0f])]);
}

type Mutation = (b: Buffer, rng: Rng, other: Buffer, dict: readonly Buffer[]) => Buffer;

const at = (b: Buffer, rng: Rng) => rng.int(b.length + 1);

const MUTATIONS: Mutation[] = [
  function flipBit(b, rng) {
    if (b.length === 0) return b;
    const i = rng.int(b.length);
    b[i] ^= 1 << rng.int(8);
    return b;
  },
  function setByte(b, rng) {
    if (b.length === 0) return b;
    b[rng.int(b.length)] = rng.next() < 0.7 ? rng.pick(INTERESTING_BYTES) : rng.int(256);
    return b;
  },
  function setU32(b, rng) {
    if (b.length < 4) return b;
    const v = rng.pick(INTERESTING_U32);
    const i = rng.int(b.length - 3);
    if (rng.next() < 0.5) b.writeUInt32BE(v, i);
    else b.writeUInt32LE(v, i);
    return b;
  },
  function insertBytes(b, rng) {
    const i = at(b, rng);
    const ins = Buffer.from(Array.from({ length: 1 + rng.int(8) }, () => (rng.next() < 0.5 ? rng.pick(INTERESTING_BYTES) : rng.int(256))));
    return Buffer.concat([b.subarray(0, i), ins, b.subarray(i)]);
  },
  function insertHugeVarint(b, rng) {
    const i = at(b, rng);
    return Buffer.concat([b.subarray(0, i), hugeVarint(rng), b.subarray(i)]);
  },
  function deleteRange(b, rng) {
    const i = at(b, rng);
    return Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + rng.int(16)))]);
  },
  function duplicateRange(b, rng) {
    const i = at(b, rng);
    const chunk = b.subarray(i, i + 1 + rng.int(64));
    const j = at(b, rng);
    return Buffer.concat([b.subarray(0, j), chunk, b.subarray(j)]);
  },
  function truncate(b, rng) {
    return b.subarray(0, at(b, rng));
  },
  function splice(b, rng, other) {
    return Buffer.concat([b.subarray(0, at(b, rng)), other.subarray(rng.int(other.length + 1))]);
  },
  function insertToken(b, rng, _other, dict) {
    if (dict.length === 0) return b;
    const i = at(b, rng);
    return Buffer.concat([b.subarray(0, i), rng.pick(dict), b.subarray(i)]);
  },
];

/** One fuzz input: a copy of a seed with 1 to 4 stacked mutations. */
export function mutate(seed: Buffer, rng: Rng, others: readonly Buffer[], dict: readonly Buffer[] = []): Buffer {
  let b = Buffer.from(seed);
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) b = Buffer.from(rng.pick(MUTATIONS)(b, rng, rng.pick(others), dict));
  return b;
}
