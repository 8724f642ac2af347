/**
 * Our own LSM engine (src/lsm) as a KvEngine. The engine locks its directory
 * for one process, so as with RocksDB, transact() serialises writes with a
 * mutex and plans on synchronous reads of the latest state; the engine's
 * reads are synchronous anyway. Engine errors map to DataStore errors here:
 * a failed checksum becomes INVALID_DATA.
 */
import { LsmDb, LsmError, type LsmOptions } from '../../../lsm/index.js';
import { ClosedError, ConnectionError, DataStoreError, IntegrityError, InvalidArgumentError } from '../../errors.js';
import type { Bytes, KvEngine, KvEntry, KvOp, KvPlan, KvRange, KvReadCounters, KvSyncReader } from '../kv/engine.js';
import { nextChunk } from '../kv/iterate.js';
import { Mutex, serializedTransact } from '../kv/serialized.js';

export interface LsmEngineOptions extends Partial<LsmOptions> {
  location: string;
}

function mapError(err: unknown, location: string): unknown {
  if (!(err instanceof LsmError)) return err;
  const details = { ...err.details, location };
  switch (err.code) {
    case 'INVALID_DATA':
      return new IntegrityError(`${err.message}; the lsm store at ${location} is damaged: restore it from a backup or re-import the repositories`, details);
    case 'LOCKED':
      return new ConnectionError(`cannot open lsm store at ${location}: another process (or another store in this process) has it open, and the lsm engine allows one (${err.message})`, details);
    case 'CLOSED':
      return new ClosedError(`lsm store at ${location} is closed`);
    case 'INVALID_ARGUMENT':
      return new InvalidArgumentError(err.message, details);
  }
}

export class LsmEngine implements KvEngine {
  readonly name = 'lsm';
  readonly maxKeyBytes = 65_536;
  readonly counters: KvReadCounters = { pointReads: 0, rangeEntries: 0 };
  private db: LsmDb | undefined;
  private readonly writes = new Mutex();

  constructor(readonly options: LsmEngineOptions) {}

  private get open_(): LsmDb {
    if (!this.db) throw new ConnectionError('lsm store is not open');
    return this.db;
  }

  /** Runs fn, turning engine errors into DataStore errors. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw mapError(err, this.options.location);
    }
  }

  async open(): Promise<void> {
    const { location, ...engineOptions } = this.options;
    try {
      this.db = await LsmDb.open(location, engineOptions);
    } catch (err) {
      if (err instanceof LsmError) throw mapError(err, location);
      if (err instanceof DataStoreError) throw err;
      throw new ConnectionError(`cannot open lsm store at ${location}: ${(err as Error).message}; check the directory is writable`, { location }, { cause: err });
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    if (!db) return;
    await this.writes.run(async () => {
      this.db = undefined;
      await db.close();
    });
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    return this.syncReader.get(key);
  }

  async getMany(keys: Bytes[]): Promise<Array<Bytes | undefined>> {
    return this.syncReader.getMany(keys);
  }

  async *scan(range: KvRange): AsyncIterable<KvEntry[]> {
    const it = this.guard(() => this.open_.iterator(range));
    let remaining = range.limit ?? Infinity;
    let chunk: number | undefined;
    try {
      while (remaining > 0) {
        chunk = nextChunk(chunk, remaining);
        const entries: KvEntry[] = [];
        this.guard(() => {
          for (let r = it.next(); !r.done; r = entries.length < chunk! ? it.next() : { done: true, value: undefined }) entries.push(r.value);
        });
        this.counters.rangeEntries += entries.length;
        if (entries.length > 0) yield entries;
        remaining -= entries.length;
        if (entries.length < chunk) return;
      }
    } finally {
      it.return(undefined);
    }
  }

  private commit = async (ops: KvOp[]): Promise<void> => {
    try {
      await this.open_.write(ops);
    } catch (err) {
      throw mapError(err, this.options.location);
    }
  };

  batch(ops: KvOp[]): Promise<void> {
    return this.writes.run(() => (ops.length > 0 ? this.commit(ops) : Promise.resolve()));
  }

  transact<T>(plan: (reader: KvSyncReader) => KvPlan<T>): Promise<T> {
    return serializedTransact(this.writes, this.syncReader, this.commit, plan);
  }

  /** Synchronous reads of the latest committed state (the engine's reads are synchronous). */
  private readonly syncReader: KvSyncReader = {
    get: (key) => this.syncReader.getMany([key])[0],
    getMany: (keys) => {
      this.counters.pointReads += keys.length;
      const db = this.open_;
      return this.guard(() => keys.map((k) => db.get(k)));
    },
    range: (range) => this.syncRange(range),
  };

  private *syncRange(range: KvRange): Iterable<KvEntry> {
    const it = this.guard(() => this.open_.iterator(range));
    try {
      for (;;) {
        const r = this.guard(() => it.next());
        if (r.done) return;
        this.counters.rangeEntries++;
        yield r.value;
      }
    } finally {
      it.return(undefined);
    }
  }

  async describe(): Promise<Record<string, unknown>> {
    const db = this.open_;
    const s = db.stats();
    const o = db.options;
    return {
      location: this.options.location,
      compression: o.compression,
      bloomBitsPerKey: o.bloomBitsPerKey,
      sync: o.sync,
      valueThreshold: o.valueThreshold,
      levels: s.levels.map((l) => l.files),
      tableBytes: s.levels.reduce((n, l) => n + l.bytes, 0),
      vlogFiles: s.vlogFiles,
      vlogBytes: s.vlogFileBytes,
      flushes: s.flushes,
      compactions: s.compactions,
      stallMs: s.stallMs,
    };
  }
}
