/**
 * `lmdb://./data/lmdb?compression=lz4&compression_threshold=1KB&sync=false&max_readers=126`
 * The embedded B+tree store (the plan's BoltDB role) over the shared key-value driver.
 */
import type { StoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import type { Capabilities } from '../../types.js';
import { KvDriver } from '../kv/kv-driver.js';
import { LmdbEngine, type LmdbEngineOptions } from './lmdb-engine.js';

/** 1 GiB: one value is one buffer in memory on every read and write. */
export const LMDB_MAX_OBJECT_SIZE = 1024 ** 3;

export function lmdbCapabilities(): Capabilities {
  return {
    // DataStore gives a BufferedTransaction: reads see committed data plus the transaction's own writes.
    transactions: true,
    isolationLevels: ['read-committed'],
    persistent: true,
    // A write is acknowledged once its LMDB transaction committed to the file; a killed process loses nothing.
    durable: true,
    // LMDB's lock file coordinates readers and the single writer across processes.
    multiProcess: true,
    maxObjectSize: LMDB_MAX_OBJECT_SIZE,
    changeEvents: false,
    ttl: false,
  };
}

export function readLmdbOptions(config: StoreConfig, options: OptionReader): LmdbEngineOptions {
  const location = config.connection;
  if (!location) {
    throw new ConfigError('lmdb needs a directory as its connection, e.g. lmdb://./data/lmdb', { key: 'connection' });
  }
  return {
    location,
    compression: options.string('compression', 'none', ['lz4', 'none'] as const),
    compressionThreshold: options.bytes('compression_threshold', 1024),
    sync: options.bool('sync', false),
    maxReaders: options.int('max_readers', 126, 1, 65_536),
  };
}

export function createDriver(config: StoreConfig, options: OptionReader): KvDriver {
  return new KvDriver('lmdb', lmdbCapabilities(), new LmdbEngine(readLmdbOptions(config, options)));
}

export { LmdbEngine } from './lmdb-engine.js';
