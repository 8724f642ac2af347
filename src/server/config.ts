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
 *     tmp_dir: /var/tmp/govc
 *     timeouts: {headers: 10s, idle: 60s, request: 1h, keep_alive: 5s}
 *     max_connections: 512
 *     limits: {max_pack_size: 2GB, max_json_body: 1MB, ...}     (see limits.ts)
 *     expose: {health: admin, metrics: admin}
 *     ssh: {enabled: true, port: 2222, host_key: ./data/ssh_host_ed25519_key}  (see ssh/config.ts)
 *     pack_cache: {enabled: true, max_age: 5m, max_size: 1GB}              (see pack-cache-config.ts)
 *     clone_lists: {enabled: true, max_size: 256MB}                        (see clone-lists-config.ts)
 *     workers: {threads: <cores>, per_thread: 4, queue: 64, retry_after: 5s} (see engine-pool/config.ts)
 */
import { parse as parseYaml } from 'yaml';
import { parseStoreConfig, readConfigText, type StoreConfig } from '../datastore/config.js';
import { ConfigError } from '../datastore/errors.js';
import { OptionReader } from '../datastore/options.js';
import { DEFAULT_LIMITS, parseLimits, type ServerLimits } from './limits.js';
import { DEFAULT_SSH, parseSshConfig, type SshConfig } from './ssh/config.js';
import { defaultTmpRoot } from './tmp-dirs.js';
import { DEFAULT_PACK_CACHE, parsePackCache, type PackCacheConfig } from './pack-cache-config.js';
import { DEFAULT_CLONE_LISTS, parseCloneLists, type CloneListsConfig } from './clone-lists-config.js';
import { DEFAULT_WORKERS, parseWorkers, parseWorkerThreads, type WorkersConfig } from './engine-pool/config.js';

export interface ServerConfig {
  /** A store URI or a parsed `datastore:` block. */
  datastore: string | StoreConfig;
  host: string;
  port: number;
  /** Public repositories may be read without credentials. */
  anonymousRead: boolean;
  /** How long in-flight requests may run after SIGINT/SIGTERM before they are cut. */
  shutdownTimeoutMs: number;
  /** Where pushes are received before they are accepted; each server process keeps its own directory inside. */
  tmpDir: string;
  timeouts: ServerTimeouts;
  /** Open connections at most; at the cap a new one closes the oldest that has not sent a request yet. */
  maxConnections: number;
  limits: ServerLimits;
  /** Who sees /api/v1/health's store details and who may read /metrics. */
  expose: { health: Audience; metrics: Audience };
  /** Git over SSH beside HTTP (off unless enabled). */
  ssh: SshConfig;
  /** Packs made for clones, kept for identical clones. */
  packCache: PackCacheConfig;
  /** Object lists of clones, kept so that the next clone need not walk. */
  cloneLists: CloneListsConfig;
  /** The worker threads that run clones and pushes off the main event loop. */
  workers: WorkersConfig;
}

/** Who may see something: server administrators, any signed-in user, or anyone at all. */
export type Audience = 'admin' | 'authenticated' | 'anyone';
export const AUDIENCES: readonly Audience[] = ['admin', 'authenticated', 'anyone'];

/** Milliseconds. Timeouts count silence, not total time, except `requestMs`, which is deliberately generous. */
export interface ServerTimeouts {
  /** A request's headers must arrive within this from its first byte (or from the connection's start). */
  headersMs: number;
  /** A request body that sends no byte for this long while the server waits for it, or a response the client does not read for this long, is cut. */
  idleMs: number;
  /** The whole request (headers and body) must arrive within this; covers a 2 GiB push at about 5 Mbit/s. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<ServerTimeouts> = Object.freeze({
  headersMs: 10_000,
  idleMs: 60_000,
  requestMs: 3_600_000,
  keepAliveMs: 5_000,
});

export interface ServerFlags {
  config?: string;
  store?: string;
  host?: string;
  port?: string | number;
  /** `--workers N`: engine threads (0: git on the main loop). */
  workers?: string | number;
}

