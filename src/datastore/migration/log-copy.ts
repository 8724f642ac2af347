/**
 * `migrate --incremental` through the source's change log (change-log.ts):
 * reads what changed after the checkpoint, reads each changed key's current
 * state from the source, and writes it (or its delete) to the target, in
 * batches whose last write carries the new position as the checkpoint. Then
 * acknowledges the position in the source, which trims the log. Only what
 * the log names is read and written: nothing else is compared or copied.
 */
import type { ChangeLog, LoggedChange } from '../change-log.js';
import { checkCommitRow, parseRowKey, type StoreWriteOp } from '../commit-index/index.js';
import type { WriteOp } from '../driver.js';
import { KEYSPACE } from '../keyspace.js';
import type { DataStore } from '../store.js';
import type { AuditEvent } from '../types.js';
import { checkpointOp, recordOp, writeBatch } from './record-ops.js';
import type { RecordKind } from './records.js';

/** The checkpoint of a follower: where in the source's log the target is. */
export interface LogCheckpoint {
  follower: string;
  position: string;
}

export interface LogCopyCounts {
  copied: Record<RecordKind, number>;
  deleted: number;
  objectBytes: number;
  eventsAlreadyPresent: number;
}

export interface LogCopy {
  source: DataStore;
  target: DataStore;
  log: ChangeLog;
  checkpointKey: string;
  batchSize: number;
  counts: LogCopyCounts;
  onBatch?: (kind: RecordKind) => void;
  stop?: () => boolean;
}

/** Applies the log from `at` on; false when the log was trimmed past it (the caller copies in full). */
export async function copyFromLog(c: LogCopy, at: LogCheckpoint): Promise<boolean> {
  let position = at.position;
  for (;;) {
    if (c.stop?.()) return true;
    const page = await c.log.readChanges(position, c.batchSize);
    if (!page) return false;
    if (page.position === position) return true;
    const ops = await opsFor(c, page.changes);
    const checkpoint = checkpointOp(c.checkpointKey, { follower: at.follower, position: page.position } satisfies LogCheckpoint);
    for (let i = 0; i < ops.length || i === 0; i += c.batchSize) {
      const last = i + c.batchSize >= ops.length;
      const skipped = await writeBatch(c.target, ops.slice(i, i + c.batchSize), last ? checkpoint : undefined);
      c.counts.eventsAlreadyPresent += skipped;
      c.counts.copied.event -= skipped;
      c.onBatch?.('object');
    }
    await c.log.acknowledge(at.follower, page.position);
    position = page.position;
    if (page.changes.length === 0) return true;
  }
}

/** Each changed key once, by kind. Commit-index config keys (stores without a native index) count as their rows. */
function group(changes: LoggedChange[]) {
  const by = {
    object: new Set<string>(),
    repository: new Set<string>(),
    ref: new Map<string, Set<string>>(),
    commit: new Map<string, Set<string>>(),
    user: new Set<string>(),
    event: new Map<string, number>(),
    config: new Set<string>(),
  };
  const add = (map: Map<string, Set<string>>, repositoryId: string, key: string) => map.set(repositoryId, (map.get(repositoryId) ?? new Set<string>()).add(key));
  for (const ch of changes) {
    if (ch.kind === 'ref') add(by.ref, ch.repositoryId, ch.name);
    else if (ch.kind === 'commit') add(by.commit, ch.repositoryId, ch.id);
    else if (ch.kind === 'event') by.event.set(ch.id, ch.timestamp);
    else if (ch.kind === 'config') {
      const row = parseRowKey(ch.key);
      if (row) add(by.commit, row.repositoryId, row.id);
      else if (!ch.key.startsWith(KEYSPACE.commitIndex)) by.config.add(ch.key);
    } else by[ch.kind].add(ch.id);
  }
  return by;
}

/**
 * The writes that bring the target to the source's current state of every
 * changed key: objects first, then deletes of repositories and users (a new
 * one may take a deleted one's name), then their puts, refs, events, config.
 */
