/**
 * The registry with every built-in store. Each store's module is imported only
 * when that type is created, so a native binding that failed to build breaks
 * only its own store.
 */
import type { StoreConfig } from './config.js';
import { registerMigrationStores } from './migration/store-types.js';
import { StoreRegistry } from './registry.js';
import type { DataStore } from './store.js';

export const defaultRegistry = new StoreRegistry();

defaultRegistry.register('memory', {
  description: 'in-process maps; size limit, LRU eviction as a cache, optional snapshot to disk',
  network: false,
  create: async (config, options) => (await import('./stores/memory/index.js')).createDriver(config, options),
});

defaultRegistry.register('sqlite', {
  description: 'embedded SQL (better-sqlite3); the default, under ./data',
  network: false,
  opensTwice: (config) => config.connection.trim() !== ':memory:',
  create: async (config, options) => (await import('./stores/sqlite/index.js')).createDriver(config, options),
});

defaultRegistry.register('rocksdb', {
  description: 'embedded LSM key-value store (the plan\'s BadgerDB role)',
  network: false,
  create: async (config, options) => (await import('./stores/rocksdb/index.js')).createDriver(config, options),
});

defaultRegistry.register('lmdb', {
  description: 'embedded B+tree key-value store (the plan\'s BoltDB role)',
  network: false,
  opensTwice: () => true,
  create: async (config, options) => (await import('./stores/lmdb/index.js')).createDriver(config, options),
});

defaultRegistry.register('lsm', {
  description: 'our own embedded LSM engine (src/lsm): WAL, SSTables, leveled compaction, value log',
  network: false,
  create: async (config, options) => (await import('./stores/lsm/index.js')).createDriver(config, options),
});

defaultRegistry.register('postgres', {
  description: 'PostgreSQL: JSONB metadata, partitioned objects, LISTEN/NOTIFY',
  network: true,
  opensTwice: () => true,
  create: async (config, options) => (await import('./stores/postgres/index.js')).createDriver(config, options),
});

defaultRegistry.register('cockroach', {
  description: 'CockroachDB: the PostgreSQL store\'s dialect (retries on 40001, no hash partitions)',
  network: true,
  opensTwice: () => true,
  create: async (config, options) => (await import('./stores/cockroach/index.js')).createDriver(config, options),
});

defaultRegistry.register('redis', {
  description: 'Redis standalone or Cluster: Lua compare-and-swap, streams, pub/sub',
  network: true,
  opensTwice: () => true,
  create: async (config, options) => (await import('./stores/redis/index.js')).createDriver(config, options),
});

for (const type of ['scylla', 'cassandra']) {
  defaultRegistry.register(type, {
    description: `ScyllaDB or Apache Cassandra over CQL: LWT compare-and-swap, token-aware${type === 'cassandra' ? ' (alias of scylla)' : ''}`,
    network: true,
    opensTwice: () => true,
    create: async (config, options) => (await import('./stores/scylla/index.js')).createDriver(config, options),
  });
}

defaultRegistry.register('mongodb', {
  description: 'MongoDB (tested on FerretDB): versioned records ordered by a commit log, GridFS for large objects',
  network: true,
  opensTwice: () => true,
  create: async (config, options) => (await import('./stores/mongodb/index.js')).createDriver(config, options),
});

registerMigrationStores(defaultRegistry);

/** Whether another thread or process may open the store a config names while this one has it open (see StoreFactory.opensTwice). */
export function storeOpensTwice(source: string | StoreConfig): boolean {
  return defaultRegistry.opensTwice(source);
}

/** Creates and opens a store from a URI (`sqlite://./data/govc.db`) or a config object. */
export function createStore(source: string | StoreConfig | Record<string, unknown>): Promise<DataStore> {
  return defaultRegistry.create(source);
}
