/**
 * The memory store: every write applies in order with an undo log, so a
 * failing op leaves nothing behind. With a byte limit it refuses writes when
 * full, or, configured as a cache, evicts least-recently-used objects.
 */
import type { DriverStats, EventCountQuery, EventQuery, KeyRange, PutMode, RepositoryQuery, StoreDriver, UserQuery, WriteOp } from '../../driver.js';
import { checkPut, recordError } from '../../conflicts.js';
import { CapacityError } from '../../errors.js';
import { compareStrings, matchesEvent, selectEvents, selectRepositories, selectUsers } from '../../filters.js';
import { planRefUpdates } from '../../refs.js';
import type { AuditEvent, Capabilities, ObjectEntry, ObjectStat, Ref, Repository, User } from '../../types.js';
import { addDependent, loadSnapshot, removeDependent, saveSnapshot } from './snapshot.js';
import { emptyState, setWithUndo, type MemoryState } from './state.js';

export interface MemoryOptions {
  /** Bound on stored object bytes; 0 = unbounded. */
  maxBytes: number;
  /** A cache evicts least-recently-used objects when full; a primary store refuses the write. */
  mode: 'primary' | 'cache';
  /** Where to save on close and load on open; undefined = nothing persists. */
  snapshotPath?: string;
}

/** Binary search: the first index whose id is greater than `key`. */
function upperBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryDriver implements StoreDriver {
  readonly type = 'memory';
  readonly capabilities: Capabilities;
  private state: MemoryState = emptyState();
  private objectBytes = 0;
  /** Sorted object ids, rebuilt lazily after writes. */
  private sortedIds: string[] | undefined;

  constructor(private readonly options: MemoryOptions) {
    this.capabilities = {
      transactions: true,
      isolationLevels: ['read-committed'],
      persistent: options.snapshotPath !== undefined,
      durable: false,
      multiProcess: false,
      maxObjectSize: options.maxBytes > 0 ? options.maxBytes : 2 ** 31 - 1,
      changeEvents: false,
      ttl: false,
    };
  }

  async open(): Promise<void> {
    if (!this.options.snapshotPath) return;
    const loaded = loadSnapshot(this.options.snapshotPath);
    if (loaded) {
      this.state = loaded;
      this.objectBytes = 0;
      for (const o of loaded.objects.values()) this.objectBytes += o.bytes.byteLength;
    }
  }

  async close(): Promise<void> {
    if (this.options.snapshotPath) saveSnapshot(this.options.snapshotPath, this.state);
    this.state = emptyState();
  }

  async ping(): Promise<Record<string, unknown>> {
    return { mode: this.options.mode, maxBytes: this.options.maxBytes, usedBytes: this.objectBytes };
  }

  async stats(): Promise<DriverStats> {
    return { objectCount: this.state.objects.size, storageBytes: this.objectBytes };
  }

  // ---- writes ----

  async write(ops: WriteOp[]): Promise<void> {
    const undo: Array<() => void> = [];
    const bytesBefore = this.objectBytes;
    const written = new Set<string>();
    try {
      for (const op of ops) this.apply(op, undo, written);
      this.enforceLimit(written);
    } catch (err) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]();
      this.objectBytes = bytesBefore;
      throw err;
    } finally {
      if (written.size > 0 || ops.some((o) => o.op === 'deleteObject')) this.sortedIds = undefined;
    }
  }

  private enforceLimit(written: Set<string>): void {
    const max = this.options.maxBytes;
    if (max <= 0 || this.objectBytes <= max) return;
    if (this.options.mode === 'primary') {
      throw new CapacityError(`memory store is full: ${this.objectBytes} bytes would exceed max_size ${max}; nothing was written. Raise max_size or use a persistent store`, {
        maxBytes: max,
      });
    }
    // Cache: evict least recently used objects (with the deltas built on them), but never the ones this write adds.
    for (const id of this.state.objects.keys()) {
      if (this.objectBytes <= max) break;
      const doomed = this.withDependents(id);
      if (doomed.some((d) => written.has(d))) continue;
      for (const d of doomed) this.drop(d);
    }
    if (this.objectBytes > max) {
      throw new CapacityError(`objects in one write (${this.objectBytes} bytes) exceed the cache's max_size ${max}`, { maxBytes: max });
    }
  }

  /** Counts an entry in and indexes its base. */
  private link(entry: ObjectEntry, undo: Array<() => void>): void {
    this.objectBytes += entry.bytes.byteLength;
    if (entry.base) {
      addDependent(this.state, entry.base, entry.id);
      undo.push(() => removeDependent(this.state, entry.base!, entry.id));
    }
  }

  private unlink(entry: ObjectEntry, undo: Array<() => void>): void {
    this.objectBytes -= entry.bytes.byteLength;
    if (entry.base) {
      removeDependent(this.state, entry.base, entry.id);
      undo.push(() => addDependent(this.state, entry.base!, entry.id));
    }
  }

  /** An id and every entry that builds on it, directly or through other deltas. */
  private withDependents(id: string): string[] {
    const out = [id];
    for (let i = 0; i < out.length; i++) for (const d of this.state.dependents.get(out[i]) ?? []) out.push(d);
    return out;
  }

  /** Eviction: no undo, the write that evicts has already succeeded. */
  private drop(id: string): void {
    const old = this.state.objects.get(id);
    if (!old) return;
    this.state.objects.delete(id);
    this.unlink(old, []);
  }

  private apply(op: WriteOp, undo: Array<() => void>, written: Set<string>): void {
    const s = this.state;
    switch (op.op) {
      case 'putObject': {
        const old = s.objects.get(op.entry.id);
        if (old && !op.replace) return;
        if (old) this.unlink(old, undo);
        const entry = { ...op.entry, bytes: Buffer.from(op.entry.bytes) };
        setWithUndo(s.objects, entry.id, entry, undo);
        this.link(entry, undo);
        written.add(entry.id);
        return;
      }
      case 'deleteObject': {
        const old = s.objects.get(op.id);
        if (!old) return;
        setWithUndo(s.objects, op.id, undefined, undo);
        this.unlink(old, undo);
        return;
      }
      case 'updateRefs': {
        if (!s.repositories.has(op.repositoryId)) {
          throw recordError({ kind: 'refs-repo-missing', id: op.repositoryId });
        }
        let refs = s.refs.get(op.repositoryId);
        if (!refs) {
          refs = new Map();
          setWithUndo(s.refs, op.repositoryId, refs, undo);
        }
        const changes = planRefUpdates(op.repositoryId, op.updates, refs);
        for (const c of changes) setWithUndo(refs, c.name, c.ref ?? undefined, undo);
        return;
      }
      case 'putRepository':
        return this.putRepository(op.repository, op.mode, op.ifVersion, undo);
      case 'deleteRepository': {
        const old = s.repositories.get(op.id);
        if (!old) return;
        setWithUndo(s.repositories, op.id, undefined, undo);
        setWithUndo(s.repositoryIdsByName, old.name, undefined, undo);
        setWithUndo(s.refs, op.id, undefined, undo);
        return;
      }
      case 'putUser':
        return this.putUser(op.user, op.mode, op.ifVersion, undo);
      case 'deleteUser': {
        const old = s.users.get(op.id);
        if (!old) return;
        setWithUndo(s.users, op.id, undefined, undo);
        setWithUndo(s.userIdsByUsername, old.username, undefined, undo);
        setWithUndo(s.userIdsByEmail, old.email, undefined, undo);
        return;
      }
      case 'appendEvent':
        if (s.eventIds.has(op.event.id)) throw recordError({ kind: 'event-exists', id: op.event.id });
        s.events.push(op.event);
        s.eventIds.add(op.event.id);
        undo.push(() => {
          s.events.splice(s.events.lastIndexOf(op.event), 1);
          s.eventIds.delete(op.event.id);
        });
        return;
      case 'setConfig':
        setWithUndo(s.config, op.key, op.value ?? undefined, undo);
        return;
      case 'deleteConfigPrefix':
        for (const key of [...s.config.keys()]) if (key.startsWith(op.prefix)) setWithUndo(s.config, key, undefined, undo);
        return;
    }
  }

  private putRepository(repo: Repository, mode: PutMode, ifVersion: number | undefined, undo: Array<() => void>): void {
    const s = this.state;
    const old = s.repositories.get(repo.id);
    checkPut('repository', repo.id, old, mode, ifVersion);
    const holder = s.repositoryIdsByName.get(repo.name);
    if (holder !== undefined && holder !== repo.id) throw recordError({ kind: 'repo-name', name: repo.name });
    if (old && old.name !== repo.name) setWithUndo(s.repositoryIdsByName, old.name, undefined, undo);
    setWithUndo(s.repositoryIdsByName, repo.name, repo.id, undo);
    setWithUndo(s.repositories, repo.id, structuredClone(repo), undo);
  }

  private putUser(user: User, mode: PutMode, ifVersion: number | undefined, undo: Array<() => void>): void {
    const s = this.state;
    const old = s.users.get(user.id);
    checkPut('user', user.id, old, mode, ifVersion);
    const byName = s.userIdsByUsername.get(user.username);
    if (byName !== undefined && byName !== user.id) throw recordError({ kind: 'username', username: user.username });
    const byEmail = s.userIdsByEmail.get(user.email);
    if (byEmail !== undefined && byEmail !== user.id) throw recordError({ kind: 'email', email: user.email });
    if (old) {
      setWithUndo(s.userIdsByUsername, old.username, undefined, undo);
      setWithUndo(s.userIdsByEmail, old.email, undefined, undo);
    }
    setWithUndo(s.userIdsByUsername, user.username, user.id, undo);
    setWithUndo(s.userIdsByEmail, user.email, user.id, undo);
    setWithUndo(s.users, user.id, structuredClone(user), undo);
  }

  // ---- reads ----

  private touch(id: string): ObjectEntry | undefined {
    const o = this.state.objects.get(id);
    if (o && this.options.mode === 'cache') {
      this.state.objects.delete(id);
      this.state.objects.set(id, o);
    }
    return o;
  }

  async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    const out = new Map<string, ObjectEntry>();
    for (const id of ids) {
      const o = this.touch(id);
      if (o) out.set(id, o);
    }
    return out;
  }

  async hasObjects(ids: string[]): Promise<boolean[]> {
    return ids.map((id) => this.state.objects.has(id));
  }

  async statObject(id: string): Promise<ObjectStat | undefined> {
    const o = this.state.objects.get(id);
    return o ? { id, type: o.type, size: o.size } : undefined;
  }

  async listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    const ids = [...(this.state.dependents.get(baseId) ?? [])].filter((id) => range.after === undefined || id > range.after);
    return ids.sort().slice(0, range.limit);
  }

  async listObjectIds(range: KeyRange): Promise<string[]> {
    this.sortedIds ??= [...this.state.objects.keys()].sort();
    const ids = this.sortedIds;
    let i = range.after !== undefined && range.after >= range.prefix ? upperBound(ids, range.after) : lowerBound(ids, range.prefix);
    const out: string[] = [];
    for (; i < ids.length && out.length < range.limit; i++) {
      if (!ids[i].startsWith(range.prefix)) break;
      out.push(ids[i]);
    }
    return out;
  }

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    const ref = this.state.refs.get(repositoryId)?.get(name);
    return ref && { ...ref };
  }

  async listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    const refs = [...(this.state.refs.get(repositoryId)?.values() ?? [])].filter(
      (r) => r.name.startsWith(range.prefix) && (range.after === undefined || compareStrings(r.name, range.after) > 0),
    );
    return refs.sort((a, b) => compareStrings(a.name, b.name)).slice(0, range.limit).map((r) => ({ ...r }));
  }

  async getRepository(id: string): Promise<Repository | undefined> {
    const r = this.state.repositories.get(id);
    return r && structuredClone(r);
  }

  async getRepositoryByName(name: string): Promise<Repository | undefined> {
    const id = this.state.repositoryIdsByName.get(name);
    return id === undefined ? undefined : this.getRepository(id);
  }

  async listRepositories(query: RepositoryQuery): Promise<Repository[]> {
    return selectRepositories(this.state.repositories.values(), query).map((r) => structuredClone(r));
  }

  async getUser(id: string): Promise<User | undefined> {
    const u = this.state.users.get(id);
    return u && structuredClone(u);
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    const id = this.state.userIdsByUsername.get(username);
    return id === undefined ? undefined : this.getUser(id);
  }

  async getUserByEmail(email: string): Promise<User | undefined> {
    const id = this.state.userIdsByEmail.get(email);
    return id === undefined ? undefined : this.getUser(id);
  }

  async listUsers(query: UserQuery): Promise<User[]> {
    return selectUsers(this.state.users.values(), query).map((u) => structuredClone(u));
  }

  async queryEvents(query: EventQuery): Promise<AuditEvent[]> {
    return selectEvents(this.state.events, query).map((e) => structuredClone(e));
  }

  async countEvents(query: EventCountQuery): Promise<number> {
    let n = 0;
    for (const e of this.state.events) if (matchesEvent(e, query)) n++;
    return n;
  }

  async getConfig(key: string): Promise<string | undefined> {
    return this.state.config.get(key);
  }

  async listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    const pairs = [...this.state.config].filter(
      ([k]) => k.startsWith(range.prefix) && (range.after === undefined || compareStrings(k, range.after) > 0),
    );
    return pairs.sort((a, b) => compareStrings(a[0], b[0])).slice(0, range.limit);
  }
}
