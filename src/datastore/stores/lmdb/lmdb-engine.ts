/**
 * LMDB as a KvEngine. transact() runs the plan inside one LMDB write
 * transaction (a child transaction of lmdb-js's batched write, so a failing
 * plan aborts only itself): the checks and the puts hold LMDB's writer lock
 * together, which makes compare-and-swap safe across processes too.
 */
import { open, type Database, type RangeOptions, type RootDatabase } from 'lmdb';
import { ConnectionError } from '../../errors.js';
import type { Bytes, KvEngine, KvEntry, KvOp, KvPlan, KvRange, KvReadCounters, KvSyncReader } from '../kv/engine.js';
import { nextChunk } from '../kv/iterate.js';

export interface LmdbEngineOptions {
  location: string;
  /** LZ4 on values of at least `compressionThreshold` bytes. */
  compression: 'lz4' | 'none';
  compressionThreshold: number;
  /** Acknowledge a write only once it is flushed to disk (power-loss safe), not just committed. */
  sync: boolean;
  maxReaders: number;
}

/** 8 KiB pages raise lmdb-js's key limit from 1978 to 4026 bytes: long ref names fit. */
const PAGE_SIZE = 8192;
/**
 * lmdb-js maps the file in chunks of 16 pages, as they are read, and unmaps
 * chunks it has not used lately, instead of one map of the whole file: every
 * page a process ever touched stayed in its RSS (file pages, but counted all
 * the same). A 150k-object import: RssFile 193 -> 116 MB, no slower; the
 * 1M-object one peaked at 1,961 MB (~1,180 MB the map) -> 997 MB (385 MB).
 * Not a hard bound: lmdb-js keeps up to 16,384 chunks (2 GiB) mapped; the
 * 1M-object export still had 436 MB of the map in its 1,332 MB.
 */
const REMAP_CHUNKS = true;
const EMPTY = Buffer.alloc(0);

type Db = Database<Buffer, Buffer>;

/** lmdb-js range options for a KvRange; in reverse, `start` is the upper bound. */
function toLmdbRange(range: KvRange): RangeOptions {
  const lower = range.gt ?? range.gte;
  const upper = range.lt ?? range.lte;
  const r: RangeOptions = { reverse: range.reverse ?? false };
  if (range.limit !== undefined) r.limit = range.limit;
  if (!range.reverse) {
    if (lower) r.start = Buffer.from(lower);
    if (upper) r.end = Buffer.from(upper);
    r.exclusiveStart = range.gt !== undefined;
    r.inclusiveEnd = range.lte !== undefined;
  } else {
    if (upper) r.start = Buffer.from(upper);
    if (lower) r.end = Buffer.from(lower);
    r.exclusiveStart = range.lt !== undefined;
    r.inclusiveEnd = range.gte !== undefined;
  }
  return r;
}

export class LmdbEngine implements KvEngine {
  readonly name = 'lmdb';
  maxKeyBytes = 4026;
  readonly counters: KvReadCounters = { pointReads: 0, rangeEntries: 0 };
  private db: RootDatabase<Buffer, Buffer> | undefined;

  constructor(readonly options: LmdbEngineOptions) {}

  private get open_(): Db {
    if (!this.db) throw new ConnectionError('lmdb store is not open');
    return this.db;
  }

  async open(): Promise<void> {
    try {
      const db = open<Buffer, Buffer>({
        path: this.options.location,
        keyEncoding: 'binary',
        encoding: 'binary',
        pageSize: PAGE_SIZE,
        remapChunks: REMAP_CHUNKS,
        maxReaders: this.options.maxReaders,
        compression: this.options.compression === 'lz4' ? { threshold: this.options.compressionThreshold } : false,
      });
      this.maxKeyBytes = (db as unknown as { maxKeySize: number }).maxKeySize;
      this.db = db;
    } catch (err) {
      throw new ConnectionError(
        `cannot open lmdb store at ${this.options.location}: ${(err as Error).message}; check the directory is writable and not on a network file system`,
        { location: this.options.location },
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    await db?.close();
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.counters.pointReads++;
    return this.open_.get(Buffer.from(key.buffer, key.byteOffset, key.byteLength));
  }

  async getMany(keys: Bytes[]): Promise<Array<Bytes | undefined>> {
    this.counters.pointReads += keys.length;
    if (keys.length === 0) return [];
    // One read transaction for all keys (getMany would prefetch on a worker thread first; reads from the map are faster here).
    const db = this.open_;
    const txn = db.useReadTransaction();
    try {
      return keys.map((k) => db.get(Buffer.from(k.buffer, k.byteOffset, k.byteLength), { transaction: txn }));
    } finally {
      txn.done();
    }
  }

  async *scan(range: KvRange): AsyncIterable<KvEntry[]> {
    const db = this.open_;
    // An explicit read transaction pins the snapshot for the whole scan, across awaits.
    const txn = db.useReadTransaction();
    try {
      const options = { ...toLmdbRange(range), transaction: txn };
      const source: Iterable<KvEntry> = range.keysOnly
        ? db.getKeys(options).map((key) => ({ key, value: EMPTY }))
        : db.getRange(options).map(({ key, value }) => ({ key, value }));
      let chunk: KvEntry[] = [];
      let size = nextChunk(undefined, range.limit ?? Infinity);
      for (const entry of source) {
        this.counters.rangeEntries++;
        chunk.push(entry);
        if (chunk.length >= size) {
          yield chunk;
          chunk = [];
          size = nextChunk(size, Infinity);
        }
      }
      if (chunk.length > 0) yield chunk;
    } finally {
      txn.done();
    }
  }

  private apply(db: Db, ops: KvOp[]): void {
    for (const op of ops) {
      const k = Buffer.from(op.key.buffer, op.key.byteOffset, op.key.byteLength);
      if (op.type === 'put') db.put(k, Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength));
      else db.remove(k);
    }
  }

  async batch(ops: KvOp[]): Promise<void> {
    await this.transact(() => ({ ops, result: undefined }));
  }

  async transact<T>(plan: (reader: KvSyncReader) => KvPlan<T>): Promise<T> {
    const db = this.open_;
    // Inside the callback, get/getRange read the write transaction: the latest state, under the writer lock.
    const reader: KvSyncReader = {
      get: (key) => {
        this.counters.pointReads++;
        return db.get(Buffer.from(key.buffer, key.byteOffset, key.byteLength));
      },
      getMany: (keys) => keys.map((k) => reader.get(k)),
      range: (range) => this.syncRange(db, range),
    };
    const result = await db.childTransaction(() => {
      const { ops, result } = plan(reader);
      this.apply(db, ops);
      return result;
    });
    if (this.options.sync) await db.flushed;
    return result as T;
  }

  private *syncRange(db: Db, range: KvRange): Iterable<KvEntry> {
    for (const { key, value } of db.getRange(toLmdbRange(range))) {
      this.counters.rangeEntries++;
      yield { key, value: range.keysOnly ? EMPTY : value };
    }
  }

  async describe(): Promise<Record<string, unknown>> {
    const stats = this.open_.getStats() as { entryCount?: number; mapSize?: number; pageSize?: number; lastPageNumber?: number; numReaders?: number };
    return {
      location: this.options.location,
      compression: this.options.compression,
      sync: this.options.sync,
      entries: stats.entryCount,
      pageSize: stats.pageSize,
      mapSize: stats.mapSize,
      usedBytes: stats.lastPageNumber !== undefined && stats.pageSize !== undefined ? (stats.lastPageNumber + 1) * stats.pageSize : undefined,
      readers: stats.numReaders,
      maxKeyBytes: this.maxKeyBytes,
    };
  }
}
