/**
 * Store options (from the URI query or the YAML `options` block) turned into a
 * pg pool configuration. Options stay out of the connection string: the
 * registry strips the query, so `sslmode` in a URI is read here, not by pg.
 */
import { readFileSync } from 'node:fs';
import type { PoolConfig } from 'pg';
import type { ConnectionOptions } from 'node:tls';
import type { StoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import { DEFAULT_CHANGE_LOG_RETENTION_MS } from '../../change-log.js';

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PostgresSettings {
  /** postgres://user:password@host:port/database, without query. */
  connection: string;
  /** Schema holding the tables; one database can hold many stores. */
  schema: string;
  poolSize: number;
  sslMode: SslMode;
  pool: PoolConfig;
  /** How long the change log waits for a silent follower (change_log_retention). */
  changeLogRetentionMs: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(err as Error).message}`, { key: what });
  }
}

function tlsOptions(mode: SslMode, rootCert?: string, cert?: string, key?: string): false | ConnectionOptions {
  if (mode === 'disable') return false;
  const tls: ConnectionOptions = {};
  if (rootCert) tls.ca = readFile(rootCert, 'ssl_root_cert');
  if (cert) tls.cert = readFile(cert, 'ssl_cert');
  if (key) tls.key = readFile(key, 'ssl_key');
  // require: encrypt but trust any certificate (libpq's meaning); verify-ca: check the chain, not the host name.
  if (mode === 'require') tls.rejectUnauthorized = false;
  if (mode === 'verify-ca') tls.checkServerIdentity = () => undefined;
  return tls;
}

/**
 * Reads: schema, pool_size, ssl_mode (or libpq's sslmode), ssl_root_cert,
 * ssl_cert, ssl_key, connect_timeout, statement_timeout, application_name,
 * change_log_retention.
 */
export function readPostgresSettings(config: StoreConfig, options: OptionReader, storeType: string, defaultPort: number): PostgresSettings {
  if (!config.connection) {
    throw new ConfigError(`${storeType} needs a connection URI such as ${storeType}://user:password@host:${defaultPort}/database`, { key: 'connection' });
  }
  let url: URL;
  try {
    url = new URL(config.connection);
  } catch {
    throw new ConfigError(`${storeType} connection ${JSON.stringify(config.connection)} is not a URI; expected ${storeType}://user@host:${defaultPort}/database`, {
      key: 'connection',
    });
  }
  const schema = options.string('schema', 'public');
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(`${storeType} option schema must be a lowercase SQL identifier (letters, digits, _); got ${JSON.stringify(schema)}`, { key: 'schema' });
  }
  const poolSize = options.int('pool_size', 10, 1, 1000);
  const libpqMode = options.string('sslmode')?.toLowerCase();
  const sslMode = options.string<SslMode>('ssl_mode', (libpqMode as SslMode | undefined) ?? 'disable', SSL_MODES);
  if (libpqMode !== undefined && !SSL_MODES.includes(libpqMode as SslMode)) {
    throw new ConfigError(`${storeType} sslmode must be one of ${SSL_MODES.join(', ')} (prefer and allow are not supported: pick disable or require); got ${libpqMode}`, {
      key: 'sslmode',
    });
  }
  const ssl = tlsOptions(sslMode, options.string('ssl_root_cert'), options.string('ssl_cert'), options.string('ssl_key'));
  const connectTimeoutMs = options.durationMs('connect_timeout', 10_000);
  const statementTimeoutMs = options.durationMs('statement_timeout', 0);
  const applicationName = options.string('application_name', 'govc');
  const changeLogRetentionMs = options.durationMs('change_log_retention', DEFAULT_CHANGE_LOG_RETENTION_MS);
  if (changeLogRetentionMs <= 0) throw new ConfigError(`${storeType} option change_log_retention must be a positive duration such as 7d or 12h`, { key: 'change_log_retention' });

  // The URI's own scheme may be cockroach://; pg only needs host, port, user, password and database.
  const credentials = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  const connection = `postgres://${credentials}${url.hostname || 'localhost'}:${url.port || defaultPort}${url.pathname}`;
  return {
    connection,
    schema,
    poolSize,
    sslMode,
    changeLogRetentionMs,
    pool: {
      connectionString: connection,
      max: poolSize,
      ssl,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs > 0 ? statementTimeoutMs : undefined,
      application_name: applicationName,
      // Every connection resolves table names in the store's schema.
      options: `-c search_path=${schema}`,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
    },
  };
}

/** host:port/database for messages, without credentials. */
export function describeTarget(settings: PostgresSettings): string {
  const u = new URL(settings.connection);
  return `${u.hostname}:${u.port}${u.pathname}`;
}
