/**
 * A store's whole content as a stream of plain records: the unit of backup,
 * restore and migration between any two stores. Each list streams in pages,
 * so nothing loads a whole table into memory.
 */
import type { DataStore } from '../store.js';
import type { AuditEvent, ObjectType, Ref, Repository, User } from '../types.js';

export type StoreRecord =
  | { kind: 'object'; id: string; type: ObjectType; data: Uint8Array }
  | { kind: 'repository'; repository: Repository }
  | { kind: 'ref'; repositoryId: string; ref: Ref }
  | { kind: 'user'; user: User }
  | { kind: 'event'; event: AuditEvent }
  | { kind: 'config'; key: string; value: string };

const PAGE = 500;

async function* pages<T>(fetch: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor);
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** Every record of the store: objects, repositories with their refs, users, events, config. */
export async function* dumpStore(store: DataStore): AsyncGenerator<StoreRecord> {
  const ids: string[] = [];
  for await (const id of store.listObjects()) {
    ids.push(id);
    if (ids.length === PAGE) yield* objectRecords(store, ids.splice(0));
  }
  yield* objectRecords(store, ids);
  for await (const repository of pages((cursor) => store.listRepositories({ cursor, limit: PAGE }))) {
    yield { kind: 'repository', repository };
    for await (const ref of store.listRefs(repository.id)) yield { kind: 'ref', repositoryId: repository.id, ref };
  }
  for await (const user of pages((cursor) => store.listUsers({ cursor, limit: PAGE }))) yield { kind: 'user', user };
  for await (const event of pages((cursor) => store.queryEvents({ cursor, limit: PAGE }))) yield { kind: 'event', event };
  for await (const [key, value] of store.listConfig()) yield { kind: 'config', key, value };
}

async function* objectRecords(store: DataStore, ids: string[]): AsyncGenerator<StoreRecord> {
  if (ids.length === 0) return;
  const found = await store.getObjects(ids);
  for (const id of ids) {
    const o = found.get(id);
    // An object deleted between listing and reading is simply not part of the dump.
    if (o) yield { kind: 'object', id, type: o.type, data: o.data };
  }
}

/** Writes records into a store; objects go in batches. Records must come repositories-before-refs, as dumpStore yields them. */
export async function loadStore(store: DataStore, records: AsyncIterable<StoreRecord> | Iterable<StoreRecord>): Promise<number> {
  let count = 0;
  let batch: Array<{ id: string; type: ObjectType; data: Uint8Array }> = [];
  const flush = async () => {
    if (batch.length > 0) await store.putObjects(batch.splice(0));
  };
  for await (const record of records) {
    count++;
    switch (record.kind) {
      case 'object':
        batch.push({ id: record.id, type: record.type, data: record.data });
        if (batch.length >= PAGE) await flush();
        break;
      case 'repository':
        await store.saveRepository(record.repository);
        break;
      case 'ref':
        await store.updateRefs(record.repositoryId, [
          { name: record.ref.name, new: record.ref.target, symbolic: record.ref.type === 'symbolic' },
        ]);
        break;
      case 'user':
        await store.saveUser(record.user);
        break;
      case 'event':
        await store.restoreEvent(record.event);
        break;
      case 'config':
        await store.setConfig(record.key, record.value);
        break;
    }
  }
  await flush();
  return count;
}
