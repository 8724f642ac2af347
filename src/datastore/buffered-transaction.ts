/**
 * A transaction for stores without interactive ones: writes are buffered and
 * replayed through the store's atomic write() at commit, where every
 * compare-and-swap and uniqueness check runs again. Reads see the store's
 * committed data with the transaction's own writes laid over it (read
 * committed); others see nothing until commit; rollback drops the buffer.
 */
import type { CommitIndexReader } from './commit-index/index.js';
import { checkPut } from './conflicts.js';
import type {
  DriverReader,
  DriverTransaction,
  EventCountQuery,
  EventQuery,
  KeyRange,
  RepositoryQuery,
  StoreDriver,
  UserQuery,
  WriteOp,
} from './driver.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from './errors.js';
import {
  compareStrings,
  matchesEvent,
  matchesRepository,
  matchesUser,
  selectEvents,
  selectRepositories,
  selectUsers,
} from './filters.js';
import { planRefUpdates } from './refs.js';
import type { AuditEvent, ObjectEntry, ObjectStat, Ref, Repository, User } from './types.js';

type Overlay<T> = Map<string, T | null>;

/** Base items minus those the overlay replaced, plus overlay items that match; then sorted and cut. */
function mergeKeyed<T>(base: T[], overlay: Overlay<T>, keyOf: (t: T) => string, matches: (t: T) => boolean): T[] {
  const out = base.filter((item) => !overlay.has(keyOf(item)));
  for (const value of overlay.values()) if (value !== null && matches(value)) out.push(value);
  return out;
}

export class BufferedTransaction implements DriverTransaction {
  private readonly ops: WriteOp[] = [];
  private readonly objects: Overlay<ObjectEntry> = new Map();
  private readonly refs = new Map<string, Overlay<Ref>>();
  /** Repositories deleted in this transaction: their stored refs no longer count. */
  private readonly clearedRefs = new Set<string>();
  private readonly repositories: Overlay<Repository> = new Map();
  private readonly users: Overlay<User> = new Map();
  private readonly config: Overlay<string> = new Map();
  private readonly clearedConfig: string[] = [];
  private readonly events: AuditEvent[] = [];

  constructor(
    private readonly base: StoreDriver,
    private readonly readOnly: boolean,
  ) {}

  private get reader(): DriverReader {
    return this.base;
  }

  /**
   * The store's native commit index: CommitIndexOps are buffered as they are
   * and written at commit; reads of the index see committed rows only.
   */
  get commitIndex(): CommitIndexReader | undefined {
    return this.base.commitIndex;
  }

  // ---- writes ----

  async write(ops: WriteOp[]): Promise<void> {
    if (this.readOnly) throw new InvalidArgumentError('this transaction is read-only; begin one without readOnly to write');
    // Each op is checked against the ops before it (a repository created, then its refs written);
    // a failing write leaves the buffer as it was: rebuilt from the ops already accepted.
    let recorded = 0;
    try {
      for (const op of ops) {
        await this.check(op);
        this.record(op);
        recorded++;
      }
    } catch (err) {
      if (recorded > 0) this.rebuild();
      throw err;
    }
    this.ops.push(...ops);
  }

  private rebuild(): void {
    for (const overlay of [this.objects, this.refs, this.repositories, this.users, this.config]) overlay.clear();
    this.clearedRefs.clear();
    this.clearedConfig.length = 0;
    this.events.length = 0;
    for (const op of this.ops) this.record(op);
  }

  private async check(op: WriteOp): Promise<void> {
    switch (op.op) {
      case 'updateRefs': {
        if (!(await this.getRepository(op.repositoryId))) {
          throw new NotFoundError(`repository ${op.repositoryId} does not exist; create it before writing refs`, { id: op.repositoryId });
        }
        const current = new Map<string, Ref | undefined>();
        for (const u of op.updates) current.set(u.name, await this.getRef(op.repositoryId, u.name));
        planRefUpdates(op.repositoryId, op.updates, current);
        return;
      }
      case 'putRepository': {
        checkPut('repository', op.repository.id, await this.getRepository(op.repository.id), op.mode, op.ifVersion);
        const named = await this.getRepositoryByName(op.repository.name);
        if (named && named.id !== op.repository.id) {
          throw new ConflictError(`a repository named ${op.repository.name} already exists`, { name: op.repository.name });
        }
        return;
      }
      case 'putUser': {
        checkPut('user', op.user.id, await this.getUser(op.user.id), op.mode, op.ifVersion);
        const byName = await this.getUserByUsername(op.user.username);
        if (byName && byName.id !== op.user.id) throw new ConflictError(`username ${op.user.username} is taken`, { username: op.user.username });
        const byEmail = await this.getUserByEmail(op.user.email);
        if (byEmail && byEmail.id !== op.user.id) throw new ConflictError(`email ${op.user.email} is taken`, { email: op.user.email });
        return;
      }
      default:
        return;
    }
  }