async function opsFor(c: LogCopy, changes: LoggedChange[]): Promise<StoreWriteOp[]> {
  const { source, target, counts } = c;
  const by = group(changes);
  const ops: StoreWriteOp[] = [];
  const deletes: WriteOp[] = [];
  const put = (kind: RecordKind, op: WriteOp) => {
    ops.push(op);
    counts.copied[kind]++;
  };
  const remove = (op: WriteOp) => {
    deletes.push(op);
    counts.deleted++;
  };

  const ids = [...by.object];
  const entries = await source.getEntries(ids);
  const gone = ids.filter((id) => !entries.has(id));
  const present = gone.length > 0 ? await target.hasObjects(gone) : [];
  gone.forEach((id, i) => present[i] && remove({ op: 'deleteObject', id }));
  for (const entry of entries.values()) {
    put('object', recordOp({ kind: 'object', entry }, target));
    counts.objectBytes += entry.bytes.byteLength;
  }

  const repositories = new Set<string>();
  for (const id of by.repository) {
    const repository = await source.getRepository(id);
    if (repository) {
      repositories.add(id);
      put('repository', recordOp({ kind: 'repository', repository }, target));
    } else if (await target.getRepository(id)) remove({ op: 'deleteRepository', id });
  }
  for (const id of by.user) {
    const user = await source.getUser(id);
    if (user) put('user', recordOp({ kind: 'user', user }, target));
    else if (await target.getUser(id)) remove({ op: 'deleteUser', id });
  }
  ops.splice(entries.size, 0, ...deletes);

  for (const [repositoryId, names] of by.ref) {
    // refs of a repository deleted since go with it
    if (!repositories.has(repositoryId) && !(await source.getRepository(repositoryId))) continue;
    for (const name of names) {
      const ref = await source.getRef(repositoryId, name);
      if (ref) put('ref', recordOp({ kind: 'ref', repositoryId, ref }, target));
      else if (await target.getRef(repositoryId, name)) {
        ops.push({ op: 'updateRefs', repositoryId, updates: [{ name, new: null, symbolic: false }] });
        counts.deleted++;
      }
    }
  }

  for (const [repositoryId, ids] of by.commit) {
    if (!repositories.has(repositoryId) && !(await source.getRepository(repositoryId))) continue;
    ops.push(...(await commitOps(c, repositoryId, [...ids])));
  }

  for (const [id, timestamp] of by.event) {
    const event = await eventById(source, id, timestamp);
    if (event) put('event', recordOp({ kind: 'event', event }, target));
  }

  for (const key of by.config) {
    if (key.startsWith(KEYSPACE.migration)) continue;
    const value = await source.getConfig(key);
    if (value !== undefined) put('config', recordOp({ kind: 'config', key, value }, target));
    else if ((await target.getConfig(key)) !== undefined) {
      ops.push({ op: 'setConfig', key, value: null });
      counts.deleted++;
    }
  }
  return ops;
}

/** The target's rows of `ids` made the source's: present ones put, gone ones deleted (with contributors no source row has any more). */
async function commitOps(c: LogCopy, repositoryId: string, ids: string[]): Promise<StoreWriteOp[]> {
  const here = await c.source.getIndexedRows(repositoryId, ids);
  const present = new Set(here.map((r) => r.id));
  const gone = await c.target.getIndexedRows(repositoryId, ids.filter((id) => !present.has(id)));
  const ops: StoreWriteOp[] = [];
  if (gone.length > 0) {
    const authors = new Set<string>();
    for await (const who of c.source.listIndexedContributors(repositoryId)) authors.add(who.email.toLowerCase());
    const contributors = [...new Set(gone.map((r) => r.author.email.toLowerCase()))].filter((email) => !authors.has(email));
    ops.push({ op: 'deleteCommits', repositoryId, commits: gone, contributors });
    c.counts.deleted += gone.length;
  }
  if (here.length > 0) {
    ops.push({ op: 'putCommits', repositoryId, commits: here.map((row) => checkCommitRow(row, c.target.objectFormat)) });
    c.counts.copied.commit += here.length;
  }
  return ops;
}

/** Events have no lookup by id: the log carries the timestamp, and the events of that millisecond are few. */
async function eventById(store: DataStore, id: string, timestamp: number): Promise<AuditEvent | undefined> {
  let cursor: string | undefined;
  do {
    const page = await store.queryEvents({ since: new Date(timestamp), until: new Date(timestamp + 1), order: 'asc', limit: 500, cursor });
    const found = page.items.find((e) => e.id === id);
    if (found) return found;
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}
