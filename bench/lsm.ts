/**
 * The lsm engine beside RocksDB and LMDB, same workload, same run:
 *
 *  1. engines (through the KvEngine interface the stores use): load N keys
 *     (default 1,000,000) of 1 KiB random values in random order, one
 *     awaited put each; then N/5 random overwrites; N/5 random gets; N/100
 *     range scans of 100 entries. ops/s and p99 latency of each; write
 *     amplification = bytes the process wrote (/proc/self/io wchar, every
 *     write(2): WAL, tables, compactions, value log) / bytes of keys and
 *     values put; space amplification = bytes on disk after the overwrites
 *     (engine closed) / bytes of the live keys and values.
 *  2. import: `govc repo import` of a generated repository (bench/pack-storage's
 *     history generator, 150,059 objects at its defaults) into lsm:// and rocksdb://.
 *
 * node dist/bench/lsm.js [--keys 1000000] [--engines lsm,rocksdb,lmdb] [--no-engines] [--no-import] [--commits 20000]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gitEnv } from '../support/git.js';
import { eachEntry } from '../src/datastore/stores/kv/iterate.js';
import { ENGINES } from './lsm/engines.js';
import { cached, generateHistory, packInfo } from './pack-storage/generate.js';
import { diskBytes } from './pack-storage/measure.js';
import { CLI } from '../support/govc.js';

const run = promisify(execFile);
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('keys', '1000000'));
const ENGINE_NAMES = process.argv.includes('--no-engines') ? [] : arg('engines', 'lsm,rocksdb,lmdb').split(',');
const COMMITS = Number(arg('commits', '20000'));
const VALUE = 1024;

const key = (i: number) => Buffer.from(`key${String(i).padStart(13, '0')}`);
const pool = randomBytes(4 * 1024 ** 2);
const value = (i: number) => pool.subarray((i * 977) % (pool.length - VALUE), ((i * 977) % (pool.length - VALUE)) + VALUE);

function shuffled(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function wchar(): number {
  return Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

interface Phase {
  opsPerSec: number;
  p99us: number;
}

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<Phase> {
  const lat = new Float64Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op(i);
    lat[i] = performance.now() - t;
  }
  const ms = performance.now() - start;
  lat.sort();
  return { opsPerSec: Math.round(n / (ms / 1000)), p99us: Math.round(lat[Math.floor(n * 0.99)]! * 1000) };
}

async function benchEngine(name: string) {
  const target = ENGINES[name]!;
  const dir = mkdtempSync(join(tmpdir(), `govc-bench-lsm-${name}-`));
  const engine = target.make(join(dir, 'db'));
  await engine.open();
  const order = shuffled(N);
  const w0 = wchar();
  const load = await timed(N, (i) => engine.batch([{ type: 'put', key: key(order[i]!), value: value(i) }]));
  const overwrites = Math.floor(N / 5);
  const rand = () => Math.floor(Math.random() * N);
  const overwrite = await timed(overwrites, (i) => engine.batch([{ type: 'put', key: key(rand()), value: value(i + 7) }]));
  const get = await timed(Math.floor(N / 5), async () => {
    if (!(await engine.get(key(rand())))) throw new Error(`${name}: a loaded key is missing`);
  });
  const scan = await timed(Math.floor(N / 100), async () => {
    let n = 0;
    for await (const e of eachEntry(engine, { gte: key(rand()), limit: 100 })) n += e.value.length > 0 ? 1 : 0;
    if (n === 0) throw new Error(`${name}: empty scan`);
  });
  await target.settle?.(engine);
  await engine.close();
  const written = wchar() - w0;
  const userBytes = (N + overwrites) * (16 + VALUE);
  const disk = diskBytes(join(dir, 'db'));
  rmSync(dir, { recursive: true, force: true });
  return { name: target.name, load, overwrite, get, scan, writeAmp: written / userBytes, spaceAmp: disk / (N * (16 + VALUE)), diskMiB: disk / 1024 ** 2 };
}

async function importInto(store: string, repo: string, env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(join(tmpdir(), `govc-bench-lsm-import-${store}-`));
  const uri = `${store}://${join(dir, 'db')}`;
  const start = performance.now();
  await run(process.execPath, [CLI, 'repo', 'import', repo, '--store', uri, '--name', 'repo'], { env: { ...process.env, HOME: env.HOME }, maxBuffer: 64 * 1024 ** 2 });
  const ms = performance.now() - start;
  const disk = diskBytes(join(dir, 'db'));
  rmSync(dir, { recursive: true, force: true });
  return { store, ms, diskMiB: disk / 1024 ** 2 };
}

const f = (n: number) => n.toLocaleString('en-US');
if (ENGINE_NAMES.length > 0) console.log(`engines: ${f(N)} keys of ${VALUE} B values (16 B keys), one awaited put/get per op; overwrites ${f(N / 5)}, gets ${f(N / 5)}, scans ${f(N / 100)} x 100`);
const results = [];
for (const name of ENGINE_NAMES) {
  const r = await benchEngine(name);
  results.push(r);
  console.log(
    `  ${r.name.padEnd(24)} load ${f(r.load.opsPerSec).padStart(7)}/s p99 ${f(r.load.p99us).padStart(6)} us | overwrite ${f(r.overwrite.opsPerSec).padStart(7)}/s p99 ${f(r.overwrite.p99us).padStart(6)} us | ` +
      `get ${f(r.get.opsPerSec).padStart(7)}/s p99 ${f(r.get.p99us).padStart(6)} us | scan100 ${f(r.scan.opsPerSec).padStart(6)}/s p99 ${f(r.scan.p99us).padStart(6)} us | ` +
      `write amp ${r.writeAmp.toFixed(2)} | space amp ${r.spaceAmp.toFixed(2)} (${r.diskMiB.toFixed(0)} MiB)`,
  );
}
const rocks = results.find((r) => r.name === 'rocksdb');
for (const r of results) {
  if (!rocks || r === rocks) continue;
  console.log(`  ${r.name} / rocksdb: load ${(r.load.opsPerSec / rocks.load.opsPerSec).toFixed(2)}x, get ${(r.get.opsPerSec / rocks.get.opsPerSec).toFixed(2)}x, scan ${(r.scan.opsPerSec / rocks.scan.opsPerSec).toFixed(2)}x`);
}

if (!process.argv.includes('--no-import')) {
  const work = mkdtempSync(join(tmpdir(), 'govc-bench-lsm-git-'));
  const env = gitEnv(work);
  const history = await cached(join(tmpdir(), 'govc-bench-pack-storage'), `history-c${COMMITS}-f400-v1`, env, (repo) => generateHistory(repo, env, { commits: COMMITS, files: 400 }));
  const info = packInfo(history.repo, env);
  console.log(`import: govc repo import of ${f(info.objects)} objects (${f(info.commits)} commits, pack ${(info.packBytes / 1024 ** 2).toFixed(1)} MiB)`);
  const imports = [];
  for (const store of ['lsm', 'rocksdb']) {
    const r = await importInto(store, history.repo, env);
    imports.push(r);
    console.log(`  ${store.padEnd(8)} ${(r.ms / 1000).toFixed(1)} s (${f(Math.round(info.objects / (r.ms / 1000)))} objects/s), ${r.diskMiB.toFixed(1)} MiB on disk`);
  }
  console.log(`  lsm / rocksdb import time: ${(imports[0]!.ms / imports[1]!.ms).toFixed(2)}x`);
  rmSync(work, { recursive: true, force: true });
}