  private refOverlay(repositoryId: string): Overlay<Ref> {
    let overlay = this.refs.get(repositoryId);
    if (!overlay) this.refs.set(repositoryId, (overlay = new Map()));
    return overlay;
  }

  private record(op: WriteOp): void {
    switch (op.op) {
      case 'putObject':
        this.objects.set(op.entry.id, op.entry);
        return;
      case 'deleteObject':
        this.objects.set(op.id, null);
        return;
      case 'updateRefs': {
        const overlay = this.refOverlay(op.repositoryId);
        for (const u of op.updates) {
          overlay.set(u.name, u.new === null ? null : { name: u.name, type: u.symbolic ? 'symbolic' : 'direct', target: u.new });
        }
        return;
      }
      case 'putRepository':
        this.repositories.set(op.repository.id, op.repository);
        return;
      case 'deleteRepository':
        this.repositories.set(op.id, null);
        this.refs.delete(op.id);
        this.clearedRefs.add(op.id);
        return;
      case 'putUser':
        this.users.set(op.user.id, op.user);
        return;
      case 'deleteUser':
        this.users.set(op.id, null);
        return;
      case 'appendEvent':
        this.events.push(op.event);
        return;
      case 'setConfig':
        this.config.set(op.key, op.value);
        return;
      case 'deleteConfigPrefix':
        for (const key of [...this.config.keys()]) if (key.startsWith(op.prefix)) this.config.delete(key);
        this.clearedConfig.push(op.prefix);
        return;
    }
  }

  /** Stored config keys a deleteConfigPrefix of this transaction removed (and no later set put back). */
  private clearedKey(key: string): boolean {
    return !this.config.has(key) && this.clearedConfig.some((prefix) => key.startsWith(prefix));
  }

  async commit(): Promise<void> {
    if (this.ops.length > 0) await this.base.write(this.ops);
  }

  async rollback(): Promise<void> {
    this.ops.length = 0;
  }

  // ---- reads: overlay first, then the store ----

