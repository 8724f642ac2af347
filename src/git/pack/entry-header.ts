/** The header of one pack entry: type and size varint, then the base of a delta. */
import { IntegrityError } from '../../datastore/errors.js';
import type { ObjectType } from '../../datastore/types.js';

export const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
export const OFS_DELTA = 6;
export const REF_DELTA = 7;
const TYPES_BY_CODE: Array<ObjectType | undefined> = [undefined, 'commit', 'tree', 'blob', 'tag'];

export type EntryHeader =
  | { kind: 'object'; type: ObjectType; size: number; headerLength: number }
  | { kind: 'ofs-delta'; baseOffset: number; size: number; headerLength: number }
  | { kind: 'ref-delta'; baseId: string; size: number; headerLength: number };

/** Parses the header at the start of `buf`, which holds the entry at pack offset `offset`. */
export function parseEntryHeader(buf: Uint8Array, offset: number, idBytes: number): EntryHeader {
  const truncated = () => new IntegrityError(`pack entry at ${offset}: truncated header`);
  if (buf.length === 0) throw truncated();
  let pos = 0;
  let byte = buf[pos++];
  const code = (byte >> 4) & 7;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    if (pos >= buf.length) throw truncated();
    byte = buf[pos++];
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    // Past 2^53 a number no longer counts bytes exactly; no real object is that large.
    if (!Number.isSafeInteger(size) || shift > 70) throw new IntegrityError(`pack entry at ${offset}: size varint is over 2^53 or longer than 10 bytes`);
  }
  if (code === OFS_DELTA) {
    if (pos >= buf.length) throw truncated();
    byte = buf[pos++];
    let back = byte & 0x7f;
    while (byte & 0x80) {
      if (pos >= buf.length) throw truncated();
      byte = buf[pos++];
      back = (back + 1) * 128 + (byte & 0x7f);
      if (back > offset) throw new IntegrityError(`pack entry at ${offset}: delta base offset out of range`);
    }
    if (back <= 0 || back > offset) throw new IntegrityError(`pack entry at ${offset}: delta base offset out of range`);
    return { kind: 'ofs-delta', baseOffset: offset - back, size, headerLength: pos };
  }
  if (code === REF_DELTA) {
    if (pos + idBytes > buf.length) throw new IntegrityError(`pack entry at ${offset}: truncated base id`);
    return { kind: 'ref-delta', baseId: Buffer.from(buf.buffer, buf.byteOffset + pos, idBytes).toString('hex'), size, headerLength: pos + idBytes };
  }
  const type = TYPES_BY_CODE[code];
  if (!type) throw new IntegrityError(`pack entry at ${offset}: unknown type code ${code}`);
  return { kind: 'object', type, size, headerLength: pos };
}

/** The type code and size varint every entry header starts with. */
function typeAndSize(code: number, size: number): number[] {
  const bytes: number[] = [];
  let byte = (code << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return bytes;
}

export function encodeEntryHeader(type: ObjectType, size: number): Buffer {
  return Buffer.from(typeAndSize(TYPE_CODES[type], size));
}

/** The header of a ref-delta entry: type 7 and the delta's size, then the base's id. */
export function encodeRefDeltaHeader(deltaSize: number, baseId: string): Buffer {
  return Buffer.concat([Buffer.from(typeAndSize(REF_DELTA, deltaSize)), Buffer.from(baseId, 'hex')]);
}

/** The header of an ofs-delta entry: type 6 and the delta's size, then the distance back to the base. */
export function encodeOfsDeltaHeader(deltaSize: number, distance: number): Buffer {
  const ofs: number[] = [distance & 0x7f];
  let d = Math.floor(distance / 128);
  while (d > 0) {
    d -= 1;
    ofs.unshift(0x80 | (d & 0x7f));
    d = Math.floor(d / 128);
  }
  return Buffer.from([...typeAndSize(OFS_DELTA, deltaSize), ...ofs]);
}

/** Upper bound of zlib's output for `size` input bytes (zlib's compressBound, plus slack). */
export function compressBound(size: number): number {
  return size + Math.floor(size / 4096) + Math.floor(size / 16384) + 64;
}
