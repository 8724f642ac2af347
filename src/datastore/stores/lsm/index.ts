/**
 * `lsm://./data/lsm?compression=lz4&bloom_bits_per_key=10&cache_size=64MB&sync=false&value_threshold=4KB`
 * Our own LSM engine (src/lsm) over the shared key-value driver.
 */
import type { StoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import type { Capabilities } from '../../types.js';
import { singleProcessKvCapabilities } from '../kv/capabilities.js';
import { KvDriver } from '../kv/kv-driver.js';
import { DEFAULT_OPTIONS } from '../../../lsm/index.js';
import { LsmEngine, type LsmEngineOptions } from './lsm-engine.js';

/** 1 GiB: one value is one buffer in memory on every read and write. */
export const LSM_MAX_OBJECT_SIZE = 1024 ** 3;

export function lsmCapabilities(): Capabilities {
  return singleProcessKvCapabilities(LSM_MAX_OBJECT_SIZE);
}

export function readLsmOptions(config: StoreConfig, options: OptionReader): LsmEngineOptions {
  const location = config.connection;
  if (!location) {
    throw new ConfigError('lsm needs a directory as its connection, e.g. lsm://./data/lsm', { key: 'connection' });
  }
  return {
    location,
    compression: options.string('compression', 'lz4', ['lz4', 'none'] as const),
    bloomBitsPerKey: options.int('bloom_bits_per_key', 10, 1, 64),
    blockCacheBytes: options.bytes('cache_size', 64 * 1024 ** 2),
    sync: options.bool('sync', false),
    memtableBytes: options.bytes('memtable_size', DEFAULT_OPTIONS.memtableBytes),
    valueThreshold: options.bytes('value_threshold', 4096),
    vlogFileBytes: options.bytes('vlog_file_size', 128 * 1024 ** 2),
    blockSize: options.bytes('block_size', 4096),
  };
}

export function createDriver(config: StoreConfig, options: OptionReader): KvDriver {
  return new KvDriver('lsm', lsmCapabilities(), new LsmEngine(readLsmOptions(config, options)));
}

export { LsmEngine } from './lsm-engine.js';
