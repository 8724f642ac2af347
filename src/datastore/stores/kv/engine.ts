/**
 * The ordered key-value engine every key-value store plugs in (RocksDB, LMDB,
 * later our own LSM engine). Deliberately small: point reads, an ordered range
 * scan over a snapshot, an atomic batch, and one read-check-write primitive.
 * Everything else (key schema, indexes, compare-and-swap, filters) lives once
 * in KvDriver above it.
 */

/** Keys and values are bytes; keys compare as unsigned bytes (memcmp order). */
export type Bytes = Uint8Array;

export type KvOp = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes };

export interface KvEntry {
  key: Bytes;
  value: Bytes;
}

/** A key range: at most one lower bound (gt/gte) and one upper bound (lt/lte). */
export interface KvRange {
  gt?: Bytes;
  gte?: Bytes;
  lt?: Bytes;
  lte?: Bytes;
  /** Descending key order. */
  reverse?: boolean;
  /** At most this many entries; lets the engine read no further than needed. */
  limit?: number;
  /** Keys only: values come back empty (cheaper where the engine allows it). */
  keysOnly?: boolean;
}

/** Synchronous reads of one consistent state, used while a write is being planned. */
export interface KvSyncReader {
  get(key: Bytes): Bytes | undefined;
  getMany(keys: Bytes[]): Array<Bytes | undefined>;
  range(range: KvRange): Iterable<KvEntry>;
}

/** What a plan returns: the ops to commit atomically, and a result for the caller. */
export interface KvPlan<T> {
  ops: KvOp[];
  result: T;
}

/** Reads the engine has served: the figure the index tests count. */
export interface KvReadCounters {
  /** Keys asked for by get/getMany (hits and misses). */
  pointReads: number;
  /** Entries pulled from the database by range scans. */
  rangeEntries: number;
}

export interface KvEngine {
  /** Engine name for health details, e.g. `rocksdb`. */
  readonly name: string;
  /** Longest key the engine accepts, in bytes. */
  readonly maxKeyBytes: number;
  readonly counters: KvReadCounters;

  open(): Promise<void>;
  close(): Promise<void>;

  get(key: Bytes): Promise<Bytes | undefined>;
  getMany(keys: Bytes[]): Promise<Array<Bytes | undefined>>;
  /**
   * Entries in key order, in non-empty chunks (small first, then growing, so
   * a short page reads little), over a snapshot taken when the scan starts:
   * writes committed later are not seen. Leaving the loop early releases the
   * snapshot. Chunks, not single entries, keep the per-entry cost of async
   * iteration out of every list.
   */
  scan(range: KvRange): AsyncIterable<KvEntry[]>;
  /** Applies every op or none. */
  batch(ops: KvOp[]): Promise<void>;
  /**
   * Read-check-write: runs `plan` against the latest committed state and
   * commits the ops it returns as one atomic batch, with no other write
   * committing in between (across processes, for engines that allow several).
   * When `plan` throws, nothing is written and the error is rethrown.
   */
  transact<T>(plan: (reader: KvSyncReader) => KvPlan<T>): Promise<T>;
  /** Engine details for health checks (version, sizes, settings). */
  describe(): Promise<Record<string, unknown>>;
}
