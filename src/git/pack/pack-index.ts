/**
 * Pack index files (.idx), version 2: fan-out table, sorted ids, CRC32s,
 * offsets (with a 64-bit table for packs over 2 GB), pack and index checksums.
 * Version 1 is read too. Object format decides the id width (sha1: 20, sha256: 32).
 */
import { createHash } from 'node:crypto';
import { IntegrityError } from '../../datastore/errors.js';
import { ID_BYTES } from '../../datastore/hash.js';
import { IdList } from '../../datastore/id-list.js';
import type { ObjectFormat } from '../../datastore/types.js';

const MAGIC = 0xff744f63;

export interface IndexEntry {
  id: string;
  offset: number;
  crc32: number;
}

/** An .idx's entries without an object each: ids by position, with their offsets and CRC32s at the same positions. */
export interface IndexColumns {
  ids: IdList;
  offsets: Float64Array;
  crc32s: Uint32Array;
}

/** What writePackIndex takes. */
export type IndexInput = readonly IndexEntry[] | IndexColumns;

function asColumns(entries: IndexInput, format: ObjectFormat): IndexColumns {
  if (!Array.isArray(entries)) return entries as IndexColumns;
  const list = entries as readonly IndexEntry[];
  const ids = new IdList(Math.max(1, list.length));
  for (const e of list) {
    if (e.id.length !== ID_BYTES[format] * 2) throw new IntegrityError(`pack index: id ${e.id} is not ${format}`);
    ids.push(e.id);
  }
  return { ids, offsets: Float64Array.from(list, (e) => e.offset), crc32s: Uint32Array.from(list, (e) => e.crc32 >>> 0) };
}

/** Positions of `ids` in id order: a numeric first key (6 bytes), the whole id only to break its ties. */
function sortedPositions(ids: IdList): Uint32Array {
  const n = ids.length;
  const prefix = new Float64Array(n);
  for (let i = 0; i < n; i++) prefix[i] = ids.prefixAt(i);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => prefix[a] - prefix[b] || ids.compare(a, b));
}

export class PackIndex {
  readonly count: number;
  private readonly idBytes: number;
  private readonly fanout: Uint32Array;
  private readonly namesAt: number;
  private readonly version: 1 | 2;

  private constructor(
    private readonly buf: Buffer,
    readonly format: ObjectFormat,
  ) {
    this.idBytes = ID_BYTES[format];
    this.version = buf.length >= 8 && buf.readUInt32BE(0) === MAGIC ? 2 : 1;
    if (this.version === 2 && buf.readUInt32BE(4) !== 2) throw new IntegrityError(`pack index version ${buf.readUInt32BE(4)} is not supported (2 is)`);
    const fanoutAt = this.version === 2 ? 8 : 0;
    this.fanout = new Uint32Array(256);
    for (let i = 0; i < 256; i++) this.fanout[i] = buf.readUInt32BE(fanoutAt + i * 4);
    this.count = this.fanout[255];
    this.namesAt = fanoutAt + 1024;
    const minimum = this.version === 2 ? this.namesAt + this.count * (this.idBytes + 8) + 2 * this.idBytes : this.namesAt + this.count * (this.idBytes + 4);
    if (buf.length < minimum) throw new IntegrityError('pack index is truncated');
  }

  static parse(buf: Buffer, format: ObjectFormat = 'sha1'): PackIndex {
    return new PackIndex(buf, format);
  }

  /** The .idx file's bytes. */
  get bytes(): Buffer {
    return this.buf;
  }

  /** The checksum of the pack this index describes. */
  get packChecksum(): string {
    const end = this.buf.length - this.idBytes;
    return this.buf.toString('hex', end - this.idBytes, end);
  }

  idAt(i: number): string {
    const at = this.version === 2 ? this.namesAt + i * this.idBytes : this.namesAt + i * (this.idBytes + 4) + 4;
    return this.buf.toString('hex', at, at + this.idBytes);
  }