  async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    const found = await this.reader.getEntries(ids.filter((id) => !this.objects.has(id)));
    for (const id of ids) {
      const o = this.objects.get(id);
      if (o) found.set(id, o);
    }
    return found;
  }

  async hasObjects(ids: string[]): Promise<boolean[]> {
    const base = await this.reader.hasObjects(ids);
    return ids.map((id, i) => (this.objects.has(id) ? this.objects.get(id) !== null : base[i]));
  }

  async statObject(id: string): Promise<ObjectStat | undefined> {
    if (this.objects.has(id)) {
      const o = this.objects.get(id);
      return o ? { id, type: o.type, size: o.size } : undefined;
    }
    return this.reader.statObject(id);
  }

  async listObjectIds(range: KeyRange): Promise<string[]> {
    const base = await this.reader.listObjectIds({ ...range, limit: range.limit + this.objects.size });
    const ids = base.filter((id) => !this.objects.has(id));
    for (const [id, o] of this.objects) {
      if (o && id.startsWith(range.prefix) && (range.after === undefined || id > range.after)) ids.push(id);
    }
    return ids.sort().slice(0, range.limit);
  }

  async listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    const base = await this.reader.listDependents(baseId, { ...range, limit: range.limit + this.objects.size });
    const ids = base.filter((id) => !this.objects.has(id));
    for (const [id, o] of this.objects) if (o?.base === baseId && (range.after === undefined || id > range.after)) ids.push(id);
    return ids.sort().slice(0, range.limit);
  }

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    const overlay = this.refs.get(repositoryId);
    if (overlay?.has(name)) return overlay.get(name) ?? undefined;
    if (this.clearedRefs.has(repositoryId)) return undefined;
    return this.reader.getRef(repositoryId, name);
  }

  async listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    const overlay = this.refs.get(repositoryId) ?? new Map<string, Ref | null>();
    const base = this.clearedRefs.has(repositoryId)
      ? []
      : await this.reader.listRefs(repositoryId, { ...range, limit: range.limit + overlay.size });
    const inRange = (r: Ref) => r.name.startsWith(range.prefix) && (range.after === undefined || compareStrings(r.name, range.after) > 0);
    return mergeKeyed(base, overlay, (r) => r.name, inRange)
      .sort((a, b) => compareStrings(a.name, b.name))
      .slice(0, range.limit);
  }

  async getRepository(id: string): Promise<Repository | undefined> {
    if (this.repositories.has(id)) return this.repositories.get(id) ?? undefined;
    return this.reader.getRepository(id);
  }

  async getRepositoryByName(name: string): Promise<Repository | undefined> {
    for (const r of this.repositories.values()) if (r?.name === name) return r;
    const found = await this.reader.getRepositoryByName(name);
    return found && !this.repositories.has(found.id) ? found : undefined;
  }

  async listRepositories(q: RepositoryQuery): Promise<Repository[]> {
    const base = await this.reader.listRepositories({ ...q, offset: 0, limit: q.offset + q.limit + this.repositories.size });
    const merged = mergeKeyed(base, this.repositories, (r) => r.id, (r) => matchesRepository(r, q));
    return selectRepositories(merged, q);
  }

  async getUser(id: string): Promise<User | undefined> {
    if (this.users.has(id)) return this.users.get(id) ?? undefined;
    return this.reader.getUser(id);
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    for (const u of this.users.values()) if (u?.username === username) return u;
    const found = await this.reader.getUserByUsername(username);
    return found && !this.users.has(found.id) ? found : undefined;
  }

  async getUserByEmail(email: string): Promise<User | undefined> {
    for (const u of this.users.values()) if (u?.email === email) return u;
    const found = await this.reader.getUserByEmail(email);
    return found && !this.users.has(found.id) ? found : undefined;
  }

  async listUsers(q: UserQuery): Promise<User[]> {
    const base = await this.reader.listUsers({ ...q, offset: 0, limit: q.offset + q.limit + this.users.size });
    const merged = mergeKeyed(base, this.users, (u) => u.id, (u) => matchesUser(u, q));
    return selectUsers(merged, q);
  }

  async queryEvents(q: EventQuery): Promise<AuditEvent[]> {
    const base = await this.reader.queryEvents({ ...q, offset: 0, limit: q.offset + q.limit });
    return selectEvents([...base, ...this.events.filter((e) => matchesEvent(e, q))], q);
  }

  async countEvents(q: EventCountQuery): Promise<number> {
    return (await this.reader.countEvents(q)) + this.events.filter((e) => matchesEvent(e, q)).length;
  }

  async getConfig(key: string): Promise<string | undefined> {
    if (this.config.has(key)) return this.config.get(key) ?? undefined;
    if (this.clearedKey(key)) return undefined;
    return this.reader.getConfig(key);
  }

  async listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    // A cleared prefix hides stored keys: read past them (bounded by the stored keys under it).
    const hidden = this.clearedConfig.length > 0;
    const base = hidden
      ? await this.listConfigPast(range)
      : await this.reader.listConfig({ ...range, limit: range.limit + this.config.size });
    const out = base.filter(([k]) => !this.config.has(k) && !this.clearedKey(k));
    for (const [k, v] of this.config) {
      if (v !== null && k.startsWith(range.prefix) && (range.after === undefined || compareStrings(k, range.after) > 0)) out.push([k, v]);
    }
    return out.sort((a, b) => compareStrings(a[0], b[0])).slice(0, range.limit);
  }

  private async listConfigPast(range: KeyRange): Promise<Array<[string, string]>> {
    const out: Array<[string, string]> = [];
    let after = range.after;
    for (;;) {
      const page = await this.reader.listConfig({ ...range, after, limit: range.limit + this.config.size });
      out.push(...page.filter(([k]) => !this.clearedKey(k)));
      if (out.length >= range.limit + this.config.size || page.length < range.limit + this.config.size) return out;
      after = page[page.length - 1][0];
    }
  }
}