export const DEFAULTS: Omit<ServerConfig, 'datastore'> = {
  host: '127.0.0.1',
  port: 8080,
  anonymousRead: true,
  shutdownTimeoutMs: 30000,
  tmpDir: defaultTmpRoot(),
  timeouts: DEFAULT_TIMEOUTS,
  maxConnections: 512,
  limits: DEFAULT_LIMITS,
  expose: { health: 'admin', metrics: 'admin' },
  ssh: DEFAULT_SSH,
  packCache: DEFAULT_PACK_CACHE,
  cloneLists: DEFAULT_CLONE_LISTS,
  workers: DEFAULT_WORKERS,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refuseUnknown(block: Record<string, unknown>, where: string, allowed: string[]): void {
  for (const key of Object.keys(block)) {
    if (!allowed.includes(key)) throw new ConfigError(`unknown key ${where}.${key}; expected one of ${allowed.join(', ')}`, { key: `${where}.${key}` });
  }
}

function parsePort(value: unknown, where: string): number {
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
    refuseUnknown(s, 'server', ['host', 'port', 'auth', 'shutdown_timeout_ms', 'tmp_dir', 'timeouts', 'max_connections', 'limits', 'expose', 'ssh', 'pack_cache', 'clone_lists', 'workers']);
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
    if (s.tmp_dir !== undefined) {
      if (typeof s.tmp_dir !== 'string' || s.tmp_dir === '') throw new ConfigError('server.tmp_dir must be a directory path', { key: 'server.tmp_dir' });
      out.tmpDir = s.tmp_dir;
    }
    if (s.timeouts !== undefined) out.timeouts = parseTimeouts(mapping(s.timeouts, 'server.timeouts', '{headers: 10s, idle: 60s}'));
    if (s.max_connections !== undefined) {
      out.maxConnections = new OptionReader('server', { max_connections: s.max_connections }).int('max_connections', 0, 1);
    }
    if (s.limits !== undefined) out.limits = parseLimits(mapping(s.limits, 'server.limits', '{max_pack_size: 2GB}'));
    if (s.expose !== undefined) out.expose = parseExpose(mapping(s.expose, 'server.expose', '{health: admin, metrics: anyone}'));
    if (s.ssh !== undefined) out.ssh = parseSshConfig(s.ssh);
    if (s.workers !== undefined) out.workers = parseWorkers(mapping(s.workers, 'server.workers', '{threads: 4, per_thread: 4, queue: 64, retry_after: 5s}'));
    if (s.pack_cache !== undefined) out.packCache = parsePackCache(mapping(s.pack_cache, 'server.pack_cache', '{enabled: true, max_age: 5m, max_size: 1GB}'));
    if (s.clone_lists !== undefined) out.cloneLists = parseCloneLists(mapping(s.clone_lists, 'server.clone_lists', '{enabled: true, max_size: 256MB}'));
  }
  return out;
}

function mapping(value: unknown, where: string, example: string): Record<string, unknown> {
  if (!isRecord(value)) throw new ConfigError(`${where} must be a mapping, e.g. ${example}`, { key: where });
  return value;
}

function parseTimeouts(block: Record<string, unknown>): ServerTimeouts {
  const reader = new OptionReader('server.timeouts', block);
  const positive = (key: string, fallback: number) => {
    const ms = reader.durationMs(key, fallback);
    if (ms < 1) throw new ConfigError(`server.timeouts.${key} must be a positive duration such as 10s; a timeout of 0 would never fire`, { key: `server.timeouts.${key}` });
    return Math.round(ms);
  };
  const timeouts: ServerTimeouts = {
    headersMs: positive('headers', DEFAULT_TIMEOUTS.headersMs),
    idleMs: positive('idle', DEFAULT_TIMEOUTS.idleMs),
    requestMs: positive('request', DEFAULT_TIMEOUTS.requestMs),
    keepAliveMs: positive('keep_alive', DEFAULT_TIMEOUTS.keepAliveMs),
  };
  reader.done();
  // node:http refuses a request timeout shorter than the headers timeout.
  if (timeouts.requestMs < timeouts.headersMs) throw new ConfigError('server.timeouts.request must not be shorter than server.timeouts.headers', { key: 'server.timeouts.request' });
  return timeouts;
}

function parseExpose(block: Record<string, unknown>): ServerConfig['expose'] {
  const reader = new OptionReader('server.expose', block);
  const expose = {
    health: reader.string<Audience>('health', DEFAULTS.expose.health, AUDIENCES),
    metrics: reader.string<Audience>('metrics', DEFAULTS.expose.metrics, AUDIENCES),
  };
  reader.done();
  return expose;
}

/** The config file `serve` (and every command's -c) reads: its datastore: and server: blocks. */
export function readServerConfigFile(path: string): Partial<ServerConfig> {
  return parseServerYaml(readConfigText(path), path);
}

/** The defaults, then the file's server: block, then --host/--port/--workers; the store is chosen by the caller (src/cli/store-option.ts). */
export function loadServerConfig(file: Partial<ServerConfig>, datastore: string | StoreConfig, flags: Pick<ServerFlags, 'host' | 'port' | 'workers'>): ServerConfig {
  const workers = file.workers ?? DEFAULTS.workers;
  return {
    ...DEFAULTS,
    ...file,
    datastore,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.port !== undefined ? { port: parsePort(flags.port, '--port') } : {}),
    ...(flags.workers !== undefined ? { workers: { ...workers, threads: parseWorkerThreads(flags.workers, '--workers') } } : {}),
  };
}
