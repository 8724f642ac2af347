/**
 * Issue 10, "Objects kept as git keeps them": govc on each store beside git
 * itself, in one run.
 *
 *   npx tsc -p . && node dist/bench/pack-storage.js [--stores sqlite,postgres,lmdb,rocksdb,redis]
 *     [--commits 20000] [--files 400] [--runs 3] [--big-pack-mb 256] [--big-file-mb 8] [--keep] [--json]
 *     [--no-index] [--only import,stored,clone,push,big] [--cli path/to/other/dist/src/cli/main.js] [--redis-appendfsync everysec|always|no] [--postgres-url postgres://postgres@127.0.0.1:5432/test]
 *
 * On two cores, --commits 30000 (225,000 objects, a 256 MiB large pack, all
 * five stores) took 32 minutes, PostgreSQL's import the longest step; the
 * default 20000 (about 150,000 objects) should take about 22 (estimated from
 * that run's steps, not yet measured).
 *
 * The repository (bench/pack-storage/generate.ts): `--commits` commits of
 * small edits to 1-3 of `--files` text files, merges, branches, tags and six
 * binary-ish files of 1-10 MB, one pack after `git gc`. A second repository
 * of about `--big-pack-mb` MiB of incompressible blobs (files of `--big-file-mb` MiB;
 * `--big-pack-mb 100 --big-file-mb 100` is one 100 MiB file and a second version
 * of it, a delta) is the large pack.
 * Both are cached in $TMPDIR/govc-bench-pack-storage/<parameters>; `--keep`
 * keeps them (and the stores) after the run, else a cache made by this run
 * is removed at its end (one kept by an earlier run stays).
 *
 * For each store, each figure beside git's in the same run:
 *  - stored bytes after `govc repo import` ÷ the pack's bytes
 *    (SQLite, LMDB, RocksDB: the store's files, allocated blocks;
 *    PostgreSQL: pg_total_relation_size of the objects tables of the run's
 *    schema, all tables beside; Redis: INFO used_memory delta, the AOF
 *    directory after BGREWRITEAOF beside)
 *  - `govc repo import` (the CLI) ÷ `git index-pack` of the pack (default threads; --threads=1 beside)
 *  - `git clone --bare` from `govc serve` ÷ from `git daemon` and ÷ from `git http-backend` (interleaved runs, medians)
 *  - 10 new commits pushed with `git push` to govc ÷ to git daemon (after
 *    `govc repo index`, untimed, when the import was --no-index), then fetched
 *    into a clone of the old state: from govc ÷ from git daemon (interleaved runs, medians)
 *  - the peak RSS of a fresh `govc serve` process (VmHWM) during a push of the
 *    large pack, and (fresh again) during a clone of it, beside git daemon's
 *    per-request processes (sum of their RSS, sampled every 25 ms); and the
 *    sampled peak RssAnon of both (RSS counts git's mmapped pack pages, RssAnon does not)
 * A failing step of one store is reported with its error; the others go on.
 * `--only` runs the named steps alone (clone, push and stored need the
 * import, which always runs; git index-pack runs only for `import`; `push`
 * is the push and fetch of 10 commits; `big` the large pack's push and clone).
 * `--cli` imports with another build's CLI (a worktree of main, say), to
 * compare two builds on the same machine in turn.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv } from '../support/git.js';
import { startStandaloneRedis, type StandaloneRedis } from '../support/redis-servers.js';
import { arg, flag, num } from './pack-storage/args.js';
import { addCommits, cached, generateBig, generateHistory, packInfo, type PackInfo } from './pack-storage/generate.js';
import { diskBytes, fileBytes, postgresQuery, postgresTableBytes, procStatusBytes, redisInfo, redisRewriteAof, sampleRss, sqliteTableBytes } from './pack-storage/measure.js';
import { gitDaemon, govcServe, httpBackend, type Daemon, type GovcServer } from './pack-storage/servers.js';
import { CLI } from '../support/govc.js';

const STORES = ['sqlite', 'postgres', 'lmdb', 'rocksdb', 'redis'] as const;
type StoreKind = (typeof STORES)[number];
const ONLY_STEPS = ['import', 'stored', 'clone', 'push', 'big'] as const;


const OPTS = {
  commits: num('commits', 20_000, 10),
  files: num('files', 400, 2),
  runs: num('runs', 3),
  bigPackMb: num('big-pack-mb', 256),
  bigFileMb: num('big-file-mb', 8),
  stores: arg('stores', STORES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as StoreKind[],
  keep: flag('keep'),
  json: flag('json'),
  index: !flag('no-index'),
  redisFsync: arg('redis-appendfsync', 'everysec'),
  only: new Set(arg('only', ONLY_STEPS.join(',')).split(',').map((s) => s.trim()).filter(Boolean)),
  cli: arg('cli', CLI),
  postgresUrl: arg('postgres-url', process.env.GOVC_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
};
for (const s of OPTS.only) if (!(ONLY_STEPS as readonly string[]).includes(s)) throw new Error(`unknown --only step ${s}; known: ${ONLY_STEPS.join(', ')}`);
const wants = (s: (typeof ONLY_STEPS)[number]) => OPTS.only.has(s);
for (const s of OPTS.stores) if (!STORES.includes(s)) throw new Error(`unknown store ${s}; known: ${STORES.join(', ')}`);
if (!['everysec', 'always', 'no'].includes(OPTS.redisFsync)) throw new Error('--redis-appendfsync must be everysec, always or no');

const log = (line: string) => process.stderr.write(`[pack-storage ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const MiB = 1024 * 1024;
const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err)).trim().split('\n').slice(-6).join(' | ').slice(0, 600);

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command (async, so the http-backend wrapper in this process keeps serving); throws with its stderr on failure. */
function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 30 * 60_000, killSignal: 'SIGKILL', maxBuffer: 256 * MiB },
      (err, stdout, stderr) => {
        const ms = performance.now() - start;
        if (err) reject(new Error(`${cmd} ${args.filter((a) => !a.includes('govc_')).join(' ')} failed (${(err as { code?: unknown }).code ?? (err as { signal?: unknown }).signal}): ${stderr || err.message}`));
        else resolve({ code: 0, stdout: String(stdout), stderr: String(stderr), ms });
      },
    );
  });
}

