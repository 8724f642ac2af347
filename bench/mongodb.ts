/**
 * The mongodb store on FerretDB beside the plain `mongodb` driver on the same
 * server, in one run; then import and clone of a generated repository.
 *
 *   npx tsc -p . && node dist/bench/mongodb.js [--ops 200] [--commits 300] [--files 40] [--pool 8]
 *
 * Baselines, each measured in the same run on the same FerretDB server:
 *  - put: putObject ÷ insertOne of {_id, data} into a plain collection
 *  - get: getObject ÷ findOne by _id
 *  - ref CAS: updateRefs with old/new ÷ findOneAndUpdate({_id, target: old}) —
 *    the plain loop is NOT a correct compare-and-swap on FerretDB under
 *    concurrency (lost updates); it is the cost floor, not an equivalent
 *  - transaction: store.transaction (an object and a ref) ÷ insertOne + findOneAndUpdate
 *    (FerretDB has no multi-document transactions; the store's come from its commit log)
 *  - import: `govc repo import` ÷ `git index-pack` of the same pack
 *  - clone: `git clone --bare` from `govc serve` ÷ from `git daemon`
 * Sequential loops (one operation at a time): latency, not throughput.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { createStore, hashObject } from '../src/datastore/index.js';
import { gitEnv } from '../support/git.js';
import { startFerretDB } from '../support/ferretdb-servers.js';
import { generateHistory, packInfo } from './pack-storage/generate.js';
import { gitDaemon, govcServe } from './pack-storage/servers.js';
import { CLI } from '../support/govc.js';

function num(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}
const OPS = num('ops', 200);
const COMMITS = num('commits', 300);
const FILES = num('files', 40);
const POOL = num('pool', 8);

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - start) / n;
}

function timedSync(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const rows: Array<[string, number, number]> = [];
const line = (name: string, govc: number, plain: number, unit = 'ms/op') => {
  rows.push([name, govc, plain]);
  console.log(`${name.padEnd(12)} govc ${govc.toFixed(2).padStart(9)} ${unit}   plain ${plain.toFixed(2).padStart(9)} ${unit}   ratio ${(govc / plain).toFixed(2)}x`);
};

const server = await startFerretDB();
const work = mkdtempSync(join(tmpdir(), 'govc-bench-mongodb-'));
try {
  const uri = (db: string) => `mongodb://127.0.0.1:${server.port}/${db}?pool_size=${POOL}`;
  const store = await createStore(uri('bench_store'));
  const client = new MongoClient(`mongodb://127.0.0.1:${server.port}/`, { maxPoolSize: POOL });
  await client.connect();
  const plain = client.db('bench_plain');
  const objects = plain.collection<{ _id: string; data: Buffer }>('objects');
  const refs = plain.collection<{ _id: string; target: string }>('refs');
  const blob = (tag: string, i: number) => Buffer.from(`${tag} object ${i} `.repeat(8));
  const id = (tag: string, i: number) => hashObject('blob', blob(tag, i));
  console.log(`FerretDB 1.24 on PostgreSQL, ${OPS} sequential operations each, pool ${POOL}`);

  // Warm-up, not timed: FerretDB creates a collection's PostgreSQL table at its first insert, and the store spreads
  // objects over 256 collections there, so a cold run would time table creation rather than puts.
  await timed(1024, (i) => store.putObject({ type: 'blob', data: blob('warm', i) }));
  await objects.insertOne({ _id: id('plain-warm', 0), data: blob('plain-warm', 0) });
  line('put', await timed(OPS, (i) => store.putObject({ type: 'blob', data: blob('govc', i) })), await timed(OPS, (i) => objects.insertOne({ _id: id('plain', i), data: blob('plain', i) })));
  line('get', await timed(OPS, (i) => store.getObject(id('govc', i))), await timed(OPS, (i) => objects.findOne({ _id: id('plain', i) })));

  const repo = (await store.createRepository({ name: 'bench' })).id;
  await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: id('govc', 0) }]);
  await refs.insertOne({ _id: 'refs/heads/main', target: id('plain', 0) });
  line(
    'ref CAS',
    await timed(OPS, (i) => store.updateRefs(repo, [{ name: 'refs/heads/main', old: id('govc', i), new: id('govc', i + 1) }])),
    await timed(OPS, async (i) => {
      const r = await refs.findOneAndUpdate({ _id: 'refs/heads/main', target: id('plain', i) }, { $set: { target: id('plain', i + 1) } });
      if (!r) throw new Error('plain CAS missed');
    }),
  );
  let tip = id('govc', OPS);
  line(
    'transaction',
    await timed(OPS, async (i) => {
      await store.transaction(async (tx) => {
        const next = await tx.putObject({ type: 'blob', data: blob('tx', i) });
        await tx.updateRefs(repo, [{ name: 'refs/heads/main', old: tip, new: next }]);
        tip = next;
      });
    }),
    await timed(OPS, async (i) => {
      await objects.insertOne({ _id: id('plain-tx', i), data: blob('plain-tx', i) });
      await refs.findOneAndUpdate({ _id: 'refs/heads/main' }, { $set: { target: id('plain-tx', i) } });
    }),
  );
  await store.close();
  await client.close();

  // Import and clone of a generated repository.
  const env = gitEnv(work);
  const source = join(work, 'source.git');
  await generateHistory(source, env, { commits: COMMITS, files: FILES });
  const info = packInfo(source, env);
  console.log(`repository: ${info.commits} commits, ${info.objects} objects, ${info.refs} refs, pack ${(info.packBytes / 1e6).toFixed(1)} MB`);
  const indexMs = timedSync(() => execFileSync('git', ['index-pack', '-o', join(work, 'check.idx'), info.packPath], { env }));
  const storeUri = uri('bench_git');
  const importMs = timedSync(() => execFileSync(process.execPath, [CLI, 'repo', 'import', source, '--store', storeUri, '--name', 'repo'], { env, stdio: 'ignore' }));
  line('import', importMs, indexMs, 'ms   ');
  const main = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: source, env }).toString().trim();
  const govc = await govcServe(storeUri, work);
  const daemonRoot = join(work, 'daemon');
  execFileSync('mkdir', ['-p', daemonRoot]);
  execFileSync('git', ['clone', '-q', '--bare', source, join(daemonRoot, 'repo.git')], { env });
  const daemon = await gitDaemon(daemonRoot, env);
  try {
    const clone = (url: string) => {
      const dest = join(work, `clone-${createHash('sha1').update(url + Math.random()).digest('hex').slice(0, 8)}.git`);
      const ms = timedSync(() => execFileSync('git', ['clone', '-q', '--bare', url, dest], { env }));
      const got = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: dest, env }).toString().trim();
      rmSync(dest, { recursive: true, force: true });
      if (got !== main) throw new Error(`clone from ${url} has main at ${got}, expected ${main}`);
      return ms;
    };
    line('clone', clone(govc.repoUrl('repo')), clone(`${daemon.url}/repo.git`), 'ms   ');
  } finally {
    await govc.stop();
    await daemon.stop();
  }
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
