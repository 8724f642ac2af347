/**
 * `postgres://user:password@host:5432/database?schema=govc&pool_size=20&ssl_mode=require`
 * Options: schema, pool_size, ssl_mode (disable|require|verify-ca|verify-full; libpq's sslmode also read),
 * ssl_root_cert, ssl_cert, ssl_key, connect_timeout, statement_timeout, application_name.
 */
import type { StoreConfig } from '../../config.js';
import type { OptionReader } from '../../options.js';
import { PostgresDialect } from './dialect.js';
import { PostgresDriver } from './driver.js';
import { readPostgresSettings } from './settings.js';

export { PostgresDriver } from './driver.js';
export { PostgresDialect, type Dialect } from './dialect.js';
export { withRepositoryLock } from './repository-lock.js';
export type { LockOptions } from './locks.js';
export type { RepositoryStatistics } from './statistics.js';

export function createDriver(config: StoreConfig, options: OptionReader): PostgresDriver {
  return new PostgresDriver(readPostgresSettings(config, options, 'postgres', 5432), new PostgresDialect());
}