interface StoreResult {
  store: StoreKind;
  uri: string;
  errors: Record<string, string>;
  stored?: { measure: string; bytes: number; ratio: number; detail: Record<string, number | string> };
  import?: { ms: number; ratio: number; ratioThreads1: number; objectsAdded: number; output: string };
  clone?: Comparison;
  push10?: { govcMs: number; daemonMs: number; ratio: number };
  fetch10?: Comparison;
  bigPush?: MemoryFigure;
  bigClone?: MemoryFigure;
}

interface Comparison {
  govc: number[];
  daemon: number[];
  httpBackend: number[];
  govcMedianMs: number;
  daemonMedianMs: number;
  httpBackendMedianMs: number;
  ratioDaemon: number;
  ratioHttpBackend: number;
}

interface MemoryFigure {
  govcMs: number;
  daemonMs: number;
  ratioMs: number;
  /** VmHWM of the fresh govc serve process after the operation. */
  govcPeakRss: number;
  /** VmRSS of that process, idle, just before the operation. */
  govcIdleRss: number;
  /** Peak RssAnon of the govc process, sampled every 25 ms (heap; VmHWM also counts file pages). */
  govcPeakAnon: number;
  /** Peak of the sum of RSS of git daemon's per-request processes (sampled every 25 ms; counts the pack's mapped pages). */
  daemonPeakRss: number;
  /** The same for RssAnon. */
  daemonPeakAnon: number;
  ratioRss: number;
  ratioAnon: number;
}

function comparison(govc: number[], daemon: number[], httpBackend: number[]): Comparison {
  const [g, d, h] = [median(govc), median(daemon), median(httpBackend)];
  return { govc, daemon, httpBackend, govcMedianMs: g, daemonMedianMs: d, httpBackendMedianMs: h, ratioDaemon: ratio(g, d), ratioHttpBackend: ratio(g, h) };
}

interface Context {
  work: string;
  env: NodeJS.ProcessEnv;
  served: string;
  history: PackInfo & { repo: string };
  /** Absent unless --only has `big`. */
  big?: PackInfo & { repo: string };
  /** The history repository plus 10 commits on main. */
  ten: { repo: string; tip: string; oldTip: string };
  indexPack: { defaultMs: number; threads1Ms: number };
  daemon: Daemon;
  backend: { url: string };
}

/** Where a store lives, and how to tear it down. */
interface StoreSetup {
  uri: string;
  dir?: string;
  redis?: StandaloneRedis;
  schema?: string;
  teardown(): Promise<void>;
}

