/**
 * Bulk object writes with COPY: rows stream into a session temp table in
 * PostgreSQL's binary COPY format (no hex or escaping of the data), then one
 * INSERT ... ON CONFLICT DO NOTHING moves them, so objects stay write-once.
 * Runs on the write's own client, inside its transaction.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import copyStreams from 'pg-copy-streams';
import type { StoredObject } from '../../types.js';
import type { Executor } from './executor.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export const COPY_SQL = {
  createLoadTable:
    'CREATE TEMP TABLE IF NOT EXISTS govc_object_load (id TEXT, type TEXT, size BIGINT, data BYTEA) ON COMMIT DELETE ROWS',
  copy: 'COPY govc_object_load (id, type, size, data) FROM STDIN (FORMAT binary)',
  insert: 'INSERT INTO objects (id, type, size, data) SELECT id, type, size, data FROM govc_object_load ON CONFLICT (id) DO NOTHING',
  clear: 'TRUNCATE govc_object_load',
} as const;

/** Chunks handed to the COPY stream: each write is one CopyData message, so tiny ones cost dearly. */
const CHUNK_BYTES = 256 * 1024;

/** The binary COPY stream of `objects` in chunks of about CHUNK_BYTES. */
export function* binaryCopyRows(objects: readonly StoredObject[]): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for (const part of binaryCopyParts(objects)) {
    if (part.length >= CHUNK_BYTES) {
      // Large object data goes out as it is, not copied into a chunk.
      if (size > 0) yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
      yield part;
      continue;
    }
    pending.push(part);
    size += part.length;
    if (size >= CHUNK_BYTES) {
      yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(pending, size);
}

/** Header, one 4-field tuple per object (its data as its own part, uncopied), trailer. */
function* binaryCopyParts(objects: readonly StoredObject[]): Generator<Buffer> {
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header);
  yield header; // flags and header-extension length are both zero
  for (const o of objects) {
    const id = Buffer.from(o.id, 'utf8');
    const type = Buffer.from(o.type, 'utf8');
    const fields = Buffer.alloc(2 + 4 + id.length + 4 + type.length + 4 + 8 + 4);
    let at = fields.writeInt16BE(4, 0);
    at = fields.writeInt32BE(id.length, at);
    at += id.copy(fields, at);
    at = fields.writeInt32BE(type.length, at);
    at += type.copy(fields, at);
    at = fields.writeInt32BE(8, at);
    at = fields.writeBigInt64BE(BigInt(o.data.byteLength), at);
    fields.writeInt32BE(o.data.byteLength, at);
    yield fields;
    yield Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  yield trailer;
}

/** COPYs `objects` in and inserts the new ones; must run inside a transaction on `client`. */
export async function copyObjects(client: ClientBase, exec: Executor, objects: readonly StoredObject[]): Promise<void> {
  await exec.query(COPY_SQL.createLoadTable);
  await pipeline(Readable.from(binaryCopyRows(objects)), client.query(copyStreams.from(COPY_SQL.copy)));
  await exec.query(COPY_SQL.insert);
  // A later group in the same transaction must not see these rows again.
  await exec.query(COPY_SQL.clear);
}
