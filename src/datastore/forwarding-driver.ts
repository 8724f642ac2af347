/**
 * A driver that hands every call to another: the base for drivers that wrap a
 * store (layers, hybrids, a migrating store). A subclass overrides only what
 * it changes; everything it does not override behaves exactly as `inner`.
 *
 * The commit index follows the same rule: a wrapper offers `inner`'s native
 * index (PostgreSQL's tables), so the DataStore hands it CommitIndexOps,
 * which write() passes down as they are. A wrapper that writes to more than
 * one store lowers them per store (commit-index lowerOps); one that must not let rows
 * reach a native index in the clear (encryption) offers none.
 */
import type {
  ChangeFeed,
  ChangeListener,
  DriverStats,
  DriverTransaction,
  EventCountQuery,
  EventQuery,
  KeyRange,
  RepositoryQuery,
  StoreDriver,
  UserQuery,
  WriteOp,
} from './driver.js';
import type { CommitIndexReader } from './commit-index/index.js';
import type { AuditEvent, Capabilities, ObjectEntry, ObjectStat, Ref, Repository, TransactionOptions, User } from './types.js';

export class ForwardingDriver implements StoreDriver, ChangeFeed {
  constructor(protected readonly inner: StoreDriver) {}

  /** The driver this one wraps (to find a layer in a stack). */
  get wrapped(): StoreDriver {
    return this.inner;
  }

  get type(): string {
    return this.inner.type;
  }
  /** The native commit index of the store below, if it keeps one. */
  get commitIndex(): CommitIndexReader | undefined {
    return this.inner.commitIndex;
  }
  get capabilities(): Capabilities {
    return this.inner.capabilities;
  }

  open(): Promise<void> {
    return this.inner.open();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  write(ops: WriteOp[]): Promise<void> {
    return this.inner.write(ops);
  }
  /** Present only when the inner store has native transactions (DataStore checks `begin`). */
  get begin(): ((options: Required<TransactionOptions>) => Promise<DriverTransaction>) | undefined {
    const inner = this.inner;
    return inner.begin ? (options) => inner.begin!(options) : undefined;
  }
  ping(): Promise<Record<string, unknown>> {
    return this.inner.ping();
  }
  stats(): Promise<DriverStats> {
    return this.inner.stats();
  }
  subscribe(listener: ChangeListener): Promise<() => Promise<void>> {
    const feed = this.inner as Partial<ChangeFeed>;
    if (typeof feed.subscribe !== 'function') throw new TypeError(`${this.inner.type} store has no change feed`);
    return feed.subscribe(listener);
  }

  getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    return this.inner.getEntries(ids);
  }
  hasObjects(ids: string[]): Promise<boolean[]> {
    return this.inner.hasObjects(ids);
  }
  statObject(id: string): Promise<ObjectStat | undefined> {
    return this.inner.statObject(id);
  }
  listObjectIds(range: KeyRange): Promise<string[]> {
    return this.inner.listObjectIds(range);
  }
  listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    return this.inner.listDependents(baseId, range);
  }
  getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    return this.inner.getRef(repositoryId, name);
  }
  listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    return this.inner.listRefs(repositoryId, range);
  }
  getRepository(id: string): Promise<Repository | undefined> {
    return this.inner.getRepository(id);
  }
  getRepositoryByName(name: string): Promise<Repository | undefined> {
    return this.inner.getRepositoryByName(name);
  }
  listRepositories(query: RepositoryQuery): Promise<Repository[]> {
    return this.inner.listRepositories(query);
  }
  getUser(id: string): Promise<User | undefined> {
    return this.inner.getUser(id);
  }
  getUserByUsername(username: string): Promise<User | undefined> {
    return this.inner.getUserByUsername(username);
  }
  getUserByEmail(email: string): Promise<User | undefined> {
    return this.inner.getUserByEmail(email);
  }
  listUsers(query: UserQuery): Promise<User[]> {
    return this.inner.listUsers(query);
  }
  queryEvents(query: EventQuery): Promise<AuditEvent[]> {
    return this.inner.queryEvents(query);
  }
  countEvents(query: EventCountQuery): Promise<number> {
    return this.inner.countEvents(query);
  }
  getConfig(key: string): Promise<string | undefined> {
    return this.inner.getConfig(key);
  }
  listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    return this.inner.listConfig(range);
  }
}

