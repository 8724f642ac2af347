/**
 * The raw Redis baseline of `govc datastore bench`: the same work as each
 * bench op (same counts, same blob sizes, the same key layout as the redis
 * store: objects in 256 hash-tagged shards with a lex id index each, refs in
 * a hash, events in lex-ordered indexes) written as plain pipelined ioredis
 * commands with no DataStore in between. Where Redis needs a script to be
 * correct (compare-and-swap), it uses the smallest one. The ratio of the
 * store's figures to these is the cost of our layer (validation, records,
 * the undo-logging write script, replica WAITs when asked), not of Redis.
 *
 * Standalone or Cluster as the store URI says (`?cluster=true`); all keys go
 * under a random prefix that is removed afterwards (SCAN per master, never KEYS).
 */
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { BlobSource } from '../../src/bench/blobs.js';
import { BATCH_SIZE, LIST_PAGE, opCounts, type BenchOp } from '../../src/bench/ops.js';
import { Timings } from '../../src/bench/timings.js';
import { type BaselineResult, gitBlobId, shuffled } from './common.js';

export interface RedisBaselineOptions {
  objects: number;
  size: number;
  /** redis://host:port (standalone) or a cluster seed with ?cluster=true. */
  url?: string;
  /** The store URI, as bench/compare.ts passes it; only its host, port, password and `cluster` are used. */
  connection?: string;
}

type Client = Redis | Cluster;

const QUERY_REPOSITORIES = 100;
const ACTIONS = ['push', 'fetch', 'clone', 'settings'];
const SHARDS = 256;

/** if HGET == old (or absent when old is '') then HSET; returns 1 on success. */
const CAS = `
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if cur ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** CAS as above, then the event: its record and its indexes. ARGV[4] = member, ARGV[5] = json, ARGV[6] = base. */
const CAS_AND_EVENT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if cur ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', ARGV[6] .. 'event-data', ARGV[4], ARGV[5])
redis.call('ZADD', ARGV[6] .. 'events', 0, ARGV[4])
redis.call('ZADD', ARGV[6] .. 'events:action:push', 0, ARGV[4])
redis.call('ZADD', ARGV[6] .. 'events:repo:' .. ARGV[7], 0, ARGV[4])
return 1`;

interface Scripted {
  rawCas(key: string, field: string, old: string, next: string): Promise<number>;
  rawCasEvent(key: string, field: string, old: string, next: string, member: string, json: string, base: string, repo: string): Promise<number>;
}

function fail(message: string): never {
  throw new Error(`redis raw baseline: ${message}`);
}

function connect(options: RedisBaselineOptions): Client {
  const given = options.url ?? options.connection ?? fail('needs url (redis://host:port)');
  const u = new URL(given);
  const cluster = u.searchParams.get('cluster') === 'true';
  const auth = { username: u.username ? decodeURIComponent(u.username) : undefined, password: u.password ? decodeURIComponent(u.password) : undefined };
  const tls = u.protocol === 'rediss:' ? {} : undefined;
  const client: Client = cluster
    ? new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], { enableAutoPipelining: true, redisOptions: { ...auth, tls } })
    : new Redis({ host: u.hostname, port: Number(u.port || 6379), ...auth, tls, enableAutoPipelining: true });
  client.defineCommand('rawCas', { numberOfKeys: 1, lua: CAS });
  client.defineCommand('rawCasEvent', { numberOfKeys: 1, lua: CAS_AND_EVENT });
  client.on('error', () => undefined);
  return client;
}

/** Removes every key under the prefix: SCAN + UNLINK on each master. */
async function removeKeys(client: Client, prefix: string): Promise<void> {
  const masters = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of masters) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      await Promise.all(keys.map((k) => node.unlink(k)));
      cursor = next;
    } while (cursor !== '0');
  }
}

export async function runRedisBaseline(options: RedisBaselineOptions): Promise<BaselineResult[]> {
  const prefix = `govc-raw-${randomBytes(4).toString('hex')}`;
  const client = connect(options);
  try {
    return await runPhases(client, prefix, options);
  } finally {
    await removeKeys(client, prefix).catch(() => undefined);
    await client.quit().catch(() => client.disconnect());
  }
}

