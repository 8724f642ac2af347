/** Byte encodings shared by every file format: varints, checksums, internal keys. */
import { crc32 } from 'node:zlib';

export const crc = (data: Uint8Array, seed = 0): number => crc32(data, seed) >>> 0;

/** Appends little-endian base-128 varints and raw bytes to a growing buffer. */
export class ByteWriter {
  private buf: Buffer;
  length = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  varint(v: number): this {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
    return this;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** varint length, then the bytes. */
  lenBytes(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  /** A view of what was written (valid until the next write); copy to keep. */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }
}

/** Reads what ByteWriter wrote; throws (via `fail`) when the input ends early. */
export class ByteReader {
  pos: number;

  constructor(readonly buf: Buffer, start = 0, private readonly end = buf.length, private readonly fail: (what: string) => Error = (w) => new Error(w)) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw this.fail('varint runs past the end');
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw this.fail('varint too long');
  }

  u8(): number {
    if (this.pos >= this.end) throw this.fail('byte past the end');
    return this.buf[this.pos++]!;
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.end) throw this.fail(`${n} bytes run past the end`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  lenBytes(): Buffer {
    return this.bytes(this.varint());
  }
}

/**
 * Entry kinds. An entry is (user key, sequence number, kind, value); a user
 * key may have several entries (versions), newest first in sort order.
 */
export const enum Kind {
  Delete = 0,
  /** The value itself. */
  Value = 1,
  /** A pointer into the value log (WiscKey key-value separation). */
  Pointer = 2,
}

/** Largest sequence number: 2^48 - 1 (6 bytes in the on-disk trailer). */
export const MAX_SEQ = 2 ** 48 - 1;
/** Internal key = user key + 7-byte trailer (6-byte big-endian seq, kind). */
export const TRAILER = 7;

export function internalKey(userKey: Uint8Array, seq: number, kind: Kind): Buffer {
  const out = Buffer.allocUnsafe(userKey.length + TRAILER);
  out.set(userKey, 0);
  out.writeUIntBE(seq, userKey.length, 6);
  out[userKey.length + 6] = kind;
  return out;
}

export const userKeyOf = (ikey: Buffer): Buffer => ikey.subarray(0, ikey.length - TRAILER);
export const seqOf = (ikey: Buffer): number => ikey.readUIntBE(ikey.length - TRAILER, 6);
export const kindOf = (ikey: Buffer): Kind => ikey[ikey.length - 1] as Kind;

/** Internal order: user key ascending (memcmp), then sequence descending (newest first). */
export function compareInternal(a: Buffer, b: Buffer): number {
  const c = Buffer.compare(a.subarray(0, a.length - TRAILER), b.subarray(0, b.length - TRAILER));
  if (c !== 0) return c;
  return seqOf(b) - seqOf(a);
}

export function compareEntry(aKey: Uint8Array, aSeq: number, bKey: Uint8Array, bSeq: number): number {
  const c = Buffer.compare(aKey, bKey);
  return c !== 0 ? c : bSeq - aSeq;
}
