/** The cache layer from its config block: {type: memory | redis, connection?, options}. */
import type { LayerConfig } from '../../config.js';
import type { StoreDriver } from '../../driver.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import { CacheLayer } from './cache-layer.js';
import { RedisTier } from './redis-tier.js';
import { MemoryTier, type CacheTier } from './tier.js';
import { PREFIX_PATTERN } from '../../stores/redis/keys.js';
import { parseSeedNodes } from '../../stores/redis/settings.js';

export { CacheLayer } from './cache-layer.js';

export function createCacheLayer(inner: StoreDriver, config: LayerConfig, options: OptionReader): StoreDriver {
  const objects = options.bool('objects', true);
  let tier: CacheTier;
  let ttlMs: number;
  if (config.type === 'memory') {
    tier = new MemoryTier(options.bytes('size', 64 * 1024 ** 2));
    ttlMs = options.durationMs('ttl', 0);
  } else if (config.type === 'redis' || config.type === 'rediss') {
    if (!config.connection) {
      throw new ConfigError('cache.connection is required for a redis cache: the server URL, e.g. redis://cache.example.com:6379', { key: 'cache.connection' });
    }
    const prefix = options.string('prefix', 'govc-cache');
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new ConfigError(`cache option prefix must be 1-64 characters of letters, digits, . _ : -; got ${JSON.stringify(prefix)}`, { key: 'cache.prefix' });
    }
    const cluster = options.bool('cluster', false);
    tier = new RedisTier({
      url: config.connection,
      prefix,
      cluster,
      seedNodes: parseSeedNodes(options.string('nodes', ''), 'cache.nodes'),
      // A Cluster spreads each namespace over this many slots; standalone Redis reads a namespace in one script.
      shards: options.int('shards', cluster ? 16 : 1, 1, 1024),
      connectTimeoutMs: options.durationMs('connect_timeout', 5000),
      maxRetries: options.int('max_retries', 1, 0, 100),
      poolSize: options.int('pool_size', 1, 1, 64),
    });
    // A write whose retirement failed may leave old values in Redis: they expire after ttl.
    ttlMs = options.durationMs('ttl', 60_000);
  } else {
    throw new ConfigError(`unknown cache type ${config.type}; use memory (in this process) or redis (shared by every process)`, { key: 'cache.type' });
  }
  return new CacheLayer(inner, tier, { ttlMs, objects });
}
