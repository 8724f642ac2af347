/**
 * How an object entry is a row of `objects` (schema version 5), compactly:
 * most entries are deltas of tens of bytes, so each byte per row counts.
 *
 *   n     INTEGER PRIMARY KEY   the row's number, in insertion order (rows append)
 *   hash  BLOB                  the id's bytes; found through an index of its first 4 bytes
 *   kind  INTEGER               size * 16 + type code * 4 + encoding, one varint for three fields
 *   back  INTEGER               deltas only: n minus the base's n, a byte or none (1 is stored in the
 *                               header alone), not a 20-byte id; negative when gc made an older row a
 *                               delta on a newer one
 *   data  BLOB                  the entry's bytes
 *
 * The 4-byte key index holds 4 bytes and n per row instead of the whole id:
 * a lookup reads the rows of that key (almost always one) and compares the id.
 * Half the deltas of an imported pack come right after their base (back = 1):
 * those are found from the base as row n + 1, and only the others are in the
 * index of bases, objects_by_base (n - back, where back <> 1). A delta written
 * before its base (a store copy goes in id order) has no back until the base
 * comes: object_bases keeps its base's id meanwhile.
 */
import { IntegrityError } from '../../errors.js';
import type { ObjectEncoding, ObjectEntry, ObjectType } from '../../types.js';

const TYPE_CODES: Record<ObjectType, number> = { blob: 0, tree: 1, commit: 2, tag: 3 };
const TYPES: readonly ObjectType[] = ['blob', 'tree', 'commit', 'tag'];

/** The condition finding the row of one id, given as its bytes twice: the key index, then the whole id. */
export const ID_MATCH = 'substr(hash, 1, 4) = substr(?, 1, 4) AND hash = ?';

/** The bytes of a hex id, twice: the parameters of ID_MATCH. */
export function idParams(id: string): [Buffer, Buffer] {
  const raw = Buffer.from(id, 'hex');
  return [raw, raw];
}

export function encodeKind(type: ObjectType, size: number, encoding: ObjectEncoding): number {
  return size * 16 + TYPE_CODES[type] * 4 + encoding;
}

export interface Kind {
  type: ObjectType;
  size: number;
  encoding: ObjectEncoding;
}

export function decodeKind(kind: number, id: string): Kind {
  const encoding = kind % 4;
  if (!Number.isSafeInteger(kind) || kind < 0 || encoding > 2) {
    throw new IntegrityError(`stored object ${id} has a malformed kind ${kind}; the store is corrupt`, { id });
  }
  return { type: TYPES[Math.floor(kind / 4) % 4], size: Math.floor(kind / 16), encoding: encoding as ObjectEncoding };
}

/** hash as lowercase hex, kind, the base's id (looked up by its n), data. */
export const ENTRY_COLUMNS = `lower(hex(o.hash)) AS hash, o.kind,
  nullif(lower(hex(coalesce((SELECT b.hash FROM objects b WHERE b.n = o.n - o.back), (SELECT p.base FROM object_bases p WHERE p.n = o.n)))), '') AS base, o.data`;

/** The rows kept as deltas on row :base (their hash, n): the next row if it is one back, and the indexed others. */
export const DEPENDENT_ROWS = 'SELECT hash, n FROM objects WHERE n = :base + 1 AND back = 1 UNION ALL SELECT hash, n FROM objects WHERE n - back = :base AND back <> 1';

export interface EntryRow {
  hash: string;
  kind: number;
  base: string | null;
  data: Buffer;
}

export function entryFromRow(row: EntryRow): ObjectEntry {
  const { type, size, encoding } = decodeKind(row.kind, row.hash);
  if ((encoding === 2) !== (row.base !== null)) {
    throw new IntegrityError(`stored object ${row.hash} has ${encoding === 2 ? 'no delta base' : 'a base but is no delta'}; the store is corrupt`, { id: row.hash });
  }
  return { id: row.hash, type, size, encoding, base: row.base, bytes: row.data };
}