async function runPhases(client: Client, prefix: string, options: RedisBaselineOptions): Promise<BaselineResult[]> {
  const counts = opCounts(options.objects);
  const blobs = new BlobSource(options.size);
  const scripts = client as unknown as Scripted;
  const results: BaselineResult[] = [];
  const measure = async (op: BenchOp, body: (t: Timings) => Promise<void>) => {
    const t = new Timings(counts[op]);
    await body(t);
    const s = t.summary();
    results.push({ op, opsPerSec: s.opsPerSec, p50Ms: s.p50Ms, p99Ms: s.p99Ms });
  };
  const base = `{${prefix}}:`;
  const shardBase = (shard: number) => `{${prefix}:o:${shard.toString(16).padStart(2, '0')}}:`;
  const objectKey = (id: string) => shardBase(parseInt(id.slice(0, 2), 16)) + id;
  const idsKey = (id: string) => `${shardBase(parseInt(id.slice(0, 2), 16))}ids`;
  const typed = (data: Buffer) => Buffer.concat([Buffer.from('b'), data]);
  /** SET NX and the id index, pipelined (auto-pipelining sends both in one round trip). */
  const putOne = async (data: Buffer): Promise<string> => {
    const id = gitBlobId(data);
    await Promise.all([client.set(objectKey(id), typed(data), 'NX'), client.zadd(idsKey(id), 0, id)]);
    return id;
  };

  const ids: string[] = [];
  await measure('put', async (t) => {
    for (let i = 0; i < counts.put; i++) {
      const data = blobs.next();
      ids.push(await t.time(() => putOne(data)));
    }
  });

  await measure('get', async (t) => {
    for (const i of shuffled(ids.length)) {
      const value = await t.time(() => client.getBuffer(objectKey(ids[i])));
      if (!value || value.byteLength !== options.size + 1) fail(`get of ${ids[i]} did not return its blob`);
    }
  });

  await measure('has', async (t) => {
    for (const i of shuffled(ids.length)) {
      if ((await t.time(() => client.exists(objectKey(ids[i])))) !== 1) fail(`has of ${ids[i]} said no`);
    }
  });

  await measure('batch_put_1000', async (t) => {
    for (let i = 0; i < counts.batch_put_1000; i++) {
      const batch = Array.from({ length: BATCH_SIZE }, () => blobs.next());
      const stored = await t.time(() => Promise.all(batch.map(putOne)));
      if (stored.length !== BATCH_SIZE) fail('batch put lost objects');
    }
  });

  await measure('list', async (t) => {
    let after: string | undefined;
    for (let i = 0; i < counts.list; i++) {
      const page = await t.time(async () => {
        // Shards in id order, a few per round trip, until a page (plus one) is full.
        const out: string[] = [];
        const min = after === undefined ? '-' : `(${after}`;
        for (let s = after === undefined ? 0 : parseInt(after.slice(0, 2), 16); s < SHARDS && out.length <= LIST_PAGE; s += 8) {
          const shards = Array.from({ length: Math.min(8, SHARDS - s) }, (_, k) => s + k);
          const pages = await Promise.all(shards.map((n) => client.zrangebylex(`${shardBase(n)}ids`, min, '+', 'LIMIT', 0, LIST_PAGE + 1 - out.length)));
          for (const p of pages) for (const id of p) if (out.length <= LIST_PAGE) out.push(id);
        }
        return out;
      });
      if (page.length === 0) fail('list returned nothing');
      after = page.length > LIST_PAGE ? page[LIST_PAGE - 1] : undefined;
    }
  });

  await measure('ref_cas', async (t) => {
    const refs = `${base}refs:cas`;
    let current = '';
    for (let i = 0; i < counts.ref_cas; i++) {
      const next = `d:${ids[(i + 1) % ids.length]}`;
      const old = current;
      if ((await t.time(() => scripts.rawCas(refs, 'refs/heads/main', old, next))) !== 1) fail('compare-and-swap lost');
      current = next;
    }
  });

  let seq = 0;
  const member = () => `${Date.now().toString(16).padStart(14, '0')}${(seq++).toString(16).padStart(12, '0')}`;

  await measure('metadata_query', async (t) => {
    const repositories = Array.from({ length: QUERY_REPOSITORIES }, () => randomBytes(16).toString('hex'));
    let pending: Array<Promise<unknown>> = [];
    for (let e = 0; e < counts.metadata_query; e++) {
      const m = member();
      const action = ACTIONS[e % ACTIONS.length];
      const repo = repositories[e % repositories.length];
      const json = JSON.stringify({ id: m, action, repositoryId: repo, resource: 'refs/heads/main', details: {} });
      pending.push(client.hset(`${base}event-data`, m, json), client.zadd(`${base}events:repo:${repo}`, 0, m), client.zadd(`${base}events:action:${action}`, 0, m));
      if (pending.length >= 3000) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    for (let i = 0; i < counts.metadata_query; i++) {
      const repo = repositories[Math.floor(Math.random() * repositories.length)];
      const events = await t.time(async () => {
        // Newest first in the repository's index, keeping push events, until 21.
        const out: Array<{ action: string; repositoryId: string }> = [];
        let max = '+';
        for (;;) {
          const members = await client.zrevrangebylex(`${base}events:repo:${repo}`, max, '-', 'LIMIT', 0, 500);
          if (members.length === 0) return out;
          for (const json of await client.hmget(`${base}event-data`, ...members)) {
            const e = JSON.parse(json!) as { action: string; repositoryId: string };
            if (e.action === 'push' && out.push(e) >= 21) return out;
          }
          if (members.length < 500) return out;
          max = `(${members[members.length - 1]}`;
        }
      });
      if (events.some((e) => e.repositoryId !== repo || e.action !== 'push')) fail('metadata query returned events outside its filter');
    }
  });

  await measure('transaction', async (t) => {
    const refs = `${base}refs:tx`;
    const repo = randomBytes(16).toString('hex');
    let current = '';
    for (let i = 0; i < counts.transaction; i++) {
      const data = blobs.next();
      const old = current;
      current = await t.time(async () => {
        const id = await putOne(data);
        const next = `d:${id}`;
        const m = member();
        const json = JSON.stringify({ id: m, action: 'push', repositoryId: repo, resource: 'refs/heads/main', details: {} });
        if ((await scripts.rawCasEvent(refs, 'refs/heads/main', old, next, m, json, base, repo)) !== 1) fail('transaction compare-and-swap lost');
        return next;
      });
    }
  });

  return results;
}
