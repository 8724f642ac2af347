/**
 * Cached values as bytes, the same for every tier: an in-process tier keeps
 * the bytes (so a caller mutating a returned record cannot change the cache)
 * and Redis stores them as they are.
 */
import { OBJECT_TYPES, type ObjectEntry } from '../../types.js';

const DATE_FIELDS = new Set(['createdAt', 'updatedAt', 'timestamp']);

/** A record (ref, repository, user, config value) or `null` for "absent", as JSON; dates as ISO strings. */
export function encodeRecord(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value === undefined ? null : value));
}

export function decodeRecord<T>(bytes: Uint8Array): T | undefined {
  const value = JSON.parse(Buffer.from(bytes).toString('utf8'), (key, v) =>
    DATE_FIELDS.has(key) && typeof v === 'string' ? new Date(v) : v,
  ) as T | null;
  return value === null ? undefined : value;
}

/** type, encoding, size, base id, then the entry's bytes. */
export function encodeEntry(entry: ObjectEntry): Buffer {
  const head = Buffer.from(JSON.stringify([OBJECT_TYPES.indexOf(entry.type), entry.encoding, entry.size, entry.base]));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length);
  return Buffer.concat([len, head, entry.bytes]);
}

export function decodeEntry(id: string, bytes: Uint8Array): ObjectEntry {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLength = buf.readUInt32BE(0);
  const [type, encoding, size, base] = JSON.parse(buf.subarray(4, 4 + headLength).toString('utf8')) as [number, ObjectEntry['encoding'], number, string | null];
  return { id, type: OBJECT_TYPES[type], encoding, size, base, bytes: buf.subarray(4 + headLength) };
}
