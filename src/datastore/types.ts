/** The data model shared by every store. Plain data, no behaviour. */

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';
export const OBJECT_TYPES: readonly ObjectType[] = ['blob', 'tree', 'commit', 'tag'];

/** The hash function of a store's object ids (git's object format). */
export type ObjectFormat = 'sha1' | 'sha256';

export interface GitObject {
  type: ObjectType;
  data: Uint8Array;
}

export interface StoredObject extends GitObject {
  id: string;
}

/**
 * An object as a store keeps it (see src/datastore/objects/): drivers store
 * these fields and never look inside `bytes`; the DataStore encodes, decodes,
 * resolves deltas and checks hashes, once, for every store.
 */
export interface ObjectEntry {
  id: string;
  type: ObjectType;
  /** The object's size in bytes (what statObject reports), not the entry's. */
  size: number;
  /** How `bytes` encode the object: see ENCODING in src/datastore/objects/encoding.ts. */
  encoding: ObjectEncoding;
  /** The delta base's id when `encoding` is a delta, else null. */
  base: string | null;
  bytes: Uint8Array;
}

/** Options of DataStore.getObjects. */
export interface ObjectReadOptions {
  /** Called with the stored entry of each object found (not of its delta bases), as read. */
  onEntry?: (entry: ObjectEntry) => void;
}

/** 0 = the data as is (stores written before entries were encoded), 1 = deflated whole, 2 = deflated delta on `base`. */
export type ObjectEncoding = 0 | 1 | 2;

export interface ObjectStat {
  id: string;
  type: ObjectType;
  size: number;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A ref points at an object id (direct) or at another ref (symbolic, like HEAD). */
export interface Ref {
  name: string;
  type: 'direct' | 'symbolic';
  target: string;
}

/**
 * One compare-and-swap step of an atomic ref update.
 * `old`: undefined = do not check; null = the ref must not exist; a string = the ref's current target.
 * `new`: null deletes the ref.
 */
export interface RefUpdate {
  name: string;
  old?: string | null;
  new: string | null;
  symbolic?: boolean;
}

export type Visibility = 'public' | 'private';

export interface Repository {
  id: string;
  name: string;
  description: string;
  path: string;
  visibility: Visibility;
  ownerId: string | null;
  metadata: JsonObject;
  createdAt: Date;
  updatedAt: Date;
  /** 1 when created, one more on every update: the compare-and-swap token of `updateRepository`. */
  version: number;
}

/** Options of updateRepository/updateUser. */
export interface UpdateOptions {
  /** Apply only if the stored record is at this version (CONFLICT otherwise), instead of retrying on a fresh read. */
  ifVersion?: number;
}

export interface User {
  id: string;
  username: string;
  email: string;
  displayName: string;
  isAdmin: boolean;
  metadata: JsonObject;
  createdAt: Date;
  updatedAt: Date;
  /** 1 when created, one more on every update: the compare-and-swap token of `updateUser`. */
  version: number;
}

export interface AuditEvent {
  id: string;
  timestamp: Date;
  userId: string | null;
  action: string;
  resource: string | null;
  repositoryId: string | null;
  details: JsonObject;
}

/** Pagination, the same on every list: a cursor from the previous page, or an offset; never both. */
export interface PageOptions {
  limit?: number;
  offset?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Present when more items may follow; pass it back as `cursor`. */
  nextCursor?: string;
}

/** Repositories are listed by name, ascending. Prefixes match literally (no wildcards). */
export interface RepositoryFilter extends PageOptions {
  namePrefix?: string;
  visibility?: Visibility;
  ownerId?: string;
}

/** Users are listed by username, ascending. */
export interface UserFilter extends PageOptions {
  usernamePrefix?: string;
  isAdmin?: boolean;
}

/** Audit events are ordered by (timestamp, id); `since` is inclusive, `until` exclusive. */
export interface EventFilter extends PageOptions {
  userId?: string;
  action?: string;
  resource?: string;
  resourcePrefix?: string;
  repositoryId?: string;
  since?: Date;
  until?: Date;
  order?: 'asc' | 'desc';
}

export type IsolationLevel = 'read-committed' | 'repeatable-read' | 'serializable';

export interface TransactionOptions {
  isolation?: IsolationLevel;
  readOnly?: boolean;
}

/** What a store can do. Operations outside these throw UnsupportedError. */
export interface Capabilities {
  /** begin()/transaction() work. */
  transactions: boolean;
  /** Isolation levels begin() accepts. The first is the default. */
  isolationLevels: IsolationLevel[];
  /** Data survives close and reopen. */
  persistent: boolean;
  /** Every acknowledged write survives a crash (SIGKILL) of the writing process. */
  durable: boolean;
  /** Several processes may open the same store at once. */
  multiProcess: boolean;
  /** Largest object the store accepts, in bytes. */
  maxObjectSize: number;
  /** The store can notify subscribers of ref changes and audit events. */
  changeEvents: boolean;
  /** Keys can expire (sessions, cache entries). */
  ttl: boolean;
  /**
   * Object entries per write that suit a bulk load (an import), where the
   * store gains from large writes; absent: the usual batch (1,000).
   */
  bulkWriteEntries?: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Lookups a cache layer answered, passed on, and values its tier evicted. */
export interface CacheCounters {
  hits: number;
  misses: number;
  evictions: number;
}

export interface Metrics {
  reads: number;
  writes: number;
  deletes: number;
  errors: number;
  latency: LatencySummary;
  objectCount: number;
  storageBytes: number;
  uptimeMs: number;
  /** Present when the store has a cache layer. */
  cache?: CacheCounters;
}

export interface HealthStatus {
  healthy: boolean;
  latencyMs: number;
  details: Record<string, unknown>;
  error?: string;
}
