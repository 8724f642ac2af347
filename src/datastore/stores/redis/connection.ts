/** Opening standalone Redis or a Cluster with ioredis, with the scripts defined as commands. */
import { Cluster, Redis, type ChainableCommander, type RedisOptions } from 'ioredis';
import { ConfigError, ConnectionError } from '../../errors.js';
import { APPLY, DELETE_OBJECTS, LIST_REFS, PUT_OBJECTS } from './lua.js';
import type { RedisSettings } from './settings.js';

export type Client = Redis | Cluster;
/** What opening a connection needs (a cache tier has no store settings). */
export type ConnectionSettings = Pick<RedisSettings, 'url' | 'cluster' | 'seedNodes' | 'connectTimeoutMs'>;

/** The scripts, defined as commands (EVALSHA with a fallback to EVAL). */
export interface Scripts {
  govcApply(key: string, base: string, ops: string, streamMax: number, channel: string, objectChanges: string): Promise<string>;
  govcPutObjects(idsKey: string, bytesKey: string, base: string, ...triples: Array<string | Buffer>): Promise<string[]>;
  govcDeleteObjects(idsKey: string, bytesKey: string, base: string, ...ids: string[]): Promise<string[]>;
  govcListRefs(namesKey: string, refsKey: string, min: string | Buffer, max: string | Buffer, limit: number): Promise<string[]>;
}
export type ScriptedPipeline = ChainableCommander & { [K in keyof Scripts]: (...args: Parameters<Scripts[K]>) => ScriptedPipeline };

function defineScripts(client: Client): void {
  client.defineCommand('govcApply', { numberOfKeys: 1, lua: APPLY });
  client.defineCommand('govcPutObjects', { numberOfKeys: 2, lua: PUT_OBJECTS });
  client.defineCommand('govcDeleteObjects', { numberOfKeys: 2, lua: DELETE_OBJECTS });
  client.defineCommand('govcListRefs', { numberOfKeys: 2, lua: LIST_REFS });
}

export function describe(settings: ConnectionSettings): string {
  const u = new URL(settings.url);
  return `${settings.cluster ? 'redis cluster' : 'redis'} at ${u.host}`;
}

function baseOptions(settings: ConnectionSettings): RedisOptions {
  const u = new URL(settings.url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new ConfigError(`redis URI path must be a database number like /0; got ${u.pathname}`, { key: 'connection' });
  if (settings.cluster && db !== 0) throw new ConfigError('Redis Cluster has only database 0; drop the /<db> from the URI', { key: 'connection' });
  return {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    connectTimeout: settings.connectTimeoutMs,
    lazyConnect: true,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 3,
    // Reconnect soon and often: a command waits for at most 3 attempts, so a
    // server that is down fails calls within about a second and a half.
    retryStrategy: (times) => Math.min(times * 50, 500),
  };
}

export function makeClient(settings: ConnectionSettings): Client {
  const u = new URL(settings.url);
  const options = baseOptions(settings);
  let client: Client;
  if (settings.cluster) {
    const seeds = [{ host: u.hostname, port: Number(u.port || 6379) }, ...settings.seedNodes];
    const { db: _db, enableAutoPipelining, lazyConnect, ...redisOptions } = options;
    client = new Cluster(seeds, {
      redisOptions,
      lazyConnect,
      enableAutoPipelining,
      // While a master fails over, retry instead of failing at once.
      retryDelayOnClusterDown: 200,
      retryDelayOnFailover: 200,
      maxRedirections: 32,
      clusterRetryStrategy: (times) => (times > 20 ? null : Math.min(100 * times, 1000)),
    });
  } else {
    client = new Redis({ host: u.hostname, port: Number(u.port || 6379), ...options });
  }
  defineScripts(client);
  // Errors surface on the calls that fail; keep the emitter from throwing.
  client.on('error', () => undefined);
  return client;
}

export async function connect(client: Client, settings: ConnectionSettings): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${settings.connectTimeoutMs} ms`)), settings.connectTimeoutMs + 1000);
  });
  try {
    await Promise.race([client.connect(), timeout]);
    await Promise.race([client.ping(), timeout]);
  } catch (err) {
    client.disconnect();
    throw new ConnectionError(
      `cannot connect to ${describe(settings)}: ${(err as Error).message}. Check that the server is running (scripts/ensure-redis.sh installs it), the host, port and password in the URI${settings.cluster ? ', and that the node is part of a cluster' : ', and cluster=true if it is a Cluster'}`,
      { url: new URL(settings.url).host },
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
}
