/**
 * The part of @nxtedition/rocksdb (an abstract-level database with a few
 * synchronous extras) this store uses, typed here because the package ships
 * no declarations.
 */
import { createRequire } from 'node:module';

export interface RocksOpenOptions {
  createIfMissing?: boolean;
  /** true = ZSTD (with a 16 KiB dictionary), false = none; the binding offers no other type. */
  compression?: boolean;
  /** A RocksDB filter policy string, e.g. `bloomfilter:10:false`. Unknown strings are silently ignored by the binding. */
  filterPolicy?: string;
  /** Block cache bytes (0 = no block cache). */
  cacheSize?: number;
  walCompression?: boolean;
  /**
   * `level`: level-style compaction tuned from memtableMemoryBudget (B):
   * memtables of B/4 (at most 6), flushed two at a time; SST files of B/8;
   * level 1 of B; levels 0 and 1 uncompressed and ZSTD from level 2 on,
   * whatever `compression` says. Absent: RocksDB's defaults (64 MiB
   * memtables, two of them; `compression` on every level).
   */
  compaction?: 'level' | 'universal';
  /** Bytes; only read with `compaction` set (default 256 MiB). */
  memtableMemoryBudget?: number;
}

export interface RocksReadRange {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
  keys?: boolean;
  values?: boolean;
  keyEncoding?: 'buffer';
  valueEncoding?: 'buffer';
}

export interface RocksIterator {
  nextv(size: number): Promise<Array<[Buffer, Buffer | undefined]>>;
  close(): Promise<void>;
}

/**
 * The binding's own chained batch, through the methods abstract-level asks an
 * implementation to provide (the public wrapper closes a batch after one
 * write). One native rocksdb::WriteBatch that stays allocated until the
 * object is garbage-collected; `_clear()` empties it and keeps its buffer.
 */
export interface RocksChainedBatch {
  _put(key: Uint8Array, value: Uint8Array, options: object): void;
  _del(key: Uint8Array, options: object): void;
  _clear(): void;
  /** Commits synchronously in this binding, then calls back on the next tick. */
  _write(options: { sync: boolean }, callback: (err?: Error | null) => void): void;
}

export interface RocksBatchOp {
  type: 'put' | 'del';
  key: Uint8Array;
  value?: Uint8Array;
}

export interface RocksLevel {
  readonly status: string;
  readonly location: string;
  open(options: RocksOpenOptions): Promise<void>;
  close(): Promise<void>;
  getMany(keys: Uint8Array[], options?: object): Promise<Array<Buffer | undefined>>;
  /** Synchronous multi-get on the latest committed state. */
  _getManySync(keys: Uint8Array[], options: object): Array<Buffer | undefined>;
  /** Synchronous range read: rows alternate key, value. */
  querySync(range: RocksReadRange): { rows: Array<Buffer | undefined>; finished: boolean };
  iterator(range: RocksReadRange): RocksIterator;
  /** A new native WriteBatch per call, freed only when V8 collects it (see RocksChainedBatch). */
  batch(ops: RocksBatchOp[], options: { sync: boolean }): Promise<void>;
  _chainedBatch(): RocksChainedBatch;
  getProperty(name: string): string;
}

interface RocksModule {
  RocksLevel: new (location: string, options: { keyEncoding: 'buffer'; valueEncoding: 'buffer' }) => RocksLevel;
}

export function loadRocksDb(): RocksModule {
  return createRequire(import.meta.url)('@nxtedition/rocksdb') as RocksModule;
}
