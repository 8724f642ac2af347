/**
 * Bulk object writes with COPY: entries stream into a session temp table in
 * PostgreSQL's binary COPY format (no hex or escaping of the bytes), then one
 * INSERT ... ON CONFLICT moves them: DO NOTHING keeps stored entries
 * (write-once), DO UPDATE replaces them. Runs on the write's own client,
 * inside its transaction.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import copyStreams from 'pg-copy-streams';
import type { ObjectEntry } from '../../types.js';
import type { Executor } from './executor.js';
import { ENTRY_COLUMNS, entryData } from './rows.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const COLUMNS = ENTRY_COLUMNS.join(', ');

/** What a put does with an id already stored: keep that entry, or replace it. */
export const ON_CONFLICT = {
  keep: 'ON CONFLICT (id) DO NOTHING',
  replace: `ON CONFLICT (id) DO UPDATE SET ${ENTRY_COLUMNS.slice(1).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
} as const;

export const COPY_SQL = {
  // A new name for the new columns: a pooled session (PgBouncer) may still hold the old table.
  createLoadTable:
    'CREATE TEMP TABLE IF NOT EXISTS govc_entry_load (id TEXT, type TEXT, size BIGINT, encoding SMALLINT, base TEXT, data BYTEA) ON COMMIT DELETE ROWS',
  copy: `COPY govc_entry_load (${COLUMNS}) FROM STDIN (FORMAT binary)`,
  keep: `INSERT INTO objects (${COLUMNS}) SELECT ${COLUMNS} FROM govc_entry_load ${ON_CONFLICT.keep}`,
  replace: `INSERT INTO objects (${COLUMNS}) SELECT ${COLUMNS} FROM govc_entry_load ${ON_CONFLICT.replace}`,
  clear: 'TRUNCATE govc_entry_load',
} as const;

/** Chunks handed to the COPY stream: each write is one CopyData message, so tiny ones cost dearly. */
const CHUNK_BYTES = 256 * 1024;

/** The binary COPY stream of `entries` in chunks of about CHUNK_BYTES. */
export function* binaryCopyRows(entries: readonly ObjectEntry[]): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for (const part of binaryCopyParts(entries)) {
    if (part.length >= CHUNK_BYTES) {
      // Large entry bytes go out as they are, not copied into a chunk.
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

/** Header, one 6-field tuple per entry (its bytes as their own part, uncopied), trailer. */
function* binaryCopyParts(entries: readonly ObjectEntry[]): Generator<Buffer> {
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header);
  yield header; // flags and header-extension length are both zero
  for (const e of entries) {
    const id = Buffer.from(e.id, 'utf8');
    const type = Buffer.from(e.type, 'utf8');
    const base = e.base === null ? undefined : Buffer.from(e.base, 'utf8');
    const fields = Buffer.alloc(2 + (4 + id.length) + (4 + type.length) + (4 + 8) + (4 + 2) + (4 + (base?.length ?? 0)) + 4);
    let at = fields.writeInt16BE(ENTRY_COLUMNS.length, 0);
    at = fields.writeInt32BE(id.length, at);
    at += id.copy(fields, at);
    at = fields.writeInt32BE(type.length, at);
    at += type.copy(fields, at);
    at = fields.writeInt32BE(8, at);
    at = fields.writeBigInt64BE(BigInt(e.size), at);
    at = fields.writeInt32BE(2, at);
    at = fields.writeInt16BE(e.encoding, at);
    // A field length of -1 is NULL.
    at = fields.writeInt32BE(base ? base.length : -1, at);
    if (base) at += base.copy(fields, at);
    fields.writeInt32BE(e.bytes.byteLength, at);
    yield fields;
    yield entryData(e);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  yield trailer;
}

/** COPYs `entries` in and moves them into objects; must run inside a transaction on `client`. */
export async function copyEntries(client: ClientBase, exec: Executor, entries: readonly ObjectEntry[], replace: boolean): Promise<void> {
  await exec.query(COPY_SQL.createLoadTable);
  await pipeline(Readable.from(binaryCopyRows(entries)), client.query(copyStreams.from(COPY_SQL.copy)));
  await exec.query(replace ? COPY_SQL.replace : COPY_SQL.keep);
  // A later group in the same transaction must not see these rows again.
  await exec.query(COPY_SQL.clear);
}
