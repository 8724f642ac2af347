/**
 * The contract a store implements: a few primitives that receive arguments the
 * DataStore has already validated (ids, names, limits, hashes). Everything else
 * (hash checks, metrics, cursors, error wrapping) lives once in DataStore.
 */
import type { CommitIndexReader } from './commit-index/types.js';
import type {
  AuditEvent,
  CacheCounters,
  Capabilities,
  ObjectEntry,
  ObjectStat,
  Ref,
  RefUpdate,
  Repository,
  TransactionOptions,
  User,
  Visibility,
} from './types.js';

/** Keyset position of a repository or user list: the last name returned. */
export interface RepositoryQuery {
  namePrefix?: string;
  visibility?: Visibility;
  ownerId?: string;
  /** Return names strictly greater than this one. */
  after?: string;
  offset: number;
  limit: number;
}

export interface UserQuery {
  usernamePrefix?: string;
  isAdmin?: boolean;
  after?: string;
  offset: number;
  limit: number;
}

export interface EventPosition {
  timestamp: number;
  id: string;
}

export interface EventQuery {
  userId?: string;
  action?: string;
  resource?: string;
  resourcePrefix?: string;
  repositoryId?: string;
  /** Epoch milliseconds, inclusive. */
  since?: number;
  /** Epoch milliseconds, exclusive. */
  until?: number;
  order: 'asc' | 'desc';
  /** Return events strictly after this position in `order`. */
  after?: EventPosition;
  offset: number;
  limit: number;
}

export type EventCountQuery = Omit<EventQuery, 'order' | 'after' | 'offset' | 'limit'>;

export interface KeyRange {
  prefix: string;
  /** Strictly greater than this key. */
  after?: string;
  limit: number;
}

/**
 * One step of an atomic write. A driver applies a list of them all-or-nothing,
 * in order. `mode` on puts: create = must not exist (CONFLICT), update = must
 * exist (NOT_FOUND), upsert = either. Deletes of absent things are no-ops.
 * `putObject` keeps an existing entry of the same id (objects are write-once)
 * unless `replace` is set: then the entry is overwritten (a re-encoding of the
 * same object, by gc or by deleting its delta base). `ifVersion` on a record
 * put: the stored record's version must equal it (CONFLICT, reason
 * stale-version, otherwise; see conflicts.ts), checked atomically with the
 * write. `deleteConfigPrefix` deletes every config key that starts with the
 * (non-empty) prefix. `deleteRepository` deletes the repository's refs too.
 */
export type WriteOp =
  | { op: 'putObject'; entry: ObjectEntry; replace?: boolean }
  | { op: 'deleteObject'; id: string }
  | { op: 'updateRefs'; repositoryId: string; updates: RefUpdate[] }
  | { op: 'putRepository'; repository: Repository; mode: PutMode; ifVersion?: number }
  | { op: 'deleteRepository'; id: string }
  | { op: 'putUser'; user: User; mode: PutMode; ifVersion?: number }
  | { op: 'deleteUser'; id: string }
  | { op: 'appendEvent'; event: AuditEvent }
  | { op: 'setConfig'; key: string; value: string | null }
  | { op: 'deleteConfigPrefix'; prefix: string };

export type PutMode = 'create' | 'update' | 'upsert';

/** Reads, the same inside and outside a transaction. */
export interface DriverReader {
  /** The stored entries found, by id, exactly as written; missing ids are absent. */
  getEntries(ids: string[]): Promise<Map<string, ObjectEntry>>;
  hasObjects(ids: string[]): Promise<boolean[]>;
  /** From the entry's fields (type, size), without reading its bytes. */
  statObject(id: string): Promise<ObjectStat | undefined>;
  /** Ids in ascending order. */
  listObjectIds(range: KeyRange): Promise<string[]>;
  /** Ids of the entries kept as deltas on `baseId`, ascending, strictly after `after`. */
  listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]>;

  getRef(repositoryId: string, name: string): Promise<Ref | undefined>;
  /** Refs in ascending name order. */
  listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]>;

  getRepository(id: string): Promise<Repository | undefined>;
  getRepositoryByName(name: string): Promise<Repository | undefined>;
  listRepositories(query: RepositoryQuery): Promise<Repository[]>;

  getUser(id: string): Promise<User | undefined>;
  getUserByUsername(username: string): Promise<User | undefined>;
  getUserByEmail(email: string): Promise<User | undefined>;
  listUsers(query: UserQuery): Promise<User[]>;

  queryEvents(query: EventQuery): Promise<AuditEvent[]>;
  countEvents(query: EventCountQuery): Promise<number>;

  getConfig(key: string): Promise<string | undefined>;
  /** Pairs in ascending key order. */
  listConfig(range: KeyRange): Promise<Array<[string, string]>>;

  /**
   * Present on a store that keeps the commit index natively; its write() then
   * also takes CommitIndexOps (commit-index/types.ts). Without it the
   * DataStore keeps the index in config keys.
   */
  readonly commitIndex?: CommitIndexReader;
}

export interface DriverTransaction extends DriverReader {
  write(ops: WriteOp[]): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface DriverStats {
  objectCount: number;
  storageBytes: number;
  /** From a cache layer (src/datastore/layers/cache). */
  cache?: CacheCounters;
}

export interface StoreDriver extends DriverReader {
  /** The registry type name, e.g. `sqlite`. */
  readonly type: string;
  readonly capabilities: Capabilities;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Applies every op or none. Throws ConflictError, NotFoundError, CapacityError. */
  write(ops: WriteOp[]): Promise<void>;
  /** A native transaction. Stores without one get a BufferedTransaction over write(). */
  begin?(options: Required<TransactionOptions>): Promise<DriverTransaction>;
  /** A cheap round trip; returns details for health checks (version, mode, ...). */
  ping(): Promise<Record<string, unknown>>;
  stats(): Promise<DriverStats>;
}

/** What change-event subscribers receive (stores with `capabilities.changeEvents`). */
export type ChangeEvent =
  | { kind: 'ref'; repositoryId: string; name: string; old: string | null; new: string | null }
  | { kind: 'audit'; event: AuditEvent };

export type ChangeListener = (change: ChangeEvent) => void;

/** Stores with change events implement this beside StoreDriver. */
export interface ChangeFeed {
  /** Starts delivering changes made by any process; resolves to an unsubscribe function. */
  subscribe(listener: ChangeListener): Promise<() => Promise<void>>;
}
