/** The redis store's options, read once from the config. */
import type { StoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import { DEFAULT_CHANGE_LOG_RETENTION_MS } from '../../change-log.js';
import { PREFIX_PATTERN } from './keys.js';

export interface RedisSettings {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...`; in cluster mode, one seed node. */
  url: string;
  cluster: boolean;
  /** More cluster seed nodes, `host:port`. */
  seedNodes: Array<{ host: string; port: number }>;
  prefix: string;
  /** primary: refuses servers without AOF; cache: no persistence expected. */
  mode: 'primary' | 'cache';
  allowNoPersistence: boolean;
  /** After each write, WAIT for this many replicas to acknowledge it (0 = do not wait). */
  waitReplicas: number;
  waitTimeoutMs: number;
  connectTimeoutMs: number;
  /** Approximate MAXLEN of the audit stream; 0 keeps every entry. */
  auditStreamMaxLen: number;
  /** How long the change log waits for a silent follower (change_log_retention). */
  changeLogRetentionMs: number;
}

/** A Cluster's seed nodes: `host:port` pairs separated by commas (the `nodes` option). */
export function parseSeedNodes(text: string, key = 'nodes'): RedisSettings['seedNodes'] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^([^:\s]+):(\d{1,5})$/.exec(s);
      if (!m) throw new ConfigError(`redis option ${key} must list host:port pairs separated by commas; got ${JSON.stringify(s)}`, { key });
      return { host: m[1], port: Number(m[2]) };
    });
}

export function readSettings(config: StoreConfig, options: OptionReader): RedisSettings {
  const url = config.connection || 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//i.test(url)) {
    throw new ConfigError(`redis connection must be a redis:// or rediss:// URI, e.g. redis://127.0.0.1:6379; got ${JSON.stringify(url)}`, { key: 'connection' });
  }
  const prefix = options.string('prefix', 'govc');
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ConfigError(`redis option prefix must be 1-64 characters of letters, digits, . _ : -; got ${JSON.stringify(prefix)}`, { key: 'prefix' });
  }
  const seedNodes = parseSeedNodes(options.string('nodes', ''));
  const changeLogRetentionMs = options.durationMs('change_log_retention', DEFAULT_CHANGE_LOG_RETENTION_MS);
  if (changeLogRetentionMs <= 0) throw new ConfigError('redis option change_log_retention must be a positive duration such as 7d or 12h', { key: 'change_log_retention' });
  return {
    url,
    cluster: options.bool('cluster', false),
    seedNodes,
    prefix,
    mode: options.string('mode', 'primary', ['primary', 'cache'] as const),
    allowNoPersistence: options.bool('allow_no_persistence', false),
    waitReplicas: options.int('wait_replicas', 0, 0, 16),
    waitTimeoutMs: options.durationMs('wait_timeout', 2000),
    connectTimeoutMs: options.durationMs('connect_timeout', 5000),
    auditStreamMaxLen: options.int('audit_stream_maxlen', 0, 0),
    changeLogRetentionMs,
  };
}
