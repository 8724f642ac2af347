/**
 * What the rocksdb store asks of RocksDB when it opens, from its own options.
 * Memory is the constraint: ZSTD with the binding's 16 KiB dictionary makes
 * RocksDB hold every data block of an SST file it writes, uncompressed, until
 * the file is done (to train the dictionary on them). With RocksDB's default
 * shape that is a whole 64 MiB memtable per flush and up to 64 MiB per
 * compaction output, on threads whose malloc arenas keep the pages: a
 * 1M-object import peaked 100-200 MiB higher so. Level-style compaction from
 * a 64 MiB budget flushes 16 MiB memtables to uncompressed levels 0 and 1 and
 * compresses from level 2 on (where nearly all the data ends) in 8 MiB files,
 * so the buffer is at most 8 MiB. Without compression nothing is buffered and
 * RocksDB's default shape stays (the binding's level style would compress
 * levels 2 and on whatever it is told).
 */
import type { RocksOpenOptions } from './binding.js';
import type { RocksEngineOptions } from './rocksdb-engine.js';

/** Memtables, SST file and level sizes derive from it (see RocksOpenOptions.compaction). */
export const MEMTABLE_BUDGET_BYTES = 64 << 20;

export function rocksOpenOptions(options: RocksEngineOptions): RocksOpenOptions {
  const base: RocksOpenOptions = {
    createIfMissing: true,
    filterPolicy: `bloomfilter:${options.bloomBitsPerKey}:false`,
    cacheSize: options.cacheBytes,
  };
  if (options.compression === 'none') return { ...base, compression: false };
  return { ...base, compression: true, compaction: 'level', memtableMemoryBudget: MEMTABLE_BUDGET_BYTES };
}