async function setupStore(kind: StoreKind, ctx: Context): Promise<StoreSetup> {
  const dir = join(ctx.work, 'stores', kind);
  mkdirSync(dir, { recursive: true });
  const removeDir = async () => {
    if (!OPTS.keep) rmSync(dir, { recursive: true, force: true });
  };
  switch (kind) {
    case 'sqlite':
      return { uri: `sqlite://${join(dir, 'govc.db')}`, dir, teardown: removeDir };
    case 'lmdb':
      return { uri: `lmdb://${join(dir, 'lmdb')}`, dir, teardown: removeDir };
    case 'rocksdb':
      return { uri: `rocksdb://${join(dir, 'rocksdb')}`, dir, teardown: removeDir };
    case 'postgres': {
      const schema = `bench_pack_${process.pid}_${Date.now() % 1e8}`;
      await postgresQuery(OPTS.postgresUrl, 'SELECT 1'); // fails early with the connection error
      const sep = OPTS.postgresUrl.includes('?') ? '&' : '?';
      return {
        uri: `${OPTS.postgresUrl}${sep}schema=${schema}`,
        schema,
        async teardown() {
          await removeDir();
          if (!OPTS.keep) await postgresQuery(OPTS.postgresUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        },
      };
    }
    case 'redis': {
      const redis = await startStandaloneRedis(['--appendfsync', OPTS.redisFsync]);
      return {
        uri: redis.url,
        redis,
        async teardown() {
          await removeDir();
          await redis.stop();
        },
      };
    }
  }
}

/** The store's stored bytes after import, and how they were measured. */
async function storedBytes(kind: StoreKind, setup: StoreSetup, redisBefore: number): Promise<NonNullable<StoreResult['stored']>> {
  switch (kind) {
    case 'sqlite': {
      const bytes = diskBytes(setup.dir!);
      const tables = await sqliteTableBytes(join(setup.dir!, 'govc.db'));
      const objects = Object.entries(tables).filter(([t]) => /object/i.test(t));
      return {
        measure: 'SQLite files on disk (db + wal + shm)',
        bytes,
        ratio: 0,
        detail: { objects_tables: objects.map(([t]) => t).join(','), objects_tables_bytes: objects.reduce((a, [, b]) => a + b, 0), ...prefixed('table_', tables) },
      };
    }
    case 'lmdb':
      return { measure: 'LMDB directory, allocated blocks', bytes: diskBytes(setup.dir!), ratio: 0, detail: { apparent_bytes: fileBytes(setup.dir!) } };
    case 'rocksdb': {
      const skipLog = (name: string) => /^LOG(\.old\..*)?$/.test(name);
      return {
        measure: 'RocksDB directory, allocated blocks, without its info LOG files',
        bytes: diskBytes(setup.dir!, skipLog),
        ratio: 0,
        detail: { with_logs_bytes: diskBytes(setup.dir!), sst_and_wal: 'counted' },
      };
    }
    case 'postgres': {
      const tables = await postgresTableBytes(OPTS.postgresUrl, setup.schema!);
      const objects = Object.entries(tables).filter(([t]) => /object/i.test(t));
      const all = Object.values(tables).reduce((a, b) => a + b, 0);
      return {
        measure: `pg_total_relation_size of the objects tables (${objects.map(([t]) => t).join(', ') || 'none found'}) in schema ${setup.schema}`,
        bytes: objects.reduce((a, [, b]) => a + b, 0),
        ratio: 0,
        detail: { all_tables_bytes: all, ...prefixed('table_', tables) },
      };
    }
    case 'redis': {
      const after = Number((await redisInfo(setup.uri, 'memory')).used_memory);
      const aof = await redisRewriteAof(setup.uri);
      return {
        measure: 'Redis INFO used_memory, after import minus before',
        bytes: after - redisBefore,
        ratio: 0,
        detail: { used_memory_before: redisBefore, used_memory_after: after, aof_after_bgrewriteaof_bytes: aof.aofBytes, bgrewriteaof_ms: Math.round(aof.ms), appendfsync: OPTS.redisFsync },
      };
    }
  }
}

function prefixed(prefix: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix + k, v]));
}

