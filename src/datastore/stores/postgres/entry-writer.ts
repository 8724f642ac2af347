/**
 * Object puts, inside the write's transaction: insert an entry if its id is
 * absent (objects are write-once), or with `replace` overwrite the stored
 * entry (a re-encoding of the same object). One statement for one entry, a
 * multi-row INSERT for a few, binary COPY for many where the dialect has it.
 * Both dialects take INSERT ... ON CONFLICT, so the text is the same on both.
 */
import type { ClientBase } from 'pg';
import { CapacityError } from '../../errors.js';
import type { ObjectEntry } from '../../types.js';
import { copyEntries, ON_CONFLICT } from './copy.js';
import type { Dialect } from './dialect.js';
import type { Executor } from './executor.js';
import { ENTRY_COLUMNS, entryData, entryParams } from './rows.js';

/** Entry groups at least this large go through COPY; smaller ones through one multi-row INSERT. */
export const COPY_THRESHOLD = 64;
/** Largest multi-row INSERT of entries, by count and by bytes. */
const INSERT_CHUNK = 500;
const INSERT_CHUNK_BYTES = 16 * 1024 * 1024;

const COLUMNS = ENTRY_COLUMNS.join(', ');
const VALUES = ENTRY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
const UNNEST = 'SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::smallint[], $5::text[], $6::bytea[])';

export const ENTRY_SQL = {
  insert: `INSERT INTO objects (${COLUMNS}) VALUES (${VALUES}) ${ON_CONFLICT.keep}`,
  insertMany: `INSERT INTO objects (${COLUMNS}) ${UNNEST} ${ON_CONFLICT.keep}`,
  replace: `INSERT INTO objects (${COLUMNS}) VALUES (${VALUES}) ${ON_CONFLICT.replace}`,
  replaceMany: `INSERT INTO objects (${COLUMNS}) ${UNNEST} ${ON_CONFLICT.replace}`,
} as const;

export interface EntryTarget {
  /** The transaction's client, for COPY; undefined for a single autocommit statement. */
  client: ClientBase | undefined;
  exec: Executor;
  dialect: Dialect;
  maxObjectSize: number;
}

export async function putEntries(t: EntryTarget, entries: ObjectEntry[], replace: boolean): Promise<void> {
  for (const e of entries) {
    if (e.size > t.maxObjectSize) {
      throw new CapacityError(`object ${e.id} is ${e.size} bytes; the ${t.dialect.product} store takes at most ${t.maxObjectSize}`, {
        id: e.id,
        maxObjectSize: t.maxObjectSize,
      });
    }
  }
  // One statement may not update a row twice: of repeated replaces the last wins, as applied in order.
  if (replace) entries = [...new Map(entries.map((e) => [e.id, e])).values()];
  if (entries.length === 1) {
    await t.exec.query(replace ? ENTRY_SQL.replace : ENTRY_SQL.insert, entryParams(entries[0]));
    return;
  }
  if (t.client && t.dialect.copy && entries.length >= COPY_THRESHOLD) {
    await copyEntries(t.client, t.exec, entries, replace);
    return;
  }
  for (const chunk of chunks(entries)) {
    await t.exec.query(replace ? ENTRY_SQL.replaceMany : ENTRY_SQL.insertMany, [
      chunk.map((e) => e.id),
      chunk.map((e) => e.type),
      chunk.map((e) => e.size),
      chunk.map((e) => e.encoding),
      chunk.map((e) => e.base),
      chunk.map(entryData),
    ]);
  }
}

/** Runs of at most INSERT_CHUNK entries and INSERT_CHUNK_BYTES (or one larger entry). */
function* chunks(entries: ObjectEntry[]): Generator<ObjectEntry[]> {
  for (let start = 0; start < entries.length; ) {
    let end = start;
    let bytes = 0;
    while (end < entries.length && end - start < INSERT_CHUNK && (end === start || bytes + entries[end].bytes.byteLength <= INSERT_CHUNK_BYTES)) {
      bytes += entries[end++].bytes.byteLength;
    }
    yield entries.slice(start, end);
    start = end;
  }
}
