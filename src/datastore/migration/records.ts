/**
 * A store's whole content as a stream of plain records: the unit of backup,
 * restore and migration between any two stores. Objects travel as stored
 * entries (deflated, deltas kept), never inflated. Each list streams in pages,
 * so nothing loads a whole table into memory. Migration checkpoints are not
 * content: they stay with the store that holds them.
 */
import type { CommitIndexRow, StoreWriteOp } from '../commit-index/index.js';
import type { DataStore } from '../store.js';
import type { AuditEvent, ObjectEntry, Ref, Repository, User } from '../types.js';
import { recordOp, writeBatch } from './record-ops.js';
import * as sorted from './sorted.js';

export type StoreRecord =
  | { kind: 'object'; entry: ObjectEntry }
  | { kind: 'repository'; repository: Repository }
  | { kind: 'ref'; repositoryId: string; ref: Ref }
  | { kind: 'user'; user: User }
  | { kind: 'event'; event: AuditEvent }
  | { kind: 'config'; key: string; value: string }
  /** A row of a repository's commit index (datastore/commit-index). */
  | { kind: 'commit'; repositoryId: string; row: CommitIndexRow };

export type RecordKind = StoreRecord['kind'];
export const RECORD_KINDS: readonly RecordKind[] = ['object', 'repository', 'ref', 'user', 'event', 'config', 'commit'];

const PAGE = 500;

/** Every record of the store: objects, repositories with their refs, users, events, config. */
export async function* dumpStore(store: DataStore): AsyncGenerator<StoreRecord> {
  const ids: string[] = [];
  for await (const id of store.listObjects()) {
    ids.push(id);
    if (ids.length === PAGE) yield* objectRecords(store, ids.splice(0));
  }
  yield* objectRecords(store, ids);
  for await (const { value: repository } of sorted.repositories(store)) {
    yield { kind: 'repository', repository };
    for await (const { value: ref } of sorted.refs(store, repository.id)) yield { kind: 'ref', repositoryId: repository.id, ref };
    for await (const { value: row } of sorted.commits(store, repository.id)) yield { kind: 'commit', repositoryId: repository.id, row };
  }
  for await (const { value: user } of sorted.users(store)) yield { kind: 'user', user };
  for await (const { value: event } of sorted.events(store)) yield { kind: 'event', event };
  for await (const { key, value } of sorted.config(store)) yield { kind: 'config', key, value };
}

/** The stored entries of `ids`, in that order; an object deleted since it was listed is left out. */
export async function* objectRecords(store: DataStore, ids: string[]): AsyncGenerator<Extract<StoreRecord, { kind: 'object' }>> {
  if (ids.length === 0) return;
  const found = await store.getEntries(ids);
  for (const id of ids) {
    const entry = found.get(id);
    if (entry) yield { kind: 'object', entry };
  }
}

/**
 * Writes records into a store in batches. Records must come
 * repositories-before-refs, as dumpStore yields them; a delta may come before
 * its base (objects come in id order), so the store is whole only once every
 * object record is in.
 */
export async function loadStore(store: DataStore, records: AsyncIterable<StoreRecord> | Iterable<StoreRecord>): Promise<number> {
  let count = 0;
  const batch: StoreWriteOp[] = [];
  for await (const record of records) {
    count++;
    batch.push(recordOp(record, store));
    if (batch.length >= PAGE) await writeBatch(store, batch.splice(0));
  }
  await writeBatch(store, batch);
  return count;
}
