/**
 * An object entry as one CQL cell: a small header (encoding, type, size,
 * base, chunking) then the entry's bytes, or, for entries above the inline
 * limit, the id of the chunk set that holds them (object_chunks).
 */
import { IntegrityError } from '../../errors.js';
import { OBJECT_TYPES, type ObjectEncoding, type ObjectEntry, type ObjectType } from '../../types.js';

const FORMAT = 1;

export interface EntryHeader {
  type: ObjectType;
  size: number;
  encoding: ObjectEncoding;
  base: string | null;
  /** Chunks in object_chunks; 0 when the bytes are inline. */
  chunks: number;
  /** The chunk set (16 bytes of a uuid) when chunked. */
  chunkVersion: Buffer | null;
}

export function encodeCell(entry: Omit<ObjectEntry, 'bytes' | 'id'>, inline: Uint8Array, chunks = 0, chunkVersion: Buffer | null = null): Buffer {
  const base = Buffer.from(entry.base ?? '', 'ascii');
  const head = Buffer.alloc(4 + 8 + 1 + base.length + 4 + (chunks > 0 ? 16 : 0));
  let at = head.writeUInt8(FORMAT, 0);
  at = head.writeUInt8(entry.encoding, at);
  at = head.writeUInt8(OBJECT_TYPES.indexOf(entry.type), at);
  at = head.writeUInt8(0, at);
  at = head.writeDoubleBE(entry.size, at);
  at = head.writeUInt8(base.length, at);
  at += base.copy(head, at);
  at = head.writeUInt32BE(chunks, at);
  if (chunks > 0) chunkVersion!.copy(head, at);
  return Buffer.concat([head, inline]);
}

export function decodeHeader(id: string, cell: Buffer): { header: EntryHeader; inline: Buffer } {
  if (cell.length < 18 || cell[0] !== FORMAT) throw new IntegrityError(`object ${id}: its stored entry header is corrupt`, { id });
  const encoding = cell[1] as ObjectEncoding;
  const type = OBJECT_TYPES[cell[2]];
  const size = cell.readDoubleBE(4);
  const baseLength = cell[12];
  const base = baseLength ? cell.subarray(13, 13 + baseLength).toString('ascii') : null;
  let at = 13 + baseLength;
  const chunks = cell.readUInt32BE(at);
  at += 4;
  const chunkVersion = chunks > 0 ? Buffer.from(cell.subarray(at, at + 16)) : null;
  if (chunks > 0) at += 16;
  if (!type || encoding > 2) throw new IntegrityError(`object ${id}: its stored entry header is corrupt`, { id });
  return { header: { type, size, encoding, base, chunks, chunkVersion }, inline: cell.subarray(at) };
}
