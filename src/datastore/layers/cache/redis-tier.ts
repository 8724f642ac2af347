/**
 * A cache tier in Redis, shared by every process that names the same server
 * and prefix: generations live beside the values, so a write in one process
 * retires cached values for all. Values and generations are checked and set
 * in Lua, so a fill never lands after a bump it did not see.
 */
import { Redis } from 'ioredis';
import { ConnectionError } from '../../errors.js';
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

type Scripted = Redis & {
  cacheGetBuffer(genKey: string, valuePrefix: string, ...keys: string[]): Promise<Array<Buffer | null>>;
  cacheFill(genKey: string, ...args: Array<string | Buffer>): Promise<number>;
};

export interface RedisTierOptions {
  url: string;
  prefix: string;
  connectTimeoutMs: number;
  /** Retries of a command whose connection dropped. */
  maxRetries: number;
  /** Connections, used in turn (one pipelines every command; more spread large values). */
  poolSize: number;
}

export class RedisTier implements CacheTier {
  readonly type = 'redis';
  readonly shared = true;
  private readonly pool: Scripted[];
  private turn = 0;

  constructor(private readonly options: RedisTierOptions) {
    this.pool = Array.from({ length: options.poolSize }, () => {
      const client = new Redis(options.url, {
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

  private genKey(ns: string): string {
    return `${this.options.prefix}:g:${ns}`;
  }
  private valuePrefix(ns: string): string {
    return `${this.options.prefix}:v:${ns}#`;
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

  async get(ns: string, keys: string[]): Promise<TierRead> {
    try {
      const [gen, ...values] = await this.client.cacheGetBuffer(this.genKey(ns), this.valuePrefix(ns), ...keys);
      return { gen: String(gen), values: values.map((v) => v ?? undefined) };
    } catch (err) {
      this.fail(err, 'a read');
    }
  }

  async fill(ns: string, gen: string, entries: Array<[string, Buffer]>, ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.client.cacheFill(this.genKey(ns), gen, String(Math.ceil(ttlMs)), this.valuePrefix(ns), ...entries.flat());
    } catch (err) {
      this.fail(err, 'a fill');
    }
  }

  async bump(namespaces: Iterable<string>): Promise<void> {
    const pipeline = this.client.multi();
    let n = 0;
    for (const ns of namespaces) {
      pipeline.incr(this.genKey(ns));
      n++;
    }
    if (n === 0) return;
    try {
      await pipeline.exec();
    } catch (err) {
      this.fail(err, 'to retire cached values');
    }
  }

  async evictions(): Promise<number> {
    const info = await this.client.info('stats');
    return Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? 0);
  }

  async ping(): Promise<Record<string, unknown>> {
    const start = performance.now();
    await this.client.ping();
    return { type: this.type, prefix: this.options.prefix, latencyMs: performance.now() - start };
  }
}
