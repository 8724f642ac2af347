/**
 * Issue 21, "Serve many clients at once": concurrent clones from
 * `govc serve` beside `git daemon`, in one run.
 *
 *   npx tsc -p . && node dist/bench/concurrency.js [--stores sqlite,postgres] [--commits 15000] [--files 400]
 *     [--levels 1,2,4,10,20] [--workers N] [--main-loop] [--keep] [--postgres-url postgres://postgres@127.0.0.1:5432/test]
 *
 * The repository is bench/pack-storage's generated history (shared cache in
 * $TMPDIR/govc-bench-pack-storage), imported with `govc repo import` into
 * each store. For each store and each level N: the wall time of N
 * `git clone --bare` started at once, from `git daemon` and from
 * `govc serve` with the clone pack cache off (every clone walks and packs:
 * the engine) and on (the default: identical clones share one pack), each
 * server warmed by one clone first; and, during the largest level, the
 * latencies of GET /api/v1/health sent one after another every 10 ms (p50,
 * p99, max); during git daemon's largest level, the same requests go to an
 * idle node:http server in its own process (the control: what the machine's
 * load alone costs a request). `--main-loop` adds a row with server.workers.threads 0 (git on
 * the main event loop, as before the engine pool); `--workers` sets the
 * threads of the other rows (default: one per core).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from '../support/git.js';
import { CLI } from '../support/govc.js';
import { arg, flag, num } from './pack-storage/args.js';
import { cached, generateHistory, packInfo } from './pack-storage/generate.js';
import { postgresQuery } from './pack-storage/measure.js';
import { gitDaemon, govcServe } from './pack-storage/servers.js';

type StoreKind = 'sqlite' | 'postgres';
const STORES: StoreKind[] = ['sqlite', 'postgres'];

const OPTS = {
  commits: num('commits', 15_000, 10),
  files: num('files', 400, 2),
  levels: arg('levels', '1,2,4,10,20').split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--levels takes clone counts like 1,2,4,10,20; got ${s}`);
    return n;
  }),
  stores: arg('stores', STORES.join(',')).split(',').map((s) => s.trim()).filter(Boolean) as StoreKind[],
  workers: process.argv.includes('--workers') ? num('workers', 1, 0) : undefined,
  mainLoop: flag('main-loop'),
  keep: flag('keep'),
  postgresUrl: arg('postgres-url', process.env.GOVC_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
};
for (const s of OPTS.stores) if (!STORES.includes(s)) throw new Error(`unknown store ${s}; known: ${STORES.join(', ')}`);

const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { env, cwd, maxBuffer: 64 * 1024 * 1024, timeout: 60 * 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')}: ${stderr || err.message}`)) : resolve({ ms: performance.now() - start, stdout }),
    ),
  );
}

interface HealthFigure {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** GET /api/v1/health one after another (10 ms apart) until `stop` resolves. */
async function pollHealth(url: string, stop: Promise<unknown>): Promise<HealthFigure> {
  let done = false;
  void stop.finally(() => (done = true));
  const ms: number[] = [];
  while (!done) {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/v1/health`);
    await res.text();
    if (res.status !== 200) throw new Error(`health answered ${res.status}`);
    ms.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 10));
  }
  ms.sort((a, b) => a - b);
  return { count: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms[ms.length - 1] ?? NaN };
}

let cloneSerial = 0;

/** N bare clones at once; resolves to the wall time until the last is done (each clone removed after). */
async function clones(url: string, n: number, env: NodeJS.ProcessEnv, work: string): Promise<number> {
  const dirs = Array.from({ length: n }, () => join(work, `clone-${cloneSerial++}`));
  const start = performance.now();
  await Promise.all(dirs.map((d) => run('git', ['clone', '--bare', '-q', url, d], env, work)));
  const ms = performance.now() - start;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  return ms;
}

interface Row {
  store: StoreKind;
  server: string;
  ms: Map<number, number>;
  health?: HealthFigure;
}

/** One server's row: a warm-up clone, then each level, health polled during the largest. */
async function measure(store: StoreKind, server: string, url: string, healthUrl: string | undefined, env: NodeJS.ProcessEnv, work: string): Promise<Row> {
  const row: Row = { store, server, ms: new Map() };
  await clones(url, 1, env, work);
  const top = Math.max(...OPTS.levels);
  for (const n of OPTS.levels) {
    if (n === top && healthUrl) {
      const running = clones(url, n, env, work);
      const [ms, health] = await Promise.all([running, pollHealth(healthUrl, running)]);
      row.ms.set(n, ms);
      row.health = health;
    } else {
      row.ms.set(n, await clones(url, n, env, work));
    }
    log(`${store} ${server}: ${n} clone(s) in ${secs(row.ms.get(n)!)}${row.health && n === top ? `; health p99 ${row.health.p99.toFixed(1)} ms` : ''}`);
  }
  return row;
}

/** The control beside the daemon: a node:http server in its own process that answers every request at once. */
async function idleServer(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', "const s = require('http').createServer((q, r) => r.end('{}')).listen(0, '127.0.0.1', () => console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function storeUri(kind: StoreKind, work: string): Promise<{ uri: string; teardown(): Promise<void> }> {
  if (kind === 'sqlite') return { uri: `sqlite://${join(work, 'govc.db')}`, teardown: async () => undefined };
  const schema = `bench_concurrency_${process.pid}_${Date.now() % 1e8}`;
  await postgresQuery(OPTS.postgresUrl, 'SELECT 1');
  const sep = OPTS.postgresUrl.includes('?') ? '&' : '?';
  return {
    uri: `${OPTS.postgresUrl}${sep}schema=${schema}`,
    teardown: async () => {
      if (!OPTS.keep) await postgresQuery(OPTS.postgresUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

async function benchStore(kind: StoreKind, repo: string, daemonRoot: string, env: NodeJS.ProcessEnv, work: string): Promise<Row[]> {
  const rows: Row[] = [];
  const dir = mkdtempSync(join(work, `${kind}-`));
  const store = await storeUri(kind, dir);
  try {
    log(`${kind}: govc repo import...`);
    const imported = await run(process.execPath, [CLI, 'repo', 'import', repo, '--store', store.uri, '--name', 'repo'], env, dir);
    log(`${kind}: imported in ${secs(imported.ms)}: ${imported.stdout.trim().split('\n').pop()}`);

    const daemon = await gitDaemon(daemonRoot, env);
    const control = await idleServer();
    try {
      rows.push(await measure(kind, 'git daemon', `${daemon.url}/repo.git`, control.url, env, dir));
    } finally {
      control.stop();
      await daemon.stop();
    }
    const variants: Array<{ label: string; packCache: boolean; workers?: number }> = [
      ...(OPTS.mainLoop ? [{ label: 'govc, main loop, no cache', packCache: false, workers: 0 }] : []),
      { label: 'govc, pool, no cache', packCache: false, workers: OPTS.workers },
      { label: 'govc, pool, cache', packCache: true, workers: OPTS.workers },
    ];
    let token: string | undefined;
    for (const v of variants) {
      const govc = await govcServe(store.uri, dir, token, { packCache: v.packCache, ...(v.workers !== undefined ? { workers: v.workers } : {}) });
      token = govc.token;
      try {
        rows.push(await measure(kind, v.label, govc.repoUrl('repo'), govc.url, env, dir));
      } finally {
        await govc.stop();
      }
    }
  } finally {
    await store.teardown();
    if (!OPTS.keep) rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function table(rows: Row[], header: string): string {
  const out: string[] = [header, ''];
  const cols = OPTS.levels.map((n) => `${n} clone${n === 1 ? '' : 's'}`.padStart(17));
  out.push(`${'store'.padEnd(8)} ${'server'.padEnd(26)}${cols.join('')}   health during ${Math.max(...OPTS.levels)} (p50 / p99 / max, n; git daemon: an idle node server)`);
  for (const r of rows) {
    const daemon = rows.find((d) => d.store === r.store && d.server === 'git daemon');
    const cells = OPTS.levels.map((n) => {
      const ms = r.ms.get(n)!;
      const base = daemon?.ms.get(n);
      const ratio = r !== daemon && base ? ` ${(ms / base).toFixed(2)}x` : '';
      return `${secs(ms)}${ratio}`.padStart(17);
    });
    const h = r.health ? `   ${r.health.p50.toFixed(1)} / ${r.health.p99.toFixed(1)} / ${r.health.max.toFixed(1)} ms, ${r.health.count}` : '';
    out.push(`${r.store.padEnd(8)} ${r.server.padEnd(26)}${cells.join('')}${h}`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'govc-bench-concurrency-'));
  const env = gitEnv(work);
  const cacheRoot = join(tmpdir(), 'govc-bench-pack-storage');
  try {
    const key = `history-c${OPTS.commits}-f${OPTS.files}-v1`;
    log(`repository ${key} (cache ${cacheRoot})...`);
    const history = await cached(cacheRoot, key, env, (repo) => generateHistory(repo, env, { commits: OPTS.commits, files: OPTS.files }));
    log(history.reused ? 'repository reused from the cache' : `repository generated in ${secs(history.ms)}`);
    const info = packInfo(history.repo, env);
    log(`repository: ${info.commits} commits, ${info.objects} objects, pack ${(info.packBytes / 1024 ** 2).toFixed(1)} MiB`);
    const rows: Row[] = [];
    for (const kind of OPTS.stores) rows.push(...(await benchStore(kind, history.repo, join(cacheRoot, key), env, work)));
    const header =
      `concurrent git clone --bare, wall time until the last is done (ratio: ÷ git daemon at the same level); ` +
      `${info.objects} objects, pack ${(info.packBytes / 1024 ** 2).toFixed(1)} MiB; workers ${OPTS.workers ?? 'default (one per core)'}; total ${secs(performance.now() - started)}`;
    process.stdout.write(`${table(rows, header)}\n`);
  } finally {
    if (!OPTS.keep) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
