/**
 * YAML `server.pack_cache`: where and for how long `govc serve` keeps the
 * packs it made for clones, to serve identical clones (and identical clones
 * running at once) without walking and packing again. See
 * src/git/protocol/pack-cache.ts.
 *
 *   pack_cache: {enabled: true, max_age: 5m, max_size: 1GB, dir: <tmp_dir>/pack-cache}
 */
import { join } from 'node:path';
import { OptionReader } from '../datastore/options.js';
import type { PackCacheOptions } from '../git/protocol/pack-cache.js';

export interface PackCacheConfig {
  enabled: boolean;
  /** Absent: `pack-cache` in the server's tmp_dir, shared by the servers that share it. */
  dir?: string;
  maxAgeMs: number;
  maxBytes: number;
}

export const DEFAULT_PACK_CACHE: Readonly<PackCacheConfig> = Object.freeze({ enabled: true, maxAgeMs: 5 * 60_000, maxBytes: 1024 ** 3 });

export function parsePackCache(block: Record<string, unknown>): PackCacheConfig {
  const reader = new OptionReader('server.pack_cache', block);
  const dir = reader.string('dir');
  const config: PackCacheConfig = {
    enabled: reader.bool('enabled', DEFAULT_PACK_CACHE.enabled),
    ...(dir !== undefined ? { dir } : {}),
    maxAgeMs: reader.durationMs('max_age', DEFAULT_PACK_CACHE.maxAgeMs),
    maxBytes: reader.bytes('max_size', DEFAULT_PACK_CACHE.maxBytes),
  };
  reader.done();
  return config;
}

/** What the protocol engine takes, or undefined when the cache is off. */
export function packCacheOptions(config: PackCacheConfig, tmpRoot: string): PackCacheOptions | undefined {
  if (!config.enabled) return undefined;
  return { dir: config.dir ?? join(tmpRoot, 'pack-cache'), maxAgeMs: config.maxAgeMs, maxBytes: config.maxBytes };
}
