/**
 * `govc serve` configuration: YAML in the plan's shape (a `datastore:` block)
 * plus a `server:` block; command-line flags override the file.
 *
 *   datastore: {type: sqlite, connection: ./data/govc.db}
 *   server:
 *     host: 127.0.0.1
 *     port: 8080
 *     auth: {anonymous_read: true}
 *     shutdown_timeout_ms: 30000
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseStoreConfig, type StoreConfig } from '../datastore/config.js';
import { ConfigError } from '../datastore/errors.js';

export const DEFAULT_STORE = 'sqlite://./data/govc.db';

export interface ServerConfig {
  /** A store URI or a parsed `datastore:` block. */
  datastore: string | StoreConfig;
  host: string;
  port: number;
  /** Public repositories may be read without credentials. */
  anonymousRead: boolean;
  /** How long in-flight requests may run after SIGINT/SIGTERM before they are cut. */
  shutdownTimeoutMs: number;
}

export interface ServerFlags {
  config?: string;
  store?: string;
  host?: string;
  port?: string | number;
}

export const DEFAULTS: Omit<ServerConfig, 'datastore'> = {
  host: '127.0.0.1',
  port: 8080,
  anonymousRead: true,
  shutdownTimeoutMs: 30000,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refuseUnknown(block: Record<string, unknown>, where: string, allowed: string[]): void {
  for (const key of Object.keys(block)) {
    if (!allowed.includes(key)) throw new ConfigError(`unknown key ${where}.${key}; expected one of ${allowed.join(', ')}`, { key: `${where}.${key}` });
  }
}

export function parsePort(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${where} must be a port number from 0 to 65535; got ${JSON.stringify(value)}`, { key: where });
  }
  return n;
}

/** Parses a config document; `source` names it in error messages. */
export function parseServerYaml(text: string, source: string): Partial<ServerConfig> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new ConfigError(`${source} must be a mapping with datastore: and server: blocks`);
  refuseUnknown(doc, source, ['datastore', 'server']);
  const out: Partial<ServerConfig> = {};
  if (doc.datastore !== undefined) out.datastore = parseStoreConfig(doc.datastore, 'datastore');
  if (doc.server !== undefined) {
    const s = doc.server;
    if (!isRecord(s)) throw new ConfigError('server must be a mapping, e.g. {host: 127.0.0.1, port: 8080}', { key: 'server' });
    refuseUnknown(s, 'server', ['host', 'port', 'auth', 'shutdown_timeout_ms']);
    if (s.host !== undefined) {
      if (typeof s.host !== 'string' || s.host === '') throw new ConfigError('server.host must be a host name or address', { key: 'server.host' });
      out.host = s.host;
    }
    if (s.port !== undefined) out.port = parsePort(s.port, 'server.port');
    if (s.shutdown_timeout_ms !== undefined) {
      if (typeof s.shutdown_timeout_ms !== 'number' || s.shutdown_timeout_ms < 0) {
        throw new ConfigError('server.shutdown_timeout_ms must be a number of milliseconds', { key: 'server.shutdown_timeout_ms' });
      }
      out.shutdownTimeoutMs = s.shutdown_timeout_ms;
    }
    if (s.auth !== undefined) {
      if (!isRecord(s.auth)) throw new ConfigError('server.auth must be a mapping, e.g. {anonymous_read: false}', { key: 'server.auth' });
      refuseUnknown(s.auth, 'server.auth', ['anonymous_read']);
      if (s.auth.anonymous_read !== undefined) {
        if (typeof s.auth.anonymous_read !== 'boolean') throw new ConfigError('server.auth.anonymous_read must be true or false', { key: 'server.auth.anonymous_read' });
        out.anonymousRead = s.auth.anonymous_read;
      }
    }
  }
  return out;
}

export function loadServerConfig(flags: ServerFlags): ServerConfig {
  let file: Partial<ServerConfig> = {};
  if (flags.config) {
    let text: string;
    try {
      text = readFileSync(flags.config, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${flags.config}: ${(err as Error).message}`);
    }
    file = parseServerYaml(text, flags.config);
  }
  return {
    ...DEFAULTS,
    ...file,
    datastore: flags.store ?? file.datastore ?? DEFAULT_STORE,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.port !== undefined ? { port: parsePort(flags.port, '--port') } : {}),
  };
}
