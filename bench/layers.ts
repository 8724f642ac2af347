/**
 * Issue 12's figures, each beside the bare store in the same run:
 *
 *   npx tsc -p . && node dist/bench/layers.js [--ops 1000] [--rounds 5] [--commits 3000] [--files 200] [--runs 5]
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/test] [--skip-clone]
 *
 *  1. get latency through a cache, cold (a fresh store: every read a miss)
 *     and warm (the same reads again), in memory and in Redis, over
 *     PostgreSQL: object entries, repositories by name and config values.
 *  2. put and get through compression (brotli 5, threshold 512; 2 KB JSON
 *     config values) and encryption (AES-256-GCM; objects and config
 *     values), over SQLite.
 *  3. `git clone --bare` from `govc serve` on the plan's production hybrid
 *     (objects RocksDB, metadata PostgreSQL, cache Redis; and with the cache
 *     holding no objects) and on PostgreSQL alone, the same generated repository (bench/pack-storage/generate.ts)
 *     imported into each; interleaved runs, medians.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type DataStore } from '../src/datastore/index.js';
import { gitEnv } from '../support/git.js';
import { startStandaloneRedis } from '../support/redis-servers.js';
import { cached, generateHistory } from './pack-storage/generate.js';
import { postgresQuery } from './pack-storage/measure.js';
import { govcServe } from './pack-storage/servers.js';
import { CLI } from '../support/govc.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const OPS = Number(opt('ops', '1000'));
const COMMITS = Number(opt('commits', '3000'));
const FILES = Number(opt('files', '200'));
const RUNS = Number(opt('runs', '5'));
const ROUNDS = Number(opt('rounds', '5'));
const PG = opt('postgres-url', 'postgres://postgres@127.0.0.1:5432/test');
const tag = `bench_layers_${process.pid}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

/** Mean ms per call of fn over `items`, one at a time. */
async function perOp<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (const item of items) await fn(item);
  return (performance.now() - start) / items.length;
}

const pgUri = (schema: string) => `${PG}?schema=${schema}&pool_size=4`;

interface Row {
  what: string;
  bare: number;
  layered: Record<string, number>;
}
const rows: Row[] = [];

async function cacheFigures(redisUrl: string): Promise<void> {
  const schema = `${tag}_cache`;
  const bare = await createStore(pgUri(schema));
  const ids: string[] = [];
  for (let i = 0; i < OPS; i++) ids.push(await bare.putObject({ type: 'blob', data: randomBytes(800) }));
  const names: string[] = [];
  for (let i = 0; i < Math.min(OPS, 500); i++) names.push((await bare.createRepository({ name: `cache-${i}` })).name);
  for (let i = 0; i < OPS; i++) await bare.setConfig(`bench.${i}`, `value ${i}`);
  const keys = Array.from({ length: OPS }, (_, i) => `bench.${i}`);
  const reads: Array<[string, (s: DataStore) => Promise<number>]> = [
    ['object get (800 B blob)', (s) => perOp(ids, (id) => s.getObject(id))],
    ['repository by name', (s) => perOp(names, (n) => s.getRepositoryByName(n))],
    ['config get', (s) => perOp(keys, (k) => s.getConfig(k))],
  ];
  // A fresh prefix per round: every round's first pass is cold.
  const tiers: Record<string, (round: number) => string> = {
    memory: () => `${pgUri(schema)}&cache.type=memory&cache.size=256MB&cache.ttl=10s`,
    redis: (round) => `${pgUri(schema)}&cache.type=redis&cache.connection=${encodeURIComponent(redisUrl)}&cache.prefix=${tag}-${round}`,
  };
  for (const [what, read] of reads) {
    await read(bare); // the server's own caches warm for the bare figure too
    const samples: Record<string, number[]> = { bare: [] };
    for (let round = 0; round < ROUNDS; round++) {
      samples.bare.push(await read(bare));
      for (const [tier, uri] of Object.entries(tiers)) {
        const store = await createStore(uri(round));
        (samples[`${tier} cold`] ??= []).push(await read(store));
        (samples[`${tier} warm`] ??= []).push(await read(store));
        await store.close();
      }
    }
    const { bare: b, ...layered } = samples;
    rows.push({ what, bare: median(b), layered: Object.fromEntries(Object.entries(layered).map(([k, v]) => [k, median(v)])) });
  }
  await bare.close();
  await postgresQuery(PG, `DROP SCHEMA ${schema} CASCADE`);
}

