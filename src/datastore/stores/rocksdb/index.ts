/**
 * `rocksdb://./data/rocksdb?compression=zstd&bloom_bits_per_key=10&cache_size=64MB&sync=false`
 * The embedded LSM store (the plan's BadgerDB role) over the shared key-value driver.
 */
import type { StoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import type { Capabilities } from '../../types.js';
import { singleProcessKvCapabilities } from '../kv/capabilities.js';
import { KvDriver } from '../kv/kv-driver.js';
import { RocksEngine, type RocksEngineOptions } from './rocksdb-engine.js';

/** 1 GiB: one value is one buffer in memory on every read and write. */
export const ROCKSDB_MAX_OBJECT_SIZE = 1024 ** 3;

export function rocksdbCapabilities(): Capabilities {
  return singleProcessKvCapabilities(ROCKSDB_MAX_OBJECT_SIZE);
}

export function readRocksOptions(config: StoreConfig, options: OptionReader): RocksEngineOptions {
  const location = config.connection;
  if (!location) {
    throw new ConfigError('rocksdb needs a directory as its connection, e.g. rocksdb://./data/rocksdb', { key: 'connection' });
  }
  return {
    location,
    compression: options.string('compression', 'zstd', ['zstd', 'none'] as const),
    bloomBitsPerKey: options.int('bloom_bits_per_key', 10, 1, 64),
    cacheBytes: options.bytes('cache_size', 64 * 1024 ** 2),
    sync: options.bool('sync', false),
  };
}

export function createDriver(config: StoreConfig, options: OptionReader): KvDriver {
  const engine = new RocksEngine(readRocksOptions(config, options));
  return new KvDriver('rocksdb', rocksdbCapabilities(), engine);
}

export { RocksEngine } from './rocksdb-engine.js';