async function createRepo(govc: GovcServer, name: string): Promise<void> {
  const res = await fetch(`${govc.url}/api/v1/repositories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${govc.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`POST /api/v1/repositories ${name}: ${res.status} ${await res.text()}`);
}

async function cloneTime(url: string, dest: string, env: NodeJS.ProcessEnv, expectMain: string): Promise<number> {
  rmSync(dest, { recursive: true, force: true });
  const r = await run('git', ['clone', '-q', '--bare', url, dest], { env });
  const main = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: dest, env }).toString().trim();
  rmSync(dest, { recursive: true, force: true });
  if (main !== expectMain) throw new Error(`clone from ${url.replace(/govc_[^@]*/, '***')} has main at ${main}, expected ${expectMain}`);
  return r.ms;
}

/** A fresh govc serve process, idle for a moment; its idle RSS. */
async function freshGovc(current: GovcServer | undefined, uri: string, ctx: Context, token: string): Promise<{ govc: GovcServer; idle: number }> {
  if (current) await current.stop();
  const govc = await govcServe(uri, ctx.work, token);
  await new Promise((r) => setTimeout(r, 1000));
  return { govc, idle: procStatusBytes(govc.pid, 'VmRSS') ?? 0 };
}

/** Runs `fn` while sampling the govc process and git daemon's process tree. */
async function sampled<T>(govcPid: number, daemonPid: number, fn: () => Promise<T>): Promise<{ value: T; govc: { rss: number; anon: number }; daemon: { rss: number; anon: number } }> {
  const g = sampleRss(govcPid, { tree: false });
  const d = sampleRss(daemonPid, { tree: true });
  try {
    const value = await fn();
    return { value, govc: g.stop(), daemon: d.stop() };
  } finally {
    g.stop();
    d.stop();
  }
}

function memoryFigure(govcMs: number, daemonMs: number, govcPeakRss: number, govcIdleRss: number, govcAnon: number, daemon: { rss: number; anon: number }): MemoryFigure {
  return {
    govcMs,
    daemonMs,
    ratioMs: ratio(govcMs, daemonMs),
    govcPeakRss,
    govcIdleRss,
    govcPeakAnon: govcAnon,
    daemonPeakRss: daemon.rss,
    daemonPeakAnon: daemon.anon,
    ratioRss: ratio(govcPeakRss, daemon.rss),
    ratioAnon: ratio(govcAnon, daemon.anon),
  };
}

async function benchStore(kind: StoreKind, ctx: Context): Promise<StoreResult> {
  const result: StoreResult = { store: kind, uri: '', errors: {} };
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const start = performance.now();
    log(`${kind}: ${name}...`);
    try {
      const v = await fn();
      log(`${kind}: ${name} done in ${secs(performance.now() - start)}`);
      return v;
    } catch (err) {
      result.errors[name] = errText(err);
      log(`${kind}: ${name} FAILED: ${result.errors[name]}`);
      return undefined;
    }
  };
  const setup = await step('setup', () => setupStore(kind, ctx));
  if (!setup) return result;
  result.uri = setup.uri;
  let govc: GovcServer | undefined;
  try {
    const redisBefore = setup.redis ? Number((await redisInfo(setup.uri, 'memory')).used_memory) : 0;
    const imported = await step('import', async () => {
      const args = [OPTS.cli, 'repo', 'import', ctx.history.repo, '--store', setup.uri, '--name', 'repo', ...(OPTS.index ? [] : ['--no-index'])];
      const r = await run(process.execPath, args, { cwd: ctx.work, timeoutMs: 90 * 60_000 });
      const m = /(\d+) of (\d+) objects added/.exec(r.stdout);
      if (!m || Number(m[1]) !== ctx.history.objects) throw new Error(`expected ${ctx.history.objects} objects added; govc said: ${r.stdout.trim()} ${r.stderr.trim()}`);
      result.import = {
        ms: r.ms,
        ratio: ratio(r.ms, ctx.indexPack.defaultMs),
        ratioThreads1: ratio(r.ms, ctx.indexPack.threads1Ms),
        objectsAdded: Number(m[1]),
        output: r.stdout.trim(),
      };
      return true;
    });
    if (wants('stored')) await step('stored-bytes', async () => {
      const s = await storedBytes(kind, setup, redisBefore);
      s.ratio = ratio(s.bytes, ctx.history.packBytes);
      result.stored = s;
    });
    // Without it the first push indexes the whole history the --no-index import skipped (pushes index what they make reachable).
    if (imported && wants('push') && !OPTS.index) {
      await step('index', () => run(process.execPath, [OPTS.cli, 'repo', 'index', 'repo', '--store', setup.uri], { cwd: ctx.work, timeoutMs: 90 * 60_000 }));
    }
    govc = await step('serve', () => govcServe(setup.uri, ctx.work));
    if (!govc) return result;
    const token = govc.token;
    const g: GovcServer = govc;

    if (imported) {
      if (wants('clone')) await step('clone', async () => {
        const t = { govc: [] as number[], daemon: [] as number[], http: [] as number[] };
        const targets: Array<[number[], string]> = [
          [t.govc, g.repoUrl('repo')],
          [t.daemon, `${ctx.daemon.url}/repo.git`],
          [t.http, `${ctx.backend.url}/repo.git`],
        ];
        // Interleaved, so drift (page cache, CPU) affects every server alike.
        for (let i = 0; i < OPTS.runs; i++) for (const [xs, url] of targets) xs.push(await cloneTime(url, join(ctx.work, 'clone.git'), ctx.env, ctx.ten.oldTip));
        result.clone = comparison(t.govc, t.daemon, t.http);
      });

      const pushed = wants('push') && (await step('push-10-commits', async () => {
        const inc = join(ctx.served, `inc-${kind}.git`);
        rmSync(inc, { recursive: true, force: true });
        await run('git', ['clone', '-q', '--mirror', '--local', join(ctx.served, 'repo.git'), inc], { env: ctx.env });
        const toGovc = await run('git', ['push', '-q', g.repoUrl('repo'), 'refs/heads/main:refs/heads/main'], { cwd: ctx.ten.repo, env: ctx.env });
        const toDaemon = await run('git', ['push', '-q', `${ctx.daemon.url}/inc-${kind}.git`, 'refs/heads/main:refs/heads/main'], { cwd: ctx.ten.repo, env: ctx.env });
        result.push10 = { govcMs: toGovc.ms, daemonMs: toDaemon.ms, ratio: ratio(toGovc.ms, toDaemon.ms) };
        return true;
      }));

      if (pushed) {
        await step('fetch-10-commits', async () => {
          const t = { govc: [] as number[], daemon: [] as number[], http: [] as number[] };
          const targets: Array<[number[], string]> = [
            [t.govc, g.repoUrl('repo')],
            [t.daemon, `${ctx.daemon.url}/inc-${kind}.git`],
            [t.http, `${ctx.backend.url}/inc-${kind}.git`],
          ];
          const client = join(ctx.work, 'fetch-client.git');
          for (let i = 0; i < OPTS.runs; i++) {
            for (const [xs, url] of targets) {
              rmSync(client, { recursive: true, force: true });
              await run('git', ['clone', '-q', '--bare', '--local', join(ctx.served, 'repo.git'), client], { env: ctx.env });
              const r = await run('git', ['fetch', '-q', '--no-tags', url, '+refs/heads/main:refs/heads/main'], { cwd: client, env: ctx.env });
              const main = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: client, env: ctx.env }).toString().trim();
              if (main !== ctx.ten.tip) throw new Error(`fetch from ${url.replace(/govc_[^@]*/, '***')} left main at ${main}, expected ${ctx.ten.tip}`);
              xs.push(r.ms);
            }
          }
          rmSync(client, { recursive: true, force: true });
          result.fetch10 = comparison(t.govc, t.daemon, t.http);
        });
      }
    } else {
      result.errors.clone = result.errors['push-10-commits'] = result.errors['fetch-10-commits'] = 'skipped: import failed';
    }

    const big = ctx.big;
    if (!big) return result;
    const bigTip = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: big.repo, env: ctx.env }).toString().trim();
    const bigPushed = await step('big-push', async () => {
      const fresh = await freshGovc(govc, setup.uri, ctx, token);
      govc = fresh.govc;
      await createRepo(fresh.govc, 'big');
      const pid = fresh.govc.pid;
      const toGovc = await sampled(pid, ctx.daemon.pid, () => run('git', ['push', '-q', '--mirror', fresh.govc.repoUrl('big')], { cwd: big.repo, env: ctx.env, timeoutMs: 60 * 60_000 }));
      const peak = procStatusBytes(pid, 'VmHWM') ?? 0;
      const target = join(ctx.served, `bigpush-${kind}.git`);
      rmSync(target, { recursive: true, force: true });
      execFileSync('git', ['init', '-q', '--bare', target], { env: ctx.env });
      const toDaemon = await sampled(pid, ctx.daemon.pid, () => run('git', ['push', '-q', '--mirror', `${ctx.daemon.url}/bigpush-${kind}.git`], { cwd: big.repo, env: ctx.env, timeoutMs: 60 * 60_000 }));
      rmSync(target, { recursive: true, force: true });
      result.bigPush = memoryFigure(toGovc.value.ms, toDaemon.value.ms, peak, fresh.idle, toGovc.govc.anon, toDaemon.daemon);
      return true;
    });
    if (bigPushed) {
      await step('big-clone', async () => {
        const fresh = await freshGovc(govc, setup.uri, ctx, token);
        govc = fresh.govc;
        const pid = fresh.govc.pid;
        const fromGovc = await sampled(pid, ctx.daemon.pid, () => cloneTime(fresh.govc.repoUrl('big'), join(ctx.work, 'big-clone.git'), ctx.env, bigTip));
        const peak = procStatusBytes(pid, 'VmHWM') ?? 0;
        const fromDaemon = await sampled(pid, ctx.daemon.pid, () => cloneTime(`${ctx.daemon.url}/big.git`, join(ctx.work, 'big-clone.git'), ctx.env, bigTip));
        result.bigClone = memoryFigure(fromGovc.value, fromDaemon.value, peak, fresh.idle, fromGovc.govc.anon, fromDaemon.daemon);
      });
    } else {
      result.errors['big-clone'] = 'skipped: big push failed';
    }
  } finally {
    if (govc) {
      const output = govc.output();
      await govc.stop();
      if (/error|warn/i.test(output)) log(`${kind}: govc serve said:\n${output.split('\n').filter((l) => /error|warn/i.test(l)).slice(0, 20).join('\n')}`);
    }
    rmSync(join(ctx.served, `inc-${kind}.git`), { recursive: true, force: true });
    try {
      await setup.teardown();
    } catch (err) {
      result.errors.teardown = errText(err);
    }
  }
  return result;
}

function report(ctx: Context, results: StoreResult[], totalMs: number, reused: { history: boolean; big: boolean }): void {
  const h = ctx.history;
  if (OPTS.json) {
    process.stdout.write(
      JSON.stringify(
        {
          options: OPTS,
          repository: { commits: h.commits, objects: h.objects, refs: h.refs, pack_bytes: h.packBytes, cached: reused.history },
          big_pack: { requested_mib: OPTS.bigPackMb, file_mib: OPTS.bigFileMb, pack_bytes: ctx.big?.packBytes, objects: ctx.big?.objects, cached: reused.big },
          index_pack: { default_threads_ms: ctx.indexPack.defaultMs, threads_1_ms: ctx.indexPack.threads1Ms, runs: OPTS.runs },
          stores: results,
          total_ms: totalMs,
        },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const out: string[] = [];
  const p = (s = '') => out.push(s);
  p(`repository: ${h.commits} commits, ${h.objects} objects, ${h.refs} refs; pack after git gc ${mib(h.packBytes)} (${h.packBytes} bytes)`);
  if (ctx.big) p(`large pack: --big-pack-mb ${OPTS.bigPackMb} --big-file-mb ${OPTS.bigFileMb}: ${ctx.big.objects} objects, pack ${mib(ctx.big.packBytes)} (incompressible blobs)`);
  if (wants('import')) p(`git index-pack of the pack: ${secs(ctx.indexPack.defaultMs)} (default threads), ${secs(ctx.indexPack.threads1Ms)} (--threads=1); medians of ${OPTS.runs}`);
  p(`import: govc repo import${OPTS.index ? ' (with the commit index, the default)' : ' --no-index'}; redis appendfsync ${OPTS.redisFsync}`);
  for (const r of results) {
    p();
    p(`== ${r.store} (${r.uri.replace(/:\/\/[^@]*@/, '://')})`);
    if (r.stored) {
      p(`  stored       ${mib(r.stored.bytes).padStart(11)}  ${r.stored.ratio.toFixed(2)}x the pack   ${r.stored.measure}`);
      const d = r.stored.detail;
      if (r.store === 'sqlite') p(`               objects tables (${d.objects_tables}, dbstat) ${mib(Number(d.objects_tables_bytes))}, ${ratio(Number(d.objects_tables_bytes), h.packBytes)}x`);
      if (r.store === 'postgres') p(`               all tables of the schema ${mib(Number(d.all_tables_bytes))}, ${ratio(Number(d.all_tables_bytes), h.packBytes)}x`);
      if (r.store === 'redis') p(`               AOF after BGREWRITEAOF ${mib(Number(d.aof_after_bgrewriteaof_bytes))}, ${ratio(Number(d.aof_after_bgrewriteaof_bytes), h.packBytes)}x`);
      if (r.store === 'lmdb') p(`               apparent size ${mib(Number(d.apparent_bytes))}`);
    }
    if (r.import) p(`  import       ${secs(r.import.ms).padStart(11)}  ${wants('import') ? `${r.import.ratio.toFixed(2)}x index-pack, ${r.import.ratioThreads1.toFixed(2)}x index-pack --threads=1` : '(index-pack not run)'}   (${Math.round(h.objects / (r.import.ms / 1000))} objects/s)`);
    const cmp = (label: string, c: Comparison | undefined) => {
      if (!c) return;
      p(`  ${label.padEnd(12)} ${secs(c.govcMedianMs).padStart(11)}  ${c.ratioDaemon.toFixed(2)}x git daemon (${secs(c.daemonMedianMs)}), ${c.ratioHttpBackend.toFixed(2)}x http-backend (${secs(c.httpBackendMedianMs)})   runs ms: govc [${c.govc.map((x) => x.toFixed(0)).join(', ')}] daemon [${c.daemon.map((x) => x.toFixed(0)).join(', ')}] http-backend [${c.httpBackend.map((x) => x.toFixed(0)).join(', ')}]`);
    };
    cmp('clone', r.clone);
    if (r.push10) p(`  push 10      ${secs(r.push10.govcMs).padStart(11)}  ${r.push10.ratio.toFixed(2)}x git daemon (${secs(r.push10.daemonMs)})`);
    cmp('fetch 10', r.fetch10);
    const mem = (label: string, m: MemoryFigure | undefined) => {
      if (!m) return;
      p(`  ${label.padEnd(12)} peak RSS ${mib(m.govcPeakRss)} (VmHWM; idle ${mib(m.govcIdleRss)}), ${m.ratioRss.toFixed(2)}x git daemon's ${mib(m.daemonPeakRss)}; anonymous ${mib(m.govcPeakAnon)}, ${m.ratioAnon.toFixed(2)}x git's ${mib(m.daemonPeakAnon)}; time ${secs(m.govcMs)}, ${m.ratioMs.toFixed(2)}x git daemon (${secs(m.daemonMs)})`);
    };
    mem(`push ${OPTS.bigPackMb}M`, r.bigPush);
    mem(`clone ${OPTS.bigPackMb}M`, r.bigClone);
    for (const [stepName, e] of Object.entries(r.errors)) p(`  FAILED ${stepName}: ${e}`);
  }
  p();
  p(`summary (govc ÷ git; ${h.objects} objects, pack ${mib(h.packBytes)}; large pack ${ctx.big ? mib(ctx.big.packBytes) : 'not made'}; total ${secs(totalMs)}):`);
  // '-': a step --only left out.
  const f = (x: number | undefined, step: (typeof ONLY_STEPS)[number]) => (x === undefined || Number.isNaN(x) ? (wants(step) ? 'failed' : '-') : `${x.toFixed(2)}x`);
  const rss = (m: MemoryFigure | undefined) => (m ? mib(m.govcPeakRss) : wants('big') ? 'failed' : '-');
  for (const r of results) {
    p(
      `  ${r.store.padEnd(9)} stored ${f(r.stored?.ratio, 'stored')} pack | import ${f(r.import?.ratio, 'import')} index-pack (${f(r.import?.ratioThreads1, 'import')} -t1) | clone ${f(r.clone?.ratioDaemon, 'clone')} daemon, ${f(r.clone?.ratioHttpBackend, 'clone')} http-backend` +
        ` | push10 ${f(r.push10?.ratio, 'push')} | fetch10 ${f(r.fetch10?.ratioDaemon, 'push')} daemon | peak RSS push ${rss(r.bigPush)}, clone ${rss(r.bigClone)}` +
        (Object.keys(r.errors).length ? ` | ${Object.keys(r.errors).length} failed step(s)` : ''),
    );
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'govc-bench-pack-storage-run-'));
  const env = gitEnv(work);
  const cacheRoot = join(tmpdir(), 'govc-bench-pack-storage');
  const madeCaches: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  try {
    const historyKey = `history-c${OPTS.commits}-f${OPTS.files}-v1`;
    log(`repository ${historyKey} (cache ${cacheRoot})...`);
    const history = await cached(cacheRoot, historyKey, env, (repo) => generateHistory(repo, env, { commits: OPTS.commits, files: OPTS.files }));
    if (!history.reused) madeCaches.push(join(cacheRoot, historyKey));
    log(history.reused ? 'repository reused from the cache' : `repository generated in ${secs(history.ms)}`);
    // The old key for the default file size: packs generated before the option stay usable.
    const bigKey = `big-${OPTS.bigPackMb}mib${OPTS.bigFileMb === 8 ? '' : `-files-${OPTS.bigFileMb}mib`}-v1`;
    const big = wants('big') ? await cached(cacheRoot, bigKey, env, (repo) => generateBig(repo, env, OPTS.bigPackMb, OPTS.bigFileMb)) : undefined;
    if (big && !big.reused) madeCaches.push(join(cacheRoot, bigKey));
    if (big) log(big.reused ? 'large pack reused from the cache' : `large pack generated in ${secs(big.ms)}`);
    const historyInfo = { ...packInfo(history.repo, env), repo: history.repo };
    const bigInfo = big ? { ...packInfo(big.repo, env), repo: big.repo } : undefined;
    log(`repository: ${historyInfo.commits} commits, ${historyInfo.objects} objects, pack ${mib(historyInfo.packBytes)}; large pack ${bigInfo ? mib(bigInfo.packBytes) : 'not made'}`);

    // git's servers serve hard-linked copies (same pack files).
    const served = join(work, 'served');
    mkdirSync(served);
    execFileSync('git', ['clone', '-q', '--mirror', '--local', history.repo, join(served, 'repo.git')], { env });
    if (big) execFileSync('git', ['clone', '-q', '--mirror', '--local', big.repo, join(served, 'big.git')], { env });
    const tenRepo = join(work, 'ten.git');
    execFileSync('git', ['clone', '-q', '--mirror', '--local', history.repo, tenRepo], { env });
    const oldTip = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: tenRepo, env }).toString().trim();
    const tip = await addCommits(tenRepo, env, 10);

    if (wants('import')) log(`git index-pack, ${OPTS.runs} runs each...`);
    const scratch = join(work, 'index-pack');
    mkdirSync(scratch);
    const indexPack = async (threads?: number) => {
      const copy = join(scratch, 'copy.pack');
      rmSync(copy, { force: true });
      rmSync(copy.replace(/\.pack$/, '.idx'), { force: true });
      copyFileSync(historyInfo.packPath, copy);
      const r = await run('git', ['index-pack', ...(threads ? [`--threads=${threads}`] : []), '-o', copy.replace(/\.pack$/, '.idx'), copy], { env });
      return r.ms;
    };
    const ip = { d: [] as number[], t1: [] as number[] };
    for (let i = 0; i < (wants('import') ? OPTS.runs : 0); i++) {
      ip.d.push(await indexPack());
      ip.t1.push(await indexPack(1));
    }
    rmSync(scratch, { recursive: true, force: true });

    const daemon = await gitDaemon(served, env);
    stops.push(() => daemon.stop());
    const backend = await httpBackend(served);
    stops.push(() => backend.close());

    const ctx: Context = {
      work,
      env,
      served,
      history: historyInfo,
      big: bigInfo,
      ten: { repo: tenRepo, tip, oldTip },
      indexPack: { defaultMs: median(ip.d), threads1Ms: median(ip.t1) },
      daemon,
      backend,
    };
    const results: StoreResult[] = [];
    for (const kind of OPTS.stores) {
      try {
        results.push(await benchStore(kind, ctx));
      } catch (err) {
        results.push({ store: kind, uri: '', errors: { bench: errText(err) } });
      }
      // Each store's figures as soon as it is done: a run stopped part-way keeps what it measured.
      log(`${kind} result: ${JSON.stringify(results[results.length - 1])}`);
    }
    report(ctx, results, performance.now() - started, { history: history.reused, big: big?.reused ?? false });
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    if (OPTS.keep) log(`kept ${work} and the repositories in ${cacheRoot}`);
    else {
      rmSync(work, { recursive: true, force: true });
      for (const dir of madeCaches) rmSync(dir, { recursive: true, force: true });
      if (existsSync(cacheRoot) && readdirSync(cacheRoot).length > 0) log(`repositories kept by an earlier --keep run stay in ${cacheRoot}`);
    }
  }
}

await main();
