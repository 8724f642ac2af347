/**
 * The value of an object record (`o:<id>`): an ObjectEntry's fields, in
 * binary. Two layouts, told apart by their first byte:
 *
 *   legacy (written before entries): type code 1..4, then the object's data
 *                                    as is; read as an encoding-0 (raw) entry
 *   v1: 0x81, type code, varint size, encoding byte, base length byte
 *       (0 = no base), the base id's hash bytes, then the entry's bytes
 *
 * 0x81 is no type code and never will be (codes stay below 0x80), so neither
 * layout can be read as the other. The bytes are never looked inside.
 */
import { IntegrityError, InvalidArgumentError } from '../../errors.js';
import type { ObjectEncoding, ObjectEntry, ObjectType } from '../../types.js';
import type { Bytes } from './engine.js';
import { toBuffer } from './keys.js';
import { pushVarint, readVarint } from '../../objects/varint.js';

export const ENTRY_VALUE_V1 = 0x81;

const TYPE_CODES: Record<ObjectType, number> = { blob: 1, tree: 2, commit: 3, tag: 4 };
const TYPES_BY_CODE: Array<ObjectType | undefined> = [undefined, 'blob', 'tree', 'commit', 'tag'];

/** Everything but the bytes: what statObject and the write planner need. */
export interface EntryHead {
  type: ObjectType;
  size: number;
  encoding: ObjectEncoding;
  base: string | null;
  /** Where the entry's bytes start in the value. */
  bytesOffset: number;
}

function corrupt(id: string, what: string): IntegrityError {
  return new IntegrityError(`stored object ${id} has ${what}; the store is corrupt`, { id });
}

function typeOf(code: number, id: string): ObjectType {
  const type = TYPES_BY_CODE[code];
  if (!type) throw corrupt(id, `an unknown type byte ${code}`);
  return type;
}

/** The hash bytes of a hex id; an id that is not lowercase hex of even length cannot be stored compactly. */
function idBytes(id: string): Buffer {
  const raw = Buffer.from(id, 'hex');
  if (raw.byteLength === 0 || raw.byteLength > 255 || raw.toString('hex') !== id) {
    throw new InvalidArgumentError(`delta base ${JSON.stringify(id)} is not an object id (lowercase hex)`);
  }
  return raw;
}

export function encodeEntryValue(entry: ObjectEntry): Buffer {
  const head: number[] = [ENTRY_VALUE_V1, TYPE_CODES[entry.type]];
  pushVarint(head, entry.size);
  head.push(entry.encoding);
  const base = entry.base === null ? undefined : idBytes(entry.base);
  head.push(base?.byteLength ?? 0);
  const value = Buffer.allocUnsafe(head.length + (base?.byteLength ?? 0) + entry.bytes.byteLength);
  value.set(head, 0);
  if (base) value.set(base, head.length);
  value.set(entry.bytes, head.length + (base?.byteLength ?? 0));
  return value;
}

export function decodeEntryHead(value: Bytes, id: string): EntryHead {
  const first = value[0];
  if (first !== ENTRY_VALUE_V1) return { type: typeOf(first, id), size: value.byteLength - 1, encoding: 0, base: null, bytesOffset: 1 };
  const type = typeOf(value[1], id);
  const read = readVarint(value, 2);
  if (!read) throw corrupt(id, 'a truncated header');
  const size = read[0];
  let pos = read[1];
  const encoding = value[pos++];
  if (encoding !== 0 && encoding !== 1 && encoding !== 2) throw corrupt(id, `an unknown encoding ${encoding}`);
  const baseLength = value[pos++];
  if (baseLength === undefined || pos + baseLength > value.byteLength) throw corrupt(id, 'a truncated header');
  const base = baseLength === 0 ? null : toBuffer(value).toString('hex', pos, pos + baseLength);
  return { type, size, encoding, base, bytesOffset: pos + baseLength };
}

/** The entry as written; its bytes are a view into the value, not a copy. */
export function decodeEntryValue(value: Bytes, id: string): ObjectEntry {
  const { type, size, encoding, base, bytesOffset } = decodeEntryHead(value, id);
  return { id, type, size, encoding, base, bytes: toBuffer(value).subarray(bytesOffset) };
}

/** Bytes of the entry in a value: what storageBytes counts. */
export function entryBytesIn(value: Bytes, head: EntryHead): number {
  return value.byteLength - head.bytesOffset;
}
