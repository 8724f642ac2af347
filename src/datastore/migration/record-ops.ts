/**
 * Records into a target store's write ops, checked as the DataStore checks
 * its own writes, and written in batches that each carry their checkpoint in
 * the same atomic write: after a kill, a batch is either wholly there with
 * its checkpoint, or not there at all (so an event is never appended twice).
 */
import { checkCommitRow, lowerOps, type StoreWriteOp } from '../commit-index/index.js';
import type { WriteOp } from '../driver.js';
import { ConflictError, InvalidArgumentError } from '../errors.js';
import { checkEventRecord, checkRepositoryRecord, checkUserRecord } from '../inputs.js';
import { checkEntry } from '../objects/check-entry.js';
import { ENCODING } from '../objects/encoding.js';
import type { DataStore } from '../store.js';
import type { ObjectEntry } from '../types.js';
import { checkObjectId, checkObjectType, checkRefName } from '../validate.js';
import type { StoreRecord } from './records.js';

/**
 * An entry copied as stored. Encoding 0 (raw data, from stores written before
 * entries) is kept as it is: reads of every store understand it.
 */
export function checkCopiedEntry(e: ObjectEntry, store: DataStore): ObjectEntry {
  if (e.encoding === ENCODING.raw) {
    checkObjectId(e.id, store.objectFormat);
    checkObjectType(e.type);
    if (e.base !== null || !(e.bytes instanceof Uint8Array)) throw new InvalidArgumentError(`entry ${e.id}: a raw entry has bytes and no base`);
    return e;
  }
  checkEntry(e, store.objectFormat);
  return e;
}

/** The write op that stores one record (objects keep an entry already there: they are write-once). */
export function recordOp(record: Exclude<StoreRecord, { kind: 'commit' }>, store: DataStore): WriteOp;
export function recordOp(record: StoreRecord, store: DataStore): StoreWriteOp;
export function recordOp(record: StoreRecord, store: DataStore): StoreWriteOp {
  switch (record.kind) {
    case 'object':
      return { op: 'putObject', entry: checkCopiedEntry(record.entry, store) };
    case 'repository':
      return { op: 'putRepository', repository: checkRepositoryRecord(record.repository), mode: 'upsert' };
    case 'ref': {
      const { ref } = record;
      checkRefName(ref.name);
      const symbolic = ref.type === 'symbolic';
      if (symbolic) checkRefName(ref.target);
      else checkObjectId(ref.target, store.objectFormat);
      return { op: 'updateRefs', repositoryId: record.repositoryId, updates: [{ name: ref.name, new: ref.target, symbolic }] };
    }
    case 'user':
      return { op: 'putUser', user: checkUserRecord(record.user), mode: 'upsert' };
    case 'event':
      return { op: 'appendEvent', event: checkEventRecord(record.event) };
    case 'config':
      if (typeof record.value !== 'string') throw new InvalidArgumentError(`config ${record.key}: value must be a string`);
      return { op: 'setConfig', key: record.key, value: record.value };
    case 'commit':
      return { op: 'putCommits', repositoryId: record.repositoryId, commits: [checkCommitRow(record.row, store.objectFormat)] };
  }
}

/** The op that records a checkpoint. */
export function checkpointOp(key: string, value: unknown): WriteOp {
  return { op: 'setConfig', key, value: JSON.stringify(value) };
}

/** Reads a checkpoint written by checkpointOp. */
export async function readCheckpoint<T>(store: DataStore, key: string): Promise<T | undefined> {
  const text = await store.getConfig(key);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** Ops whose conflict means the target is ahead (an event already there, a guarded ref a dual write moved): left out. */
const mayConflict = (op: StoreWriteOp) => op.op === 'appendEvent' || (op.op === 'updateRefs' && op.updates.some((u) => u.old !== undefined));

/**
 * Writes ops and a checkpoint atomically. An event that the target already
 * holds (written by a dual-writing server, or by an earlier run without
 * checkpoint), or a guarded ref that moved, is a conflict for the whole
 * batch: then the batch goes again, those ops one by one, leaving out the
 * ones that conflict. Returns how many were left out.
 */
export async function writeBatch(store: DataStore, given: StoreWriteOp[], checkpoint?: WriteOp): Promise<number> {
  // Commit-index ops become config ops for a store that keeps no native index.
  const ops = lowerOps(store.driver, given);
  const all = checkpoint ? [...ops, checkpoint] : ops;
  if (all.length === 0) return 0;
  try {
    await store.driver.write(all);
    return 0;
  } catch (err) {
    if (!(err instanceof ConflictError) || !ops.some(mayConflict)) throw err;
  }
  let skipped = 0;
  const rest = ops.filter((op) => !mayConflict(op));
  if (rest.length > 0) await store.driver.write(rest);
  for (const op of ops) {
    if (!mayConflict(op)) continue;
    try {
      await store.driver.write([op]);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      skipped++;
    }
  }
  if (checkpoint) await store.driver.write([checkpoint]);
  return skipped;
}
