/**
 * Turns the DataStore's write ops into key-value puts and deletes, checking
 * compare-and-swap, put modes and uniqueness against the state the engine's
 * transact() hands in, so checks and writes commit atomically together.
 */
import type { PutMode, WriteOp } from '../../driver.js';
import { checkPut, recordError } from '../../conflicts.js';
import { CapacityError, type DataStoreError } from '../../errors.js';
import { planRefUpdates } from '../../refs.js';
import type { AuditEvent, ObjectEntry, Ref, Repository, User } from '../../types.js';
import { EVENT_INDEX_NS, NS, dependentKey, encodeTime, eventIndexKey, eventKey, key, keyPrefix, prefixEnd, type EventIndexField } from './keys.js';
import { decodeEntryHead, encodeEntryValue, entryBytesIn, type EntryHead } from './object-value.js';
import type { Overlay } from './overlay.js';
import {
  decodeCounter,
  decodeRef,
  decodeRepository,
  decodeUser,
  encodeCounter,
  encodeEvent,
  encodeRef,
  encodeRepository,
  encodeUser,
} from './records.js';

export const OBJECT_COUNT_KEY = key(NS.meta, 'objects');
export const OBJECT_BYTES_KEY = key(NS.meta, 'object-bytes');

const EMPTY = Buffer.alloc(0);

export const EVENT_INDEX_FIELDS = Object.keys(EVENT_INDEX_NS) as EventIndexField[];

export class WritePlanner {
  private objectCount: number;
  private objectBytes: number;
  private readonly startCount: number;
  private readonly startBytes: number;

  constructor(
    private readonly view: Overlay,
    private readonly maxObjectSize: number,
  ) {
    const [count, bytes] = view.getMany([OBJECT_COUNT_KEY, OBJECT_BYTES_KEY]);
    this.objectCount = this.startCount = decodeCounter(count);
    this.objectBytes = this.startBytes = decodeCounter(bytes);
  }

  apply(ops: WriteOp[]): void {
    this.prefetch(ops);
    for (const op of ops) this.applyOne(op);
    if (this.objectCount !== this.startCount) this.view.put(OBJECT_COUNT_KEY, encodeCounter(this.objectCount));
    if (this.objectBytes !== this.startBytes) this.view.put(OBJECT_BYTES_KEY, encodeCounter(this.objectBytes));
  }

  /**
   * Values before this write of the object and event-id keys it touches,
   * fetched with one multi-get instead of one get per op (only those ops
   * touch those keys, so the first read of each may come from here).
   */
  private prefetched = new Map<string, Uint8Array | undefined>();

  private prefetch(ops: WriteOp[]): void {
    const keys: Buffer[] = [];
    for (const op of ops) {
      if (op.op === 'putObject') keys.push(key(NS.object, op.entry.id));
      else if (op.op === 'deleteObject') keys.push(key(NS.object, op.id));
      else if (op.op === 'appendEvent') keys.push(key(NS.eventId, op.event.id));
    }
    if (keys.length < 2) return;
    const values = this.view.getMany(keys);
    keys.forEach((k, i) => this.prefetched.set(k.toString('latin1'), values[i]));
  }

  private read(k: Buffer): Uint8Array | undefined {
    const id = k.toString('latin1');
    if (!this.prefetched.has(id)) return this.view.get(k);
    const value = this.prefetched.get(id);
    this.prefetched.delete(id); // a later op on the same key reads the overlay
    return value;
  }

  /** The stored entry of an id before this op (its fields and byte count), or undefined when absent. */
  private storedEntry(id: string): { head: EntryHead; bytes: number } | undefined {
    const value = this.read(key(NS.object, id));
    if (value === undefined) return undefined;
    const head = decodeEntryHead(value, id);
    return { head, bytes: entryBytesIn(value, head) };
  }

  /** Takes a stored entry out: its record, its reverse-index key and its share of the counters. */
  private removeEntry(id: string, stored: { head: EntryHead; bytes: number }): void {
    this.view.del(key(NS.object, id));
    if (stored.head.base !== null) this.view.del(dependentKey(stored.head.base, id));
    this.objectCount--;
    this.objectBytes -= stored.bytes;
  }

  private applyOne(op: WriteOp): void {
    switch (op.op) {
      case 'putObject':
        return this.putObject(op.entry, op.replace === true);
      case 'deleteObject': {
        const stored = this.storedEntry(op.id);
        if (stored) this.removeEntry(op.id, stored);
        return;
      }
      case 'updateRefs':
        return this.updateRefs(op.repositoryId, op.updates);
      case 'putRepository':
        return this.putRepository(op.repository, op.mode, op.ifVersion);
      case 'deleteRepository':
        return this.deleteRepository(op.id);
      case 'putUser':
        return this.putUser(op.user, op.mode, op.ifVersion);
      case 'deleteUser':
        return this.deleteUser(op.id);
      case 'appendEvent':
        return this.appendEvent(op.event);
      case 'setConfig': {
        const k = key(NS.config, op.key);
        if (op.value === null) this.view.del(k);
        else this.view.put(k, Buffer.from(op.value, 'utf8'));
        return;
      }
      case 'deleteConfigPrefix': {
        const from = key(NS.config, op.prefix);
        const doomed = [];
        for (const entry of this.view.range({ gte: from, lt: prefixEnd(from), keysOnly: true })) doomed.push(entry.key);
        for (const k of doomed) this.view.del(k);
        return;
      }
    }
  }