  offsetAt(i: number): number {
    if (this.version === 1) return this.buf.readUInt32BE(this.namesAt + i * (this.idBytes + 4));
    const offsetsAt = this.namesAt + this.count * (this.idBytes + 4);
    const small = this.buf.readUInt32BE(offsetsAt + i * 4);
    if (!(small & 0x80000000)) return small;
    const bigAt = offsetsAt + this.count * 4 + (small & 0x7fffffff) * 8;
    return Number(this.buf.readBigUInt64BE(bigAt));
  }

  crcAt(i: number): number | undefined {
    if (this.version === 1) return undefined;
    return this.buf.readUInt32BE(this.namesAt + this.count * this.idBytes + i * 4);
  }

  /** Position of `id` in the sorted table, or -1. */
  indexOf(id: string): number {
    const key = Buffer.from(id, 'hex');
    if (key.length !== this.idBytes) return -1;
    let lo = key[0] === 0 ? 0 : this.fanout[key[0] - 1];
    let hi = this.fanout[key[0]];
    const stride = this.version === 2 ? this.idBytes : this.idBytes + 4;
    const skip = this.version === 2 ? 0 : 4;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.namesAt + mid * stride + skip;
      const c = this.buf.compare(key, 0, this.idBytes, at, at + this.idBytes);
      if (c === 0) return mid;
      if (c > 0) hi = mid;
      else lo = mid + 1;
    }
    return -1;
  }

  offsetOf(id: string): number | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.offsetAt(i);
  }

  /** Positions (for idAt/offsetAt) sorted by pack offset: 4 bytes per object, for streaming a whole pack in order. */
  positionsByOffset(): Uint32Array {
    const offsets = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) offsets[i] = this.offsetAt(i);
    const order = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) order[i] = i;
    return order.sort((a, b) => offsets[a] - offsets[b]);
  }

  /** Reads only the object count from the start of an .idx file. */
  static countFromHeader(head: Buffer): number {
    const fanoutAt = head.readUInt32BE(0) === MAGIC ? 8 : 0;
    return head.readUInt32BE(fanoutAt + 255 * 4);
  }

  /** Every entry, in pack (offset) order. */
  entriesByOffset(): IndexEntry[] {
    const out: IndexEntry[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = { id: this.idAt(i), offset: this.offsetAt(i), crc32: this.crcAt(i) ?? 0 };
    return out.sort((a, b) => a.offset - b.offset);
  }
}

/** Builds a version-2 .idx for the given entries (any order) and the pack's trailing checksum. */
export function writePackIndex(entries: IndexInput, packChecksum: Buffer, format: ObjectFormat = 'sha1'): Buffer {
  const idBytes = ID_BYTES[format];
  const { ids, offsets, crc32s } = asColumns(entries, format);
  const n = ids.length;
  if (n > 0 && ids.idBytes !== idBytes) throw new IntegrityError(`pack index: id ${ids.at(0)} is not ${format}`);
  const order = sortedPositions(ids);
  let bigCount = 0;
  for (let i = 0; i < n; i++) if (offsets[i] >= 0x80000000) bigCount++;
  const out = Buffer.alloc(8 + 1024 + n * (idBytes + 8) + bigCount * 8 + 2 * idBytes);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt32BE(2, 4);
  let at = 8 + 1024;
  for (const pos of order) {
    ids.copyTo(pos, out, at);
    at += idBytes;
  }
  const counts = new Uint32Array(256);
  for (let i = 0; i < n; i++) counts[out[8 + 1024 + i * idBytes]]++;
  let total = 0;
  for (let i = 0; i < 256; i++) {
    total += counts[i];
    out.writeUInt32BE(total, 8 + i * 4);
  }
  for (const pos of order) at = out.writeUInt32BE(crc32s[pos] >>> 0, at);
  let bigIndex = 0;
  const bigAt = at + n * 4;
  for (const pos of order) {
    const offset = offsets[pos];
    if (offset < 0x80000000) at = out.writeUInt32BE(offset, at);
    else {
      at = out.writeUInt32BE((0x80000000 | bigIndex) >>> 0, at);
      out.writeBigUInt64BE(BigInt(offset), bigAt + bigIndex * 8);
      bigIndex++;
    }
  }
  at = bigAt + bigCount * 8;
  packChecksum.copy(out, at);
  at += idBytes;
  createHash(format).update(out.subarray(0, at)).digest().copy(out, at);
  return out;
}
