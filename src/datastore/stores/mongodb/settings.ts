/**
 * The mongodb store's options (URI query or YAML `options`), turned into
 * MongoClient options. The registry strips the query from the connection, so
 * pool, TLS, auth and concern settings are read here under our own names.
 */
import type { MongoClientOptions, ReadConcernLevel, ReadPreferenceMode, W } from 'mongodb';
import type { StoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';

export interface MongoSettings {
  /** mongodb://[user:password@]host[:port][,host...][/database], without query. */
  url: string;
  database: string;
  client: MongoClientOptions;
  /** Entries larger than this many bytes go to GridFS (a document holds at most 16 MiB). */
  gridfsThreshold: number;
  /** Largest object accepted. */
  maxObjectSize: number;
  /** Superseded record versions and commit-log entries older than this are removed. */
  retentionMs: number;
  /** How often a change-feed subscriber reads the commit log. */
  pollMs: number;
  /** For a new store: objects spread over 16^n collections (default: 2 on FerretDB, 0 elsewhere). */
  shardDigits?: number;
}

const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;
const READ_PREFERENCES = ['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'] as const;
const READ_CONCERNS = ['local', 'majority', 'linearizable', 'available', 'snapshot'] as const;
const AUTH_MECHANISMS = ['DEFAULT', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'PLAIN', 'MONGODB-X509', 'GSSAPI', 'MONGODB-AWS', 'MONGODB-OIDC'] as const;
/** The BSON document limit less room for the entry's other fields. */
export const DOCUMENT_BYTES = 16 * 1024 * 1024 - 64 * 1024;

function writeConcern(value: string | undefined): W | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  if (value.toLowerCase() === 'majority') return 'majority';
  throw new ConfigError(`mongodb option write_concern must be majority or a number of members; got ${JSON.stringify(value)}`, { key: 'write_concern' });
}

/** MongoDB's connection-string names of our options (mongodb://h/db?authMechanism=PLAIN&tlsCAFile=...), accepted instead of ours. */
const URI_NAMES: Record<string, string> = {
  pool_size: 'maxPoolSize',
  min_pool_size: 'minPoolSize',
  replica_set: 'replicaSet',
  write_concern: 'w',
  write_timeout: 'wtimeoutMS',
  read_preference: 'readPreference',
  read_concern: 'readConcernLevel',
  tls_ca_file: 'tlsCAFile',
  tls_cert_key_file: 'tlsCertificateKeyFile',
  tls_allow_invalid_certificates: 'tlsAllowInvalidCertificates',
  tls_allow_invalid_hostnames: 'tlsAllowInvalidHostnames',
  auth_source: 'authSource',
  auth_mechanism: 'authMechanism',
  connect_timeout: 'connectTimeoutMS',
  server_selection_timeout: 'serverSelectionTimeoutMS',
  direct_connection: 'directConnection',
  app_name: 'appName',
};

/** For each of our option names, the name the config uses: ours, or MongoDB's (never both). */
function uriNames(given: Record<string, unknown>): (key: string) => string {
  return (key) => {
    const uri = URI_NAMES[key];
    if (uri === undefined || !(uri in given)) return key;
    if (key in given) throw new ConfigError(`mongodb options ${key} and ${uri} are the same option; give one of them`, { key });
    return uri;
  };
}

/**
 * Options: database, pool_size, min_pool_size, replica_set, write_concern,
 * journal, write_timeout, read_preference, read_concern, tls,
 * tls_ca_file, tls_cert_key_file, tls_allow_invalid_certificates,
 * tls_allow_invalid_hostnames, auth_source, auth_mechanism, connect_timeout,
 * server_selection_timeout, direct_connection, app_name, gridfs_threshold,
 * max_object_size, retention, poll_interval, object_shard_digits; and
 * MongoDB's own connection-string names for the driver's (URI_NAMES).
 */