  private putObject(entry: ObjectEntry, replace: boolean): void {
    // The object is what a read holds in memory whole; its entry is what the value holds.
    const bytes = Math.max(entry.size, entry.bytes.byteLength);
    if (bytes > this.maxObjectSize) {
      throw new CapacityError(`object ${entry.id} is ${bytes} bytes, over this store's ${this.maxObjectSize}-byte object limit; nothing was written`, {
        maxBytes: this.maxObjectSize,
      });
    }
    const stored = this.storedEntry(entry.id);
    if (stored && !replace) return; // write-once: same id, same content
    if (stored) this.removeEntry(entry.id, stored);
    this.view.put(key(NS.object, entry.id), encodeEntryValue(entry));
    if (entry.base !== null) this.view.put(dependentKey(entry.base, entry.id), EMPTY);
    this.objectCount++;
    this.objectBytes += entry.bytes.byteLength;
  }

  private updateRefs(repositoryId: string, updates: Parameters<typeof planRefUpdates>[1]): void {
    if (this.view.get(key(NS.repository, repositoryId)) === undefined) {
      throw recordError({ kind: 'refs-repo-missing', id: repositoryId });
    }
    const refKeys = updates.map((u) => key(NS.ref, repositoryId, u.name));
    const values = this.view.getMany(refKeys);
    const current = new Map<string, Ref | undefined>();
    updates.forEach((u, i) => {
      const v = values[i];
      // a name updated twice in one call is checked against the state before the call
      if (!current.has(u.name)) current.set(u.name, v === undefined ? undefined : decodeRef(u.name, v));
    });
    const changes = planRefUpdates(repositoryId, updates, current);
    changes.forEach((c, i) => {
      if (c.ref) this.view.put(refKeys[i], encodeRef(c.ref));
      else this.view.del(refKeys[i]);
    });
  }

  /** Claims a unique index key for `id`; another holder is a conflict. */
  private claim(indexKey: Buffer, id: string, conflict: () => DataStoreError): void {
    const holder = this.view.get(indexKey);
    if (holder !== undefined && Buffer.from(holder).toString('utf8') !== id) throw conflict();
    this.view.put(indexKey, Buffer.from(id, 'utf8'));
  }

  private putRepository(repo: Repository, mode: PutMode, ifVersion: number | undefined): void {
    const k = key(NS.repository, repo.id);
    const oldValue = this.view.get(k);
    const old = oldValue === undefined ? undefined : decodeRepository(oldValue);
    checkPut('repository', repo.id, old, mode, ifVersion);
    if (old && old.name !== repo.name) this.view.del(key(NS.repositoryName, old.name));
    this.claim(key(NS.repositoryName, repo.name), repo.id, () => recordError({ kind: 'repo-name', name: repo.name }));
    this.view.put(k, encodeRepository(repo));
  }

  private deleteRepository(id: string): void {
    const k = key(NS.repository, id);
    const oldValue = this.view.get(k);
    if (oldValue === undefined) return;
    this.view.del(k);
    this.view.del(key(NS.repositoryName, decodeRepository(oldValue).name));
    const refs = keyPrefix(NS.ref, id);
    const refKeys = [];
    for (const entry of this.view.range({ gte: refs, lt: prefixEnd(refs), keysOnly: true })) refKeys.push(entry.key);
    for (const refKey of refKeys) this.view.del(refKey);
  }

  private putUser(user: User, mode: PutMode, ifVersion: number | undefined): void {
    const k = key(NS.user, user.id);
    const oldValue = this.view.get(k);
    const old = oldValue === undefined ? undefined : decodeUser(oldValue);
    checkPut('user', user.id, old, mode, ifVersion);
    if (old && old.username !== user.username) this.view.del(key(NS.username, old.username));
    if (old && old.email !== user.email) this.view.del(key(NS.email, old.email));
    this.claim(key(NS.username, user.username), user.id, () => recordError({ kind: 'username', username: user.username }));
    this.claim(key(NS.email, user.email), user.id, () => recordError({ kind: 'email', email: user.email }));
    this.view.put(k, encodeUser(user));
  }

  private deleteUser(id: string): void {
    const k = key(NS.user, id);
    const oldValue = this.view.get(k);
    if (oldValue === undefined) return;
    const old = decodeUser(oldValue);
    this.view.del(k);
    this.view.del(key(NS.username, old.username));
    this.view.del(key(NS.email, old.email));
  }

  private appendEvent(event: AuditEvent): void {
    const idKey = key(NS.eventId, event.id);
    if (this.read(idKey) !== undefined) throw recordError({ kind: 'event-exists', id: event.id });
    const t = event.timestamp.getTime();
    this.view.put(idKey, encodeTime(t));
    this.view.put(eventKey(t, event.id), encodeEvent(event));
    for (const ik of eventIndexKeys(event)) this.view.put(ik, EMPTY);
  }
}

/** Index keys of an event: one per indexed field that has a value. */
export function eventIndexKeys(event: AuditEvent): Buffer[] {
  const t = event.timestamp.getTime();
  const out: Buffer[] = [];
  for (const field of EVENT_INDEX_FIELDS) {
    const value = event[field];
    if (value !== null && value !== undefined) out.push(eventIndexKey(field, value, t, event.id));
  }
  return out;
}

