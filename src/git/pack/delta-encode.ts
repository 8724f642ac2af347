/**
 * Creates git deltas (the inverse of applyDelta): the base is indexed by
 * 16-byte blocks, the target scanned with a rolling hash; matches become
 * copy instructions, the rest inserts. Simple and greedy, like git's
 * diff-delta without its refinements.
 */
const BLOCK = 16;
const MULT = 0x01000193;
const MAX_COPY = 0xffffff;

function writeSize(out: number[], size: number): void {
  do {
    let byte = size & 0x7f;
    size = Math.floor(size / 128);
    if (size > 0) byte |= 0x80;
    out.push(byte);
  } while (size > 0);
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

/**
 * A delta turning `base` into `target`, or undefined when it would not be
 * smaller than `maxSize` bytes.
 */
export function createDelta(base: Uint8Array, target: Uint8Array, maxSize = Infinity): Buffer | undefined {
  const out: number[] = [];
  writeSize(out, base.length);
  writeSize(out, target.length);
  const index = new Map<number, number>();
  for (let i = 0; i + BLOCK <= base.length; i += BLOCK) {
    const h = blockHash(base, i);
    if (!index.has(h)) index.set(h, i);
  }
  const pending: number[] = [];
  const flushInserts = () => {
    for (let i = 0; i < pending.length; i += 127) {
      const n = Math.min(127, pending.length - i);
      out.push(n);
      for (let k = 0; k < n; k++) out.push(pending[i + k]);
    }
    pending.length = 0;
  };
  let p = 0;
  let h = target.length >= BLOCK ? blockHash(target, 0) : 0;
  while (p < target.length) {
    if (out.length + pending.length > maxSize) return undefined;
    let matched = 0;
    let from = 0;
    if (p + BLOCK <= target.length) {
      const at = index.get(h);
      if (at !== undefined) {
        let n = 0;
        while (at + n < base.length && p + n < target.length && base[at + n] === target[p + n] && n < MAX_COPY) n++;
        if (n >= BLOCK) {
          matched = n;
          from = at;
        }
      }
    }
    if (matched === 0) {
      pending.push(target[p]);
      if (p + BLOCK < target.length) h = (Math.imul(h - Math.imul(target[p], DROP), MULT) + target[p + BLOCK]) | 0;
      p++;
      continue;
    }
    flushInserts();
    // Copy instruction: offset and size bytes present only when non-zero.
    let op = 0x80;
    const args: number[] = [];
    for (let i = 0; i < 4; i++) {
      const byte = Math.floor(from / 2 ** (8 * i)) & 0xff;
      if (byte) {
        op |= 1 << i;
        args.push(byte);
      }
    }
    for (let i = 0; i < 3; i++) {
      const byte = (matched >> (8 * i)) & 0xff;
      if (byte) {
        op |= 0x10 << i;
        args.push(byte);
      }
    }
    out.push(op, ...args);
    p += matched;
    if (p + BLOCK <= target.length) h = blockHash(target, p);
  }
  flushInserts();
  if (out.length > maxSize) return undefined;
  return Buffer.from(out);
}