export function readMongoSettings(config: StoreConfig, options: OptionReader): MongoSettings {
  const connection = config.connection || 'mongodb://127.0.0.1:27017/govc';
  const n = uriNames(config.options);
  if (!/^mongodb(\+srv)?:\/\//i.test(connection)) {
    throw new ConfigError(`mongodb connection must be a mongodb:// or mongodb+srv:// URI, e.g. mongodb://127.0.0.1:27017/govc; got ${JSON.stringify(connection)}`, { key: 'connection' });
  }
  const path = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/i.exec(connection)?.[1] ?? '';
  const database = options.string('database', decodeURIComponent(path) || 'govc');
  if (!DATABASE_NAME.test(database)) {
    throw new ConfigError(`mongodb database name must be 1-63 letters, digits, _ or -; got ${JSON.stringify(database)}`, { key: 'database' });
  }
  const w = writeConcern(options.string(n('write_concern')));
  const journal = options.bool('journal', true);
  const writeTimeout = options.durationMs(n('write_timeout'), 0);
  const readPreference = options.string<ReadPreferenceMode>(n('read_preference'), 'primary', READ_PREFERENCES);
  if (readPreference !== 'primary') {
    // Compare-and-swap plans must read the latest commit; reads from secondaries could be behind.
    throw new ConfigError(
      `mongodb option read_preference must be primary for a primary store (compare-and-swap reads the latest commit); got ${readPreference}. Point analytics at secondaries with a separate client.`,
      { key: 'read_preference' },
    );
  }
  const readConcern = options.string<ReadConcernLevel>(n('read_concern'), 'local', READ_CONCERNS);
  const client: MongoClientOptions = {
    // Small by default: FerretDB 1.24's throughput falls as connections grow (measured here: 520 finds/s on 1, 136 on 16).
    maxPoolSize: options.int(n('pool_size'), 8, 1, 10_000),
    minPoolSize: options.int(n('min_pool_size'), 0, 0, 10_000),
    connectTimeoutMS: options.durationMs(n('connect_timeout'), 10_000),
    serverSelectionTimeoutMS: options.durationMs(n('server_selection_timeout'), 10_000),
    appName: options.string(n('app_name'), 'govc'),
    readPreference,
    readConcern: { level: readConcern },
    writeConcern: { ...(w !== undefined ? { w } : {}), journal, ...(writeTimeout > 0 ? { wtimeoutMS: writeTimeout } : {}) },
    // The commit log makes every write idempotent to replay; the driver's single retry is then safe.
    retryWrites: true,
    ignoreUndefined: true,
  };
  const replicaSet = options.string(n('replica_set'));
  if (replicaSet) client.replicaSet = replicaSet;
  if (options.string(n('direct_connection')) !== undefined) client.directConnection = options.bool(n('direct_connection'), false);
  if (options.bool('tls', /^mongodb\+srv:/i.test(connection))) client.tls = true;
  const caFile = options.string(n('tls_ca_file'));
  const certKeyFile = options.string(n('tls_cert_key_file'));
  if (caFile) client.tlsCAFile = caFile;
  if (certKeyFile) client.tlsCertificateKeyFile = certKeyFile;
  if ((caFile || certKeyFile) && !client.tls) client.tls = true;
  if (options.bool(n('tls_allow_invalid_certificates'), false)) client.tlsAllowInvalidCertificates = true;
  if (options.bool(n('tls_allow_invalid_hostnames'), false)) client.tlsAllowInvalidHostnames = true;
  const authSource = options.string(n('auth_source'));
  if (authSource) client.authSource = authSource;
  const mechanism = options.string(n('auth_mechanism'));
  if (mechanism) client.authMechanism = options.string(n('auth_mechanism'), 'DEFAULT', AUTH_MECHANISMS);
  const gridfsThreshold = options.bytes('gridfs_threshold', DOCUMENT_BYTES);
  if (gridfsThreshold > DOCUMENT_BYTES) {
    throw new ConfigError(`mongodb option gridfs_threshold must be at most ${DOCUMENT_BYTES} bytes (a document holds 16 MiB); got ${gridfsThreshold}`, { key: 'gridfs_threshold' });
  }
  return {
    url: connection,
    database,
    client,
    gridfsThreshold,
    maxObjectSize: options.bytes("max_object_size", 1024 ** 3),
    retentionMs: options.durationMs('retention', 60_000),
    pollMs: options.durationMs('poll_interval', 100),
    shardDigits: options.string('object_shard_digits') === undefined ? undefined : options.int('object_shard_digits', 0, 0, 3),
  };
}
