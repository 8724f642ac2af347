/** Engine settings, with the defaults the store uses. */
import type { Compression } from './table-format.js';

export interface LsmOptions {
  /** fsync the WAL (and value log) before a write is acknowledged; otherwise acknowledged after the OS write. */
  sync: boolean;
  /** A memtable is frozen and flushed once it holds this many bytes. */
  memtableBytes: number;
  /** Writes stall while this many frozen memtables wait for their flush. */
  maxImmutables: number;
  blockSize: number;
  bloomBitsPerKey: number;
  compression: Compression;
  blockCacheBytes: number;
  /** Values of at least this many bytes go to the value log; the tree keeps a pointer. */
  valueThreshold: number;
  vlogFileBytes: number;
  /** A sealed value-log file is rewritten once this fraction of it is garbage. */
  vlogGcDiscardRatio: number;
  /** L0 tables that start a compaction into L1, and that stall writes until it is done. */
  l0CompactionTrigger: number;
  l0StopTrigger: number;
  /** Target size of L1; each level below is `levelRatio` times larger. */
  levelBaseBytes: number;
  levelRatio: number;
  tableFileBytes: number;
}

export const DEFAULT_OPTIONS: LsmOptions = {
  sync: false,
  // As RocksDB's defaults go (64 MiB memtable, 256 MiB L1): fewer, larger L0 compactions, each of which rewrites L1.
  memtableBytes: 32 * 1024 ** 2,
  maxImmutables: 2,
  blockSize: 4096,
  bloomBitsPerKey: 10,
  compression: 'lz4',
  blockCacheBytes: 64 * 1024 ** 2,
  valueThreshold: 4096,
  vlogFileBytes: 128 * 1024 ** 2,
  vlogGcDiscardRatio: 0.5,
  l0CompactionTrigger: 4,
  // RocksDB slows writes at 20 L0 files (and stops at 36): while one long L0 compaction runs, the next batch grows.
  l0StopTrigger: 20,
  levelBaseBytes: 256 * 1024 ** 2,
  levelRatio: 10,
  tableFileBytes: 16 * 1024 ** 2,
};

export function levelTarget(o: LsmOptions, level: number): number {
  return o.levelBaseBytes * o.levelRatio ** Math.max(0, level - 1);
}
