/**
 * RocksDB as a KvEngine. RocksDB holds an exclusive lock on its directory, so
 * this process is the only writer: transact() serialises writes with a mutex,
 * plans on synchronous reads of the latest state, and commits one WriteBatch
 * (atomic; through the WAL, fsynced per batch when `sync` is set).
 */
import { ConnectionError } from '../../errors.js';
import type { Bytes, KvEngine, KvEntry, KvOp, KvPlan, KvRange, KvReadCounters, KvSyncReader } from '../kv/engine.js';
import { nextChunk } from '../kv/iterate.js';
import { Mutex, serializedTransact } from '../kv/serialized.js';
import { loadRocksDb, type RocksChainedBatch, type RocksLevel, type RocksReadRange } from './binding.js';
import { rocksOpenOptions } from './open-options.js';

export interface RocksEngineOptions {
  location: string;
  compression: 'zstd' | 'none';
  /** Bloom filter bits per key on every SST file. */
  bloomBitsPerKey: number;
  cacheBytes: number;
  /** fsync the WAL on every write (survives power loss, not only a process crash). */
  sync: boolean;
}

const EMPTY = Buffer.alloc(0);
const SYNC_SCAN_CHUNK = 1000;
const NO_OPTIONS = {};
/**
 * A write batch whose buffer grew past this is let go after its write rather
 * than kept for the next: a one-off large write does not pin its size for good.
 */
export const REUSED_BATCH_MAX_BYTES = 16 << 20;

function toRocksRange(range: KvRange): RocksReadRange {
  const r: RocksReadRange = { keyEncoding: 'buffer', valueEncoding: 'buffer', reverse: range.reverse ?? false };
  if (range.gt) r.gt = range.gt;
  if (range.gte) r.gte = range.gte;
  if (range.lt) r.lt = range.lt;
  if (range.lte) r.lte = range.lte;
  if (range.keysOnly) r.values = false;
  return r;
}

export class RocksEngine implements KvEngine {
  readonly name = 'rocksdb';
  readonly maxKeyBytes = 65_536;
  readonly counters: KvReadCounters = { pointReads: 0, rangeEntries: 0 };
  private db: RocksLevel | undefined;
  private readonly writes = new Mutex();
  /**
   * One native WriteBatch for every write, emptied before each. A batch per
   * write (the binding's batch()) keeps each one's memory until V8 collects
   * its small handle, which it has no reason to hurry: a long import held
   * hundreds of MB of written batches so.
   */
  private writeBatch: RocksChainedBatch | undefined;

  constructor(readonly options: RocksEngineOptions) {}

  private get open_(): RocksLevel {
    if (!this.db) throw new ConnectionError('rocksdb store is not open');
    return this.db;
  }

  async open(): Promise<void> {
    const { RocksLevel } = loadRocksDb();
    const db = new RocksLevel(this.options.location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open(rocksOpenOptions(this.options));
    } catch (err) {
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      const locked = /lock/i.test(cause);
      throw new ConnectionError(
        locked
          ? `cannot open rocksdb store at ${this.options.location}: another process (or another store in this process) has it open, and RocksDB allows one; close it, or use lmdb or sqlite for several processes (${cause})`
          : `cannot open rocksdb store at ${this.options.location}: ${cause}; check the directory exists and is writable`,
        { location: this.options.location },
        { cause: err },
      );
    }
    this.db = db;
  }

  async close(): Promise<void> {
    const db = this.db;
    if (!db) return;
    // Let a write in flight finish before the handle goes away.
    await this.writes.run(async () => {
      this.db = undefined;
      this.writeBatch = undefined;
      await db.close();
    });
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    return (await this.getMany([key]))[0];
  }

  /**
   * On this thread, as LMDB's engine reads (a multi-get from the block
   * cache or the page cache takes well under a millisecond a key): the
   * binding's async getMany ran on libuv's pool, and each of its threads
   * kept a malloc arena of its own for the read buffers it freed. Export of
   * the 1.07M-object repository: peak RSS 1,083 -> 904 MiB, no slower.
   */
  async getMany(keys: Bytes[]): Promise<Array<Bytes | undefined>> {
    return this.syncReader.getMany(keys);
  }

