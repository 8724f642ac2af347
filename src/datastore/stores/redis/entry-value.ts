/**
 * How an object entry is laid out in its Redis string value:
 *
 *   0x01, type letter, encoding, size (48-bit big-endian), base length n (0, 20 or 32), base id (n raw bytes), bytes
 *
 * Values written before entries (type letter, then the raw data) start with
 * the type letter (b t c g); the current layout starts with 0x01, which is
 * never a type letter, so the first byte tells them apart. Old values read as
 * encoding 0 (raw). lua.ts parses the same header (ENTRY_HEADER there).
 */
import { IntegrityError } from '../../errors.js';
import { ENCODING } from '../../objects/encoding.js';
import type { ObjectEncoding, ObjectEntry, ObjectStat, ObjectType } from '../../types.js';

const FORMAT = 0x01;
const FIXED = 10;
/** The longest header (a sha256 base): GETRANGE 0..MAX_HEADER-1 reads every field but the bytes. */
export const MAX_HEADER = FIXED + 32;

const TYPE_BYTE: Record<ObjectType, number> = { blob: 0x62, tree: 0x74, commit: 0x63, tag: 0x67 }; // b t c g
const BYTE_TYPE = new Map<number, ObjectType>(Object.entries(TYPE_BYTE).map(([t, b]) => [b, t as ObjectType]));

function typeOf(id: string, byte: number): ObjectType {
  const type = BYTE_TYPE.get(byte);
  if (!type) throw new IntegrityError(`redis value of object ${id} has an unknown type byte ${byte}; the key was not written by govc`, { id });
  return type;
}

export function encodeEntry(entry: ObjectEntry): Buffer {
  const base = entry.base === null ? Buffer.alloc(0) : Buffer.from(entry.base, 'hex');
  const out = Buffer.allocUnsafe(FIXED + base.length + entry.bytes.byteLength);
  out[0] = FORMAT;
  out[1] = TYPE_BYTE[entry.type];
  out[2] = entry.encoding;
  out.writeUIntBE(entry.size, 3, 6);
  out[9] = base.length;
  base.copy(out, FIXED);
  out.set(entry.bytes, FIXED + base.length);
  return out;
}

interface Header {
  type: ObjectType;
  size: number;
  encoding: ObjectEncoding;
  base: string | null;
  /** Where the entry's bytes start in the value. */
  start: number;
}

/** `head` is the value or its first MAX_HEADER bytes; `length` the whole value's. */
function readHeader(id: string, head: Buffer, length: number): Header {
  if (head[0] !== FORMAT) return { type: typeOf(id, head[0]), size: length - 1, encoding: ENCODING.raw, base: null, start: 1 };
  const n = head[9];
  const encoding = head[2];
  if (head.length < FIXED + n || (encoding !== 0 && encoding !== 1 && encoding !== 2)) {
    throw new IntegrityError(`redis value of object ${id} has a corrupt entry header`, { id });
  }
  return {
    type: typeOf(id, head[1]),
    size: head.readUIntBE(3, 6),
    encoding,
    base: n === 0 ? null : head.subarray(FIXED, FIXED + n).toString('hex'),
    start: FIXED + n,
  };
}

export function decodeEntry(id: string, value: Buffer): ObjectEntry {
  const { start, ...fields } = readHeader(id, value, value.length);
  return { id, ...fields, bytes: value.subarray(start) };
}

export function decodeStat(id: string, head: Buffer, length: number): ObjectStat {
  const { type, size } = readHeader(id, head, length);
  return { id, type, size };
}

/** The base an entry names, from its value's first MAX_HEADER bytes. */
export function decodeBase(id: string, head: Buffer): string | null {
  return readHeader(id, head, head.length).base;
}
