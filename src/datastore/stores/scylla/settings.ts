/** The scylla store's options, read once from the config. */
import type { StoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';

/** CQL consistency levels by the names the options take. */
export const CONSISTENCY_NAMES = ['one', 'two', 'three', 'quorum', 'all', 'local_quorum', 'each_quorum', 'local_one'] as const;
export type ConsistencyName = (typeof CONSISTENCY_NAMES)[number];
export type SerialName = 'serial' | 'local_serial';

export interface Replication {
  /** SimpleStrategy with a factor, or NetworkTopologyStrategy with a factor per data centre. */
  strategy: 'SimpleStrategy' | 'NetworkTopologyStrategy';
  factors: Record<string, number>;
}

export interface ScyllaSettings {
  contactPoints: string[];
  localDataCenter: string;
  username?: string;
  password?: string;
  keyspace: string;
  /** Stores sharing one keyspace keep apart by namespace (part of every partition key). */
  namespace: string;
  /** Used only when the store creates its keyspace. */
  replication: Replication;
  consistency: ConsistencyName;
  serialConsistency: SerialName;
  /** Hex characters of an object id that name its partition (16^n partitions). */
  objectShardChars: number;
  createSchema: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/** `simple:3`, or `dc1:3,dc2:2` for NetworkTopologyStrategy. */
export function parseReplication(text: string): Replication {
  const simple = /^simple:(\d{1,2})$/i.exec(text.trim());
  if (simple) return { strategy: 'SimpleStrategy', factors: { replication_factor: Number(simple[1]) } };
  const factors: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z0-9_.-]+):(\d{1,2})\s*$/.exec(part);
    if (!m) {
      throw new ConfigError(`scylla option replication must be simple:<factor> or <dc>:<factor>[,<dc>:<factor>...]; got ${JSON.stringify(text)}`, { key: 'replication' });
    }
    factors[m[1]] = Number(m[2]);
  }
  return { strategy: 'NetworkTopologyStrategy', factors };
}

/**
 * `scylla://[user:pass@]host[:port]/keyspace?local_dc=dc1&consistency=local_quorum`
 * (also `cassandra://`); more contact points in `hosts=h2:9042,h3:9042`.
 */
export function readSettings(config: StoreConfig, options: OptionReader): ScyllaSettings {
  let url: URL;
  try {
    url = new URL(config.connection || 'scylla://127.0.0.1:9042/govc');
  } catch {
    throw new ConfigError(`scylla connection must be a URI like scylla://host:9042/keyspace; got ${JSON.stringify(config.connection)}`, { key: 'connection' });
  }
  const host = url.hostname || '127.0.0.1';
  const port = url.port || '9042';
  const extra = options
    .string('hosts', '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const h of extra) {
    if (!/^[^:\s,]+(:\d{1,5})?$/.test(h)) throw new ConfigError(`scylla option hosts must list host[:port] separated by commas; got ${JSON.stringify(h)}`, { key: 'hosts' });
  }
  const keyspace = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'govc';
  if (!NAME.test(keyspace)) {
    throw new ConfigError(`scylla keyspace (the URI path) must be a letter then up to 47 letters, digits or _; got ${JSON.stringify(keyspace)}`, { key: 'connection' });
  }
  const namespace = options.string('namespace', 'default');
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(namespace)) {
    throw new ConfigError(`scylla option namespace must be 1-64 letters, digits or . _ : -; got ${JSON.stringify(namespace)}`, { key: 'namespace' });
  }
  return {
    contactPoints: [`${host}:${port}`, ...extra],
    localDataCenter: options.string('local_dc', 'datacenter1'),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    keyspace,
    namespace,
    replication: parseReplication(options.string('replication', 'simple:1')),
    consistency: options.string<ConsistencyName>('consistency', 'local_quorum', CONSISTENCY_NAMES),
    serialConsistency: options.string<SerialName>('serial_consistency', 'serial', ['serial', 'local_serial']),
    objectShardChars: options.int('object_shards', 2, 1, 4),
    createSchema: options.bool('create_schema', true),
    connectTimeoutMs: options.durationMs('connect_timeout', 10_000),
    requestTimeoutMs: options.durationMs('request_timeout', 30_000),
  };
}

/** For messages: where the store is, without credentials. */
export function describe(settings: ScyllaSettings): string {
  return `CQL at ${settings.contactPoints.join(', ')} (keyspace ${settings.keyspace}, namespace ${settings.namespace})`;
}
