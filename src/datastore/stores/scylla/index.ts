import type { StoreConfig } from '../../config.js';
import type { OptionReader } from '../../options.js';
import { ScyllaDriver } from './scylla-driver.js';
import { readSettings } from './settings.js';

export { ScyllaDriver } from './scylla-driver.js';

/**
 * `scylla://127.0.0.1:9042/govc?local_dc=datacenter1&replication=simple:3&consistency=local_quorum`
 * (or `cassandra://...`): the URI path is the keyspace.
 */
export function createDriver(config: StoreConfig, options: OptionReader): ScyllaDriver {
  return new ScyllaDriver(readSettings(config, options));
}
