import type { StoreConfig } from '../../config.js';
import type { OptionReader } from '../../options.js';
import { readSqliteSettings } from './options.js';
import { SqliteDriver } from './sqlite-driver.js';

export { SqliteDriver } from './sqlite-driver.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';

/** `sqlite://./data/govc.db?journal_mode=WAL&synchronous=NORMAL&cache_size=10000&busy_timeout=5s`, or `sqlite://:memory:`. */
export function createDriver(config: StoreConfig, options: OptionReader): SqliteDriver {
  return new SqliteDriver(readSqliteSettings(config, options));
}
