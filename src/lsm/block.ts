/**
 * Data and index blocks. Keys are prefix-compressed against the previous key;
 * every `restartInterval` entries a key is stored whole (a restart point), and
 * the offsets of the restart points end the block, so a lookup
 * binary-searches them and then scans at most one interval.
 *
 *   entry    := shared varint | unshared varint | valueLen varint | key[shared:] | value
 *   trailer  := restart offsets (u32 LE each) | restart count (u32 LE)
 *
 * Keys here are internal keys (user key + 7-byte trailer).
 */
import { ByteReader, ByteWriter, compareEntry, kindOf, seqOf, TRAILER, type Kind } from './coding.js';
import type { Entry } from './cursor.js';
import { corruption } from './errors.js';

export class BlockBuilder {
  private readonly out = new ByteWriter(8192);
  private readonly restarts: number[] = [0];
  private lastKey: Buffer = Buffer.alloc(0);
  private sinceRestart = 0;
  entries = 0;

  constructor(private readonly restartInterval = 16) {}

  add(ikey: Buffer, value: Uint8Array): void {
    let shared = 0;
    if (this.sinceRestart >= this.restartInterval) {
      this.restarts.push(this.out.length);
      this.sinceRestart = 0;
    } else {
      const max = Math.min(ikey.length, this.lastKey.length);
      while (shared < max && ikey[shared] === this.lastKey[shared]) shared++;
    }
    this.out.varint(shared).varint(ikey.length - shared).varint(value.length);
    this.out.bytes(ikey.subarray(shared)).bytes(value);
    this.lastKey = ikey;
    this.sinceRestart++;
    this.entries++;
  }

  get sizeEstimate(): number {
    return this.out.length + 4 * this.restarts.length + 4;
  }

  get last(): Buffer {
    return this.lastKey;
  }

  /** The finished block; the builder is empty again afterwards. */
  finish(): Buffer {
    for (const r of this.restarts) this.out.u32(r);
    this.out.u32(this.restarts.length);
    const block = Buffer.from(this.out.view());
    this.out.reset();
    this.restarts.length = 1;
    this.lastKey = Buffer.alloc(0);
    this.sinceRestart = 0;
    this.entries = 0;
    return block;
  }
}

/** Reads one decoded (decompressed, checksum-verified) block. */
export class Block {
  private readonly restartsAt: number;
  private readonly restartCount: number;

  constructor(readonly data: Buffer, private readonly where: Record<string, unknown>) {
    if (data.length < 4) throw corruption('block shorter than its trailer', where);
    this.restartCount = data.readUInt32LE(data.length - 4);
    this.restartsAt = data.length - 4 - 4 * this.restartCount;
    if (this.restartCount === 0 || this.restartsAt < 0) throw corruption('bad restart count in block', where);
  }

  get byteLength(): number {
    return this.data.length;
  }

  private reader(at: number): ByteReader {
    return new ByteReader(this.data, at, this.restartsAt, (what) => corruption(`block entry: ${what}`, this.where));
  }

  /** The whole key stored at a restart point. */
  private restartKey(i: number): Buffer {
    const r = this.reader(this.data.readUInt32LE(this.restartsAt + 4 * i));
    const shared = r.varint();
    if (shared !== 0) throw corruption('restart entry shares a prefix', this.where);
    const unshared = r.varint();
    r.varint();
    return r.bytes(unshared);
  }

  /** Decodes the entry at the reader's position; `prev` is the key before it (for the shared prefix). */
  private decodeNext(r: ByteReader, prev: Buffer): { key: Buffer; value: Buffer } {
    const shared = r.varint();
    const unshared = r.varint();
    const vlen = r.varint();
    if (shared > prev.length) throw corruption('entry shares more than the previous key', this.where);
    const key = Buffer.allocUnsafe(shared + unshared);
    prev.copy(key, 0, 0, shared);
    r.bytes(unshared).copy(key, shared);
    if (key.length < TRAILER) throw corruption('key shorter than its trailer', this.where);
    return { key, value: r.bytes(vlen) };
  }

  /** Every entry, in block order, keys copied out (values are views into the block). */
  entries(): Entry[] {
    const out: Entry[] = [];
    const r = this.reader(0);
    let key: Buffer = Buffer.alloc(0);
    while (!r.done) {
      const next = this.decodeNext(r, key);
      key = next.key;
      out.push({ key: key.subarray(0, key.length - TRAILER), seq: seqOf(key), kind: kindOf(key), value: next.value });
    }
    return out;
  }

  /**
   * The first entry >= (userKey, seq) in internal order, or undefined when the
   * block holds none. Binary search over restart points, then a short scan.
   */
  seek(userKey: Buffer, seq: number): Entry | undefined {
    let lo = 0;
    let hi = this.restartCount - 1;
    // Last restart whose key is < target.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const k = this.restartKey(mid);
      if (compareEntry(k.subarray(0, k.length - TRAILER), seqOf(k), userKey, seq) < 0) lo = mid;
      else hi = mid - 1;
    }
    const r = this.reader(this.data.readUInt32LE(this.restartsAt + 4 * lo));
    let key: Buffer = Buffer.alloc(0);
    while (!r.done) {
      const next = this.decodeNext(r, key);
      key = next.key;
      const uk = key.subarray(0, key.length - TRAILER);
      const s = seqOf(key);
      if (compareEntry(uk, s, userKey, seq) >= 0) return { key: uk, seq: s, kind: kindOf(key) as Kind, value: next.value };
    }
    return undefined;
  }
}
