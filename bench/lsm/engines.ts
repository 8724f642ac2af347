/** The three embedded engines of bench/lsm.ts, behind the one KvEngine interface, with their stores' default settings. */
import type { KvEngine } from '../../src/datastore/stores/kv/engine.js';
import { LmdbEngine } from '../../src/datastore/stores/lmdb/lmdb-engine.js';
import { LsmEngine } from '../../src/datastore/stores/lsm/lsm-engine.js';
import { RocksEngine } from '../../src/datastore/stores/rocksdb/rocksdb-engine.js';

export interface EngineTarget {
  name: string;
  make(dir: string): KvEngine;
  /** Bytes the engine says it wrote itself, where it counts them (ours does). */
  writtenBytes?(engine: KvEngine): Promise<number | undefined>;
  settle?(engine: KvEngine): Promise<void>;
}

const MB = 1024 ** 2;

export const ENGINES: Record<string, EngineTarget> = {
  lsm: {
    name: 'lsm',
    make: (dir) => new LsmEngine({ location: dir }),
    settle: (e) => (e as unknown as { db: { waitForBackground(): Promise<void> } }).db.waitForBackground(),
  },
  'lsm-vlog': {
    name: 'lsm value_threshold=512',
    make: (dir) => new LsmEngine({ location: dir, valueThreshold: 512 }),
    settle: (e) => (e as unknown as { db: { waitForBackground(): Promise<void> } }).db.waitForBackground(),
  },
  rocksdb: {
    name: 'rocksdb',
    make: (dir) => new RocksEngine({ location: dir, compression: 'zstd', bloomBitsPerKey: 10, cacheBytes: 64 * MB, sync: false }),
  },
  lmdb: {
    name: 'lmdb',
    make: (dir) => new LmdbEngine({ location: dir, compression: 'none', compressionThreshold: 1024, sync: false, maxReaders: 126 }),
  },
};
