/**
 * Creates git deltas (the inverse of applyDelta): the base is indexed by
 * 16-byte blocks, the target scanned with a rolling hash; matches become
 * copy instructions, the rest inserts. Simple and greedy, like git's
 * diff-delta without its refinements. Written into one preallocated buffer
 * with an open-addressing block index: a clone deltifies tens of thousands
 * of trees, so this is on the hot path.
 */
const BLOCK = 16;
const MULT = 0x01000193;
const MAX_COPY = 0xffffff;
const MAX_INSERT = 127;

function sizeBytes(size: number): number {
  let n = 1;
  while (size >= 128) {
    size = Math.floor(size / 128);
    n++;
  }
  return n;
}

function writeSize(out: Buffer, at: number, size: number): number {
  do {
    let byte = size & 0x7f;
    size = Math.floor(size / 128);
    if (size > 0) byte |= 0x80;
    out[at++] = byte;
  } while (size > 0);
  return at;
}

function blockHash(buf: Uint8Array, at: number): number {
  let h = 0;
  for (let i = 0; i < BLOCK; i++) h = (Math.imul(h, MULT) + buf[at + i]) | 0;
  return h;
}

/** MULT^(BLOCK-1), to drop the outgoing byte from the rolling hash. */
const DROP = (() => {
  let p = 1;
  for (let i = 0; i < BLOCK - 1; i++) p = Math.imul(p, MULT);
  return p;
})();

const MAX_SCRATCH = 1 << 16;
let scratchHashes = new Int32Array(1024);
let scratchOffsets = new Int32Array(1024);

/** The first offset of each distinct block hash of `base` (open addressing; offset + 1, 0 for empty). */
class BlockIndex {
  private readonly mask: number;
  private readonly hashes: Int32Array;
  private readonly offsets: Int32Array;

  constructor(base: Uint8Array) {
    const blocks = Math.floor(base.length / BLOCK);
    let size = 16;
    while (size < blocks * 2) size *= 2;
    this.mask = size - 1;
    // Shared scratch tables (createDelta is synchronous): allocating two per delta showed in profiles.
    // Big bases get their own tables, so the scratch stays small.
    if (size > MAX_SCRATCH) {
      this.hashes = new Int32Array(size);
      this.offsets = new Int32Array(size);
    } else {
      if (scratchOffsets.length < size) {
        scratchHashes = new Int32Array(size);
        scratchOffsets = new Int32Array(size);
      } else scratchOffsets.fill(0, 0, size);
      this.hashes = scratchHashes;
      this.offsets = scratchOffsets;
    }
    for (let i = 0; i + BLOCK <= base.length; i += BLOCK) {
      const h = blockHash(base, i);
      let slot = mix(h) & this.mask;
      while (this.offsets[slot] !== 0 && this.hashes[slot] !== h) slot = (slot + 1) & this.mask;
      if (this.offsets[slot] === 0) {
        this.hashes[slot] = h;
        this.offsets[slot] = i + 1;
      }
    }
  }

  /** The base offset of a block with this hash, or -1. */
  find(h: number): number {
    let slot = mix(h) & this.mask;
    for (;;) {
      const at = this.offsets[slot];
      if (at === 0) return -1;
      if (this.hashes[slot] === h) return at - 1;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** Spreads a rolling hash's bits over the low ones used as a slot. */
function mix(h: number): number {
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 12;
}

/**
 * A delta turning `base` into `target`, or undefined when it would not be
 * smaller than `maxSize` bytes.
 */
export function createDelta(base: Uint8Array, target: Uint8Array, maxSize = Infinity): Buffer | undefined {
  // Worst case: every byte an insert, one opcode per 127 of them.
  const worst = sizeBytes(base.length) + sizeBytes(target.length) + target.length + Math.ceil(target.length / MAX_INSERT);
  const limit = Math.min(worst, Math.floor(maxSize));
  // A copy instruction is at most 8 bytes: room for one past the limit before checking.
  const out = Buffer.allocUnsafe(Math.min(worst, limit + 8));
  let o = writeSize(out, 0, base.length);
  o = writeSize(out, o, target.length);
  if (o > limit) return undefined;
  const index = new BlockIndex(base);

  // Inserts are always a run of target bytes: [insertStart, p).
  let insertStart = 0;
  const flushInserts = (end: number): boolean => {
    let from = insertStart;
    while (from < end) {
      const n = Math.min(MAX_INSERT, end - from);
      if (o + 1 + n > limit) return false;
      out[o++] = n;
      out.set(target.subarray(from, from + n), o);
      o += n;
      from += n;
    }
    return true;
  };

  let p = 0;
  let h = target.length >= BLOCK ? blockHash(target, 0) : 0;
  while (p < target.length) {
    // Pending inserts cost at least their bytes: give up as soon as they cannot fit.
    if (o + (p - insertStart) > limit) return undefined;
    let matched = 0;
    let from = 0;
    if (p + BLOCK <= target.length) {
      const at = index.find(h);
      if (at >= 0) {
        let n = 0;
        while (at + n < base.length && p + n < target.length && base[at + n] === target[p + n] && n < MAX_COPY) n++;
        if (n >= BLOCK) {
          matched = n;
          from = at;
        }
      }
    }
    if (matched === 0) {
      if (p + BLOCK < target.length) h = (Math.imul(h - Math.imul(target[p], DROP), MULT) + target[p + BLOCK]) | 0;
      p++;
      continue;
    }
    if (!flushInserts(p)) return undefined;
    // Copy instruction: offset and size bytes present only when non-zero.
    const opAt = o++;
    let op = 0x80;
    for (let i = 0; i < 4; i++) {
      const byte = Math.floor(from / 2 ** (8 * i)) & 0xff;
      if (byte) {
        op |= 1 << i;
        out[o++] = byte;
      }
    }
    for (let i = 0; i < 3; i++) {
      const byte = (matched >> (8 * i)) & 0xff;
      if (byte) {
        op |= 0x10 << i;
        out[o++] = byte;
      }
    }
    out[opAt] = op;
    if (o > limit) return undefined;
    p += matched;
    insertStart = p;
    if (p + BLOCK <= target.length) h = blockHash(target, p);
  }
  if (!flushInserts(p)) return undefined;
  return Buffer.from(out.buffer, out.byteOffset, o);
}