async function valueFigures(root: string): Promise<void> {
  const keyFile = join(root, 'key');
  writeFileSync(keyFile, randomBytes(32).toString('base64'));
  const value = (i: number) => JSON.stringify(Array.from({ length: 40 }, (_, j) => ({ id: i * 100 + j, path: `src/module-${j % 7}/file-${j}.ts`, ok: j % 3 === 0 })));
  const configs: Record<string, string> = {
    bare: `sqlite://${join(root, 'bare.db')}`,
    brotli: `sqlite://${join(root, 'brotli.db')}?compression.type=brotli&compression.level=5&compression.threshold=512`,
    gzip: `sqlite://${join(root, 'gzip.db')}?compression.type=gzip&compression.threshold=512`,
    encryption: `sqlite://${join(root, 'enc.db')}?encryption.type=aes-256-gcm&encryption.key_file=${keyFile}`,
  };
  const samples: Record<string, Record<string, number[]>> = {};
  const blobs = Array.from({ length: OPS }, () => randomBytes(2000));
  const stores = Object.fromEntries(await Promise.all(Object.entries(configs).map(async ([name, uri]) => [name, await createStore(uri)] as const)));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, s] of Object.entries(stores)) {
      const ids: string[] = [];
      const r = (samples[name] ??= {});
      const at = (i: number) => `v.${round}.${i}`;
      (r['config put (2 KB JSON)'] ??= []).push(await perOp([...Array(OPS).keys()], (i) => s.setConfig(at(i), value(i))));
      (r['config get (2 KB JSON)'] ??= []).push(await perOp([...Array(OPS).keys()], (i) => s.getConfig(at(i))));
      // New objects each round (a put of a stored object is a no-op).
      const roundBlobs = blobs.map((b) => Buffer.concat([b, Buffer.from([round])]));
      (r['object put (2 KB)'] ??= []).push(await perOp(roundBlobs, async (b) => ids.push(await s.putObject({ type: 'blob', data: b }))));
      (r['object get (2 KB)'] ??= []).push(await perOp(ids, (id) => s.getObject(id)));
    }
  }
  for (const s of Object.values(stores)) await s.close();
  const results = Object.fromEntries(Object.entries(samples).map(([name, r]) => [name, Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)]))]));
  for (const what of Object.keys(results.bare)) {
    const layered: Record<string, number> = {};
    for (const name of ['brotli', 'gzip', 'encryption']) if (!(name !== 'encryption' && what.startsWith('object'))) layered[name] = results[name][what];
    rows.push({ what, bare: results.bare[what], layered });
  }
}

/** The plan's production hybrid: objects in RocksDB, metadata in PostgreSQL schema `<tag>_<name>`, a Redis cache. */
function productionHybrid(root: string, name: string, redisUrl: string, extra: Record<string, string> = {}): string {
  return `hybrid://?${new URLSearchParams({
    objects: `rocksdb://${join(root, `objects-${name}`)}`,
    metadata: pgUri(`${tag}_${name}`),
    'cache.type': 'redis',
    'cache.connection': redisUrl,
    'cache.prefix': `${tag}-${name}`,
    ...extra,
  })}`;
}

async function cloneFigures(root: string, redisUrl: string): Promise<string[]> {
  const env = gitEnv(root);
  const history = await cached(join(tmpdir(), 'govc-bench-pack-storage'), `history-c${COMMITS}-f${FILES}-v1`, env, (repo) => generateHistory(repo, env, { commits: COMMITS, files: FILES }));
  const objects = execFileSync('git', ['count-objects', '-v'], { cwd: history.repo, env }).toString();
  const stores: Record<string, string> = {
    'postgres alone': pgUri(`${tag}_alone`),
    'hybrid rocksdb + postgres + redis cache': productionHybrid(root, 'meta', redisUrl),
    // The same, caching refs and metadata only: the objects store is local and faster than a Redis round trip.
    'hybrid, cache.objects=false': productionHybrid(root, 'meta2', redisUrl, { 'cache.objects': 'false' }),
  };
  const servers: Record<string, Awaited<ReturnType<typeof govcServe>>> = {};
  const times: Record<string, number[]> = {};
  try {
    for (const [name, uri] of Object.entries(stores)) {
      const start = performance.now();
      execFileSync(process.execPath, [CLI, 'repo', 'import', history.repo, '--store', uri, '--name', 'repo'], { stdio: 'ignore' });
      process.stderr.write(`imported into ${name} in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
      servers[name] = await govcServe(uri, root);
      times[name] = [];
    }
    for (let run = 0; run < RUNS; run++) {
      for (const name of Object.keys(stores)) {
        const dest = join(root, 'clone.git');
        rmSync(dest, { recursive: true, force: true });
        const start = performance.now();
        execFileSync('git', ['clone', '-q', '--bare', servers[name].repoUrl('repo'), dest], { env });
        times[name].push(performance.now() - start);
      }
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    for (const schema of ['alone', 'meta', 'meta2']) await postgresQuery(PG, `DROP SCHEMA IF EXISTS ${tag}_${schema} CASCADE`).catch(() => undefined);
  }
  const base = median(times['postgres alone']);
  return [
    `repository: ${COMMITS} commits, ${/in-pack: (\d+)/.exec(objects)?.[1]} objects`,
    ...Object.entries(times).map(([name, t]) => `  git clone --bare from govc serve on ${name}: median ${(median(t) / 1000).toFixed(2)} s of ${t.map((x) => (x / 1000).toFixed(2)).join(', ')} (${(median(t) / base).toFixed(2)} × postgres alone)`),
  ];
}

const root = mkdtempSync(join(tmpdir(), 'govc-bench-layers-'));
const redis = await startStandaloneRedis(['--maxmemory', '512mb', '--maxmemory-policy', 'allkeys-lru']);
try {
  await cacheFigures(redis.url);
  await valueFigures(root);
  const clone = args.includes('--skip-clone') ? [] : await cloneFigures(root, redis.url);
  console.log(`issue 12 layers bench: mean per op over ${OPS} ops, median of ${ROUNDS} interleaved rounds; ratio to the bare store in the same run`);
  for (const row of rows) {
    const parts = Object.entries(row.layered).map(([k, v]) => `${k} ${us(v)} (${(v / row.bare).toFixed(2)}×)`);
    console.log(`  ${row.what}: bare ${us(row.bare)}; ${parts.join('; ')}`);
  }
  for (const line of clone) console.log(line);
} finally {
  await redis.stop();
  rmSync(root, { recursive: true, force: true });
}
