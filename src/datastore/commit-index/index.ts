/** The commit index where a store keeps it: natively, or in config keys. */
import type { DriverReader, WriteOp } from '../driver.js';
import { InvalidArgumentError } from '../errors.js';
import type { ObjectFormat } from '../types.js';
import { checkObjectId } from '../validate.js';
import { KeyspaceCommitIndex, keyspaceOps } from './keyspace.js';
import { isCommitIndexOp, type CommitIndexOp, type CommitIndexReader, type CommitIndexRow } from './types.js';

export type StoreWriteOp = WriteOp | CommitIndexOp;

export function commitIndexOf(reader: DriverReader): CommitIndexReader {
  return reader.commitIndex ?? new KeyspaceCommitIndex(reader);
}

/** The ops a driver takes: a native store takes CommitIndexOps as they are; for the others they become config ops. */
export function lowerOps(reader: DriverReader, ops: StoreWriteOp[]): WriteOp[] {
  if (reader.commitIndex) return ops as WriteOp[];
  return ops.flatMap((op) => (isCommitIndexOp(op) ? keyspaceOps(op) : [op]));
}

/** Refuses a row a store could not keep or a query could not read back. */
export function checkCommitRow(row: CommitIndexRow, format: ObjectFormat): CommitIndexRow {
  checkObjectId(row.id, format);
  checkObjectId(row.tree, format);
  for (const p of row.parents) checkObjectId(p, format);
  for (const who of [row.author, row.committer]) {
    if (typeof who?.name !== 'string' || typeof who.email !== 'string' || !Number.isFinite(who.timestamp) || typeof who.timezone !== 'string') {
      throw new InvalidArgumentError(`commit ${row.id}: author and committer need name, email, timestamp and timezone`);
    }
  }
  if (typeof row.summary !== 'string' || !Array.isArray(row.paths) || row.paths.some((p) => typeof p !== 'string' || p === '' || p.includes('\0'))) {
    throw new InvalidArgumentError(`commit ${row.id}: summary must be a string and paths non-empty strings without NUL`);
  }
  return row;
}

export * from './types.js';
export { parseRowKey } from './keys.js';
