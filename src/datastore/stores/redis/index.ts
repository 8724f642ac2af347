import type { StoreConfig } from '../../config.js';
import type { OptionReader } from '../../options.js';
import { RedisDriver } from './redis-driver.js';
import { readSettings } from './settings.js';

export { RedisDriver } from './redis-driver.js';

/**
 * `redis://127.0.0.1:6379?prefix=govc`, or a Cluster:
 * `redis://127.0.0.1:7000?cluster=true&nodes=127.0.0.1:7001,127.0.0.1:7002&wait_replicas=1`.
 */
export function createDriver(config: StoreConfig, options: OptionReader): RedisDriver {
  return new RedisDriver(readSettings(config, options));
}
