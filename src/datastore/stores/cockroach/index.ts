/**
 * `cockroach://user:password@host:26257/database?ssl_mode=verify-full&ssl_root_cert=certs/ca.crt`
 * The PostgreSQL store with the CockroachDB dialect. Options: those of postgres, plus
 * upsert (default true; false writes INSERT ... ON CONFLICT DO UPDATE instead of UPSERT).
 */
import type { StoreConfig } from '../../config.js';
import type { OptionReader } from '../../options.js';
import { PostgresDriver } from '../postgres/driver.js';
import { readPostgresSettings } from '../postgres/settings.js';
import { CockroachDialect } from './dialect.js';

export { CockroachDialect } from './dialect.js';

export function createDriver(config: StoreConfig, options: OptionReader): PostgresDriver {
  const upsert = options.bool('upsert', true);
  return new PostgresDriver(readPostgresSettings(config, options, 'cockroach', 26257), new CockroachDialect({ upsert }));
}