  async *scan(range: KvRange): AsyncIterable<KvEntry[]> {
    // A RocksDB iterator reads from the implicit snapshot taken when it is created.
    const it = this.open_.iterator(toRocksRange(range));
    let remaining = range.limit ?? Infinity;
    let chunk: number | undefined;
    try {
      while (remaining > 0) {
        chunk = nextChunk(chunk, remaining);
        const entries = await it.nextv(chunk);
        this.counters.rangeEntries += entries.length;
        if (entries.length > 0) yield entries.map(([key, value]) => ({ key, value: value ?? EMPTY }));
        remaining -= entries.length;
        if (entries.length < chunk) return;
      }
    } finally {
      await it.close();
    }
  }

  /** Called under the write mutex only: the batch is filled and written with no other write in between. */
  private commit = async (ops: KvOp[]): Promise<void> => {
    const db = this.open_;
    const batch = (this.writeBatch ??= db._chainedBatch());
    let bytes = 0;
    try {
      for (const op of ops) {
        bytes += op.key.byteLength;
        if (op.type === 'put') {
          bytes += op.value.byteLength;
          batch._put(op.key, op.value, NO_OPTIONS);
        } else batch._del(op.key, NO_OPTIONS);
      }
      await new Promise<void>((resolve, reject) => batch._write({ sync: this.options.sync }, (err) => (err ? reject(err) : resolve())));
    } finally {
      batch._clear();
      if (bytes > REUSED_BATCH_MAX_BYTES) this.writeBatch = undefined;
    }
  };

  batch(ops: KvOp[]): Promise<void> {
    return this.writes.run(() => (ops.length > 0 ? this.commit(ops) : Promise.resolve()));
  }

  transact<T>(plan: (reader: KvSyncReader) => KvPlan<T>): Promise<T> {
    return serializedTransact(this.writes, this.syncReader, this.commit, plan);
  }

  /** Synchronous reads of the latest committed state; safe under the write mutex since nothing else writes. */
  private readonly syncReader: KvSyncReader = {
    get: (key) => this.syncReader.getMany([key])[0],
    getMany: (keys) => {
      this.counters.pointReads += keys.length;
      return keys.length === 0 ? [] : this.open_._getManySync(keys, {});
    },
    range: (range) => this.syncRange(range),
  };

  private *syncRange(range: KvRange): Iterable<KvEntry> {
    let remaining = range.limit ?? Infinity;
    let r = toRocksRange(range);
    while (remaining > 0) {
      const size = Math.min(remaining, SYNC_SCAN_CHUNK);
      const { rows } = this.open_.querySync({ ...r, limit: size });
      this.counters.rangeEntries += rows.length / 2;
      let last: Buffer | undefined;
      for (let i = 0; i < rows.length; i += 2) {
        last = rows[i] as Buffer;
        yield { key: last, value: rows[i + 1] ?? EMPTY };
        remaining--;
      }
      // `finished` is also true when the chunk's limit was reached: only a short chunk ends the range
      if (rows.length / 2 < size || !last) return;
      r = { ...r };
      if (range.reverse) {
        delete r.lte;
        r.lt = last;
      } else {
        delete r.gte;
        r.gt = last;
      }
    }
  }

  async describe(): Promise<Record<string, unknown>> {
    const db = this.open_;
    const prop = (name: string) => {
      const v = db.getProperty(name);
      return v === undefined || v === '' ? undefined : Number(v);
    };
    return {
      location: db.location,
      compression: this.options.compression,
      bloomBitsPerKey: this.options.bloomBitsPerKey,
      sync: this.options.sync,
      estimatedKeys: prop('rocksdb.estimate-num-keys'),
      sstBytes: prop('rocksdb.total-sst-files-size'),
      memtableBytes: prop('rocksdb.cur-size-all-mem-tables'),
    };
  }
}
