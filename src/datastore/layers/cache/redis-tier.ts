/**
 * A cache tier in Redis, standalone or Cluster, shared by every process that
 * names the same server and prefix: generations live beside the values, so a
 * write in one process retires cached values for all. Values and generations
 * are checked and set in Lua, so a fill never lands after a bump it did not
 * see. Each namespace is split into `shards` (1 on standalone Redis), each a
 * hash tag `{prefix:ns:shard}` with its own generation: a script only touches
 * keys of one slot, as a Cluster requires, and a namespace's values spread
 * over the Cluster's masters.
 */
import { Cluster, Redis } from 'ioredis';
import { ConnectionError } from '../../errors.js';
import { makeClient, type ConnectionSettings } from '../../stores/redis/connection.js';
import type { CacheTier, TierRead } from './tier.js';

const GET = `
local gen = redis.call('GET', KEYS[1]) or '0'
local out = {gen}
for i = 2, #ARGV do out[i] = redis.call('GET', ARGV[1] .. gen .. '#' .. ARGV[i]) end
return out`;

const FILL = `
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[2])
for i = 4, #ARGV, 2 do
  local key = ARGV[3] .. ARGV[1] .. '#' .. ARGV[i]
  if ttl > 0 then redis.call('SET', key, ARGV[i + 1], 'PX', ttl) else redis.call('SET', key, ARGV[i + 1]) end
end
return 1`;

type Scripted = (Redis | Cluster) & {
  cacheGetBuffer(genKey: string, valuePrefix: string, ...keys: string[]): Promise<Array<Buffer | null>>;
  cacheFill(genKey: string, ...args: Array<string | Buffer>): Promise<number>;
};

/** A key's shard: FNV-1a of its characters, modulo the shard count. */
function shardOf(key: string, shards: number): number {
  if (shards === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}

export interface RedisTierOptions {
  url: string;
  prefix: string;
  connectTimeoutMs: number;
  /** Retries of a command whose connection dropped. */
  maxRetries: number;
  /** Connections, used in turn (one pipelines every command; more spread large values). */
  poolSize: number;
  /** A Redis Cluster (url is one seed node, seedNodes the others). */
  cluster: boolean;
  seedNodes: ConnectionSettings['seedNodes'];
  /** Shards per namespace (see above). */
  shards: number;
}

export class RedisTier implements CacheTier {
  readonly type = 'redis';
  readonly shared = true;
  private readonly pool: Scripted[];
  private turn = 0;

  constructor(private readonly options: RedisTierOptions) {
    this.pool = Array.from({ length: options.poolSize }, () => {
      const client = options.cluster
        ? makeClient({ url: options.url, cluster: true, seedNodes: options.seedNodes, connectTimeoutMs: options.connectTimeoutMs })
        : new Redis(options.url, {
            lazyConnect: true,
            connectTimeout: options.connectTimeoutMs,
            maxRetriesPerRequest: options.maxRetries,
            retryStrategy: (times) => (times > 20 ? null : Math.min(times * 100, 1000)),
          });
      client.on('error', () => undefined);
      client.defineCommand('cacheGet', { numberOfKeys: 1, lua: GET });
      client.defineCommand('cacheFill', { numberOfKeys: 1, lua: FILL });
      return client as Scripted;
    });
  }

  private get client(): Scripted {
    this.turn = (this.turn + 1) % this.pool.length;
    return this.pool[this.turn];
  }

  private tag(ns: string, shard: number): string {
    return `{${this.options.prefix}:${ns}:${shard}}`;
  }
  private genKey(ns: string, shard: number): string {
    return `${this.tag(ns, shard)}:g`;
  }
  private valuePrefix(ns: string, shard: number): string {
    return `${this.tag(ns, shard)}:v:`;
  }

  /** Keys by shard, with each key's place in `keys`. */
  private byShard(keys: string[]): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const shard = shardOf(key, this.options.shards);
      if (!groups.has(shard)) groups.set(shard, []);
      groups.get(shard)!.push(i);
    });
    return groups;
  }

  private fail(err: unknown, doing: string): never {
    throw new ConnectionError(
      `redis cache at ${this.options.url.replace(/\/\/[^@/]*@/, '//***@')} failed ${doing}: ${(err as Error).message}; check that the server is running and reachable`,
      {},
      { cause: err },
    );
  }

  async open(): Promise<void> {
    try {
      await Promise.all(this.pool.map(async (client) => {
        await client.connect();
        await client.ping();
      }));
    } catch (err) {
      for (const client of this.pool) client.disconnect();
      this.fail(err, 'to connect');
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.pool.map((client) => client.quit().catch(() => client.disconnect())));
  }

  /** The generation of each shard read, as `shard=gen` pairs, which fill() parses. */
  async get(ns: string, keys: string[]): Promise<TierRead> {
    const values: Array<Buffer | undefined> = new Array(keys.length);
    const gens: string[] = [];
    try {
      await Promise.all(
        [...this.byShard(keys)].map(async ([shard, places]) => {
          const [gen, ...found] = await this.client.cacheGetBuffer(this.genKey(ns, shard), this.valuePrefix(ns, shard), ...places.map((i) => keys[i]));
          gens.push(`${shard}=${gen}`);
          places.forEach((i, j) => (values[i] = found[j] ?? undefined));
        }),
      );
    } catch (err) {
      this.fail(err, 'a read');
    }
    return { gen: gens.join(','), values };
  }

  async fill(ns: string, gen: string, entries: Array<[string, Buffer]>, ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const gens = new Map(gen.split(',').map((pair) => pair.split('=') as [string, string]).map(([shard, g]) => [Number(shard), g]));
    try {
      await Promise.all(
        [...this.byShard(entries.map(([key]) => key))].map(([shard, places]) => {
          const shardGen = gens.get(shard);
          // Not read in that get: nothing to check the fill against.
          if (shardGen === undefined) return undefined;
          return this.client.cacheFill(this.genKey(ns, shard), shardGen, String(Math.ceil(ttlMs)), this.valuePrefix(ns, shard), ...places.flatMap((i) => entries[i]));
        }),
      );
    } catch (err) {
      this.fail(err, 'a fill');
    }
  }

  /** Each shard's generation is its own key (its own slot on a Cluster): bumped one by one, not in one MULTI. */
  async bump(namespaces: Iterable<string>): Promise<void> {
    const keys = [...namespaces].flatMap((ns) => Array.from({ length: this.options.shards }, (_, shard) => this.genKey(ns, shard)));
    if (keys.length === 0) return;
    const client = this.client;
    try {
      await Promise.all(keys.map((key) => client.incr(key)));
    } catch (err) {
      this.fail(err, 'to retire cached values');
    }
  }

  async evictions(): Promise<number> {
    const client = this.client;
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    const infos = await Promise.all(nodes.map((node) => node.info('stats')));
    return infos.reduce((sum, info) => sum + Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? 0), 0);
  }

  async ping(): Promise<Record<string, unknown>> {
    const start = performance.now();
    await this.client.ping();
    return { type: this.type, cluster: this.options.cluster, prefix: this.options.prefix, latencyMs: performance.now() - start };
  }
}
