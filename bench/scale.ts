/**
 * Issue 20, "a repository of 850,000 objects in and out of every durable
 * store with bounded memory": the generated repository (bench/scale/
 * generate-large.ts) through govc on each store, beside git in the same run.
 *
 *   npx tsc -p . && node dist/bench/scale.js [--stores sqlite,postgres,lmdb,rocksdb]
 *     [--commits 200000] [--files 5000] [--index] [--keep] [--json] [--generate-only]
 *     [--only import,export,clone,fetch] [--store-root DIR]
 *
 * Each figure is timed with /usr/bin/time (wall seconds and peak RSS of the
 * process; for the server, VmHWM of a fresh `govc serve` and the sampled
 * RSS of git daemon's per-request processes):
 *  - `govc repo import` ÷ `git index-pack` of the pack (commit index off
 *    unless --index: the proto helper moves it into the ref-update write)
 *  - stored bytes ÷ the pack's bytes
 *  - `govc repo export` ÷ `git pack-objects --all` writing a pack and index
 *  - `git clone --bare` from `govc serve` ÷ from `git daemon`
 *  - a full fetch (`git fetch` of every ref into an empty repository) likewise
 * The repository is cached in $TMPDIR/govc-bench-scale/<parameters>; the
 * stores and clones are removed after the run unless --keep.
 * `--only` runs the named steps alone: the import always runs (every other
 * step reads the store it fills), but git index-pack and the stored size
 * only for `import`; a store's summary line has the steps that ran.
 * `--store-root DIR` keeps each store in DIR/<store> (PostgreSQL: schema
 * bench_scale_kept) and, when `import` is not among `--only`, reuses a store
 * an earlier run imported there instead of importing again.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv } from '../support/git.js';
import { arg, flag, num } from './pack-storage/args.js';
import { cached, packInfo } from './pack-storage/generate.js';
import { diskBytes, postgresQuery, postgresTableBytes, procStatusBytes, sampleRss } from './pack-storage/measure.js';
import { gitDaemon, govcServe } from './pack-storage/servers.js';
import { generateLarge } from './scale/generate-large.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const STORES = ['sqlite', 'postgres', 'lmdb', 'rocksdb'] as const;
type StoreKind = (typeof STORES)[number];
const STEPS = ['import', 'export', 'clone', 'fetch'] as const;
type Step = (typeof STEPS)[number];

const OPTS = {
  commits: num('commits', 200_000),
  files: num('files', 5000),
  stores: arg('stores', 'sqlite').split(',').filter(Boolean) as StoreKind[],
  index: flag('index'),
  keep: flag('keep'),
  json: flag('json'),
  generateOnly: flag('generate-only'),
  only: new Set(arg('only', STEPS.join(',')).split(',').map((s) => s.trim()).filter(Boolean)),
  storeRoot: arg('store-root', ''),
  postgresUrl: arg('postgres-url', process.env.GOVC_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
};
for (const s of OPTS.stores) if (!STORES.includes(s)) throw new Error(`unknown store ${s}; known: ${STORES.join(', ')}`);
for (const s of OPTS.only) if (!(STEPS as readonly string[]).includes(s)) throw new Error(`unknown --only step ${s}; known: ${STEPS.join(', ')}`);
const wants = (s: Step) => OPTS.only.has(s);

const log = (line: string) => process.stderr.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const MiB = 1024 * 1024;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

interface Timed {
  seconds: number;
  peakRss: number;
  /** Peak RssAnon of the sampled process tree: heap and native allocations, not file pages (LMDB's map, a mapped pack). */
  peakAnon: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time: wall seconds and the peak RSS of the process (and its children waited for); RssAnon sampled. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/time', ['-f', '@@time %e %M', cmd, ...args], { env, cwd, maxBuffer: 64 * MiB, timeout: 3 * 3600_000 }, (err, stdout, stderr) => {
      const peak = sampler.stop();
      const m = /@@time ([\d.]+) (\d+)/.exec(String(stderr));
      if (err || !m) return reject(new Error(`${cmd} ${args.join(' ')} failed: ${String(stderr).trim().slice(-2000) || err?.message}`));
      resolve({ seconds: Number(m[1]), peakRss: Number(m[2]) * 1024, peakAnon: peak.anon, stdout: String(stdout) });
    });
    const sampler = sampleRss(child.pid!, { tree: true, everyMs: 200 });
  });
}

const figure = (govc: Timed, git: Timed) => ({
  govcSeconds: govc.seconds,
  gitSeconds: git.seconds,
  ratio: ratio(govc.seconds, git.seconds),
  govcPeakRssMiB: Math.round(govc.peakRss / MiB),
  govcPeakAnonMiB: Math.round(govc.peakAnon / MiB),
  gitPeakRssMiB: Math.round(git.peakRss / MiB),
});

function storeUri(kind: StoreKind, dir: string): { uri: string; schema?: string } {
  const pgSchema = OPTS.storeRoot ? 'bench_scale_kept' : `bench_scale_${process.pid}`;
  switch (kind) {
    case 'sqlite':
      return { uri: `sqlite://${join(dir, 'govc.db')}` };
    case 'lmdb':
      return { uri: `lmdb://${join(dir, 'lmdb')}` };
    case 'rocksdb':
      return { uri: `rocksdb://${join(dir, 'rocksdb')}` };
    case 'postgres': {
      const schema = pgSchema;
      return { uri: `${OPTS.postgresUrl}${OPTS.postgresUrl.includes('?') ? '&' : '?'}schema=${schema}`, schema };
    }
  }
}

/** A clone or full fetch from `url`, while the server process `pid` (and, for git daemon, its children) is sampled. */
async function serverRun(url: string, kind: 'clone' | 'fetch', work: string, env: NodeJS.ProcessEnv, pid: number, tree: boolean) {
  const dest = join(work, `dest-${kind}`);
  rmSync(dest, { recursive: true, force: true });
  const sampler = sampleRss(pid, { tree, everyMs: 100 });
  let t: Timed;
  if (kind === 'clone') t = await timed('git', ['clone', '-q', '--bare', url, dest], env);
  else {
    execFileSync('git', ['init', '-q', '--bare', dest], { env });
    t = await timed('git', ['fetch', '-q', url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], env, dest);
  }
  const peak = sampler.stop();
  const refs = execFileSync('git', ['for-each-ref', '--format=x'], { cwd: dest, env }).toString().split('\n').length - 1;
  rmSync(dest, { recursive: true, force: true });
  return { seconds: t.seconds, serverPeakRss: peak.rss, serverPeakAnon: peak.anon, refs };
}

async function benchStore(kind: StoreKind, repo: string, pack: ReturnType<typeof packInfo>, work: string, env: NodeJS.ProcessEnv) {
  const dir = join(OPTS.storeRoot || join(work, 'stores'), kind);
  const imported = join(dir, 'imported');
  const reuse = OPTS.storeRoot !== '' && !wants('import') && existsSync(imported);
  if (!reuse) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { uri, schema } = storeUri(kind, dir);
  const result: Record<string, unknown> = { store: kind };
  try {
    if (!reuse && schema) await postgresQuery(OPTS.postgresUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    if (reuse) log(`${kind}: reusing the store imported in ${dir}`);
    else await benchImport(kind, uri, schema, dir, repo, pack, work, env, result);
    if (OPTS.storeRoot) writeFileSync(imported, 'yes\n');

    if (wants('export')) await benchExport(uri, repo, pack, work, env, result);
    const ops = (['clone', 'fetch'] as const).filter(wants);
    if (ops.length > 0) await benchServe(ops, uri, repo, work, env, result, join(dir, 'admin-token'));
  } catch (err) {
    result.error = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
    log(`${kind} failed: ${result.error}`);
  } finally {
    if (!OPTS.keep && !OPTS.storeRoot) {
      rmSync(dir, { recursive: true, force: true });
      if (schema) await postgresQuery(OPTS.postgresUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    }
  }
  return result;
}

/** `govc repo import` (÷ `git index-pack` and the stored size when the step is wanted). */
async function benchImport(kind: StoreKind, uri: string, schema: string | undefined, dir: string, repo: string, pack: ReturnType<typeof packInfo>, work: string, env: NodeJS.ProcessEnv, result: Record<string, unknown>): Promise<void> {
  let indexPack: Timed | undefined;
  if (wants('import')) {
    log(`${kind}: git index-pack (baseline)`);
    const idxDir = mkdtempSync(join(work, 'index-pack-'));
    copyFileSync(pack.packPath, join(idxDir, 'p.pack'));
    indexPack = await timed('git', ['index-pack', join(idxDir, 'p.pack')], env);
    rmSync(idxDir, { recursive: true, force: true });
  }
  log(`${kind}: govc repo import${OPTS.index ? '' : ' --no-index'}`);
  const imported = await timed(process.execPath, [CLI, 'repo', 'import', repo, '--store', uri, '--name', 'repo', ...(OPTS.index ? [] : ['--no-index'])], env);
  // Without the step, the import only fills the store: its time and RSS are said, but as no figure.
  result.import = indexPack
    ? { ...figure(imported, indexPack), output: imported.stdout.trim() }
    : { govcSeconds: imported.seconds, govcPeakRssMiB: Math.round(imported.peakRss / MiB), govcPeakAnonMiB: Math.round(imported.peakAnon / MiB), baseline: 'not run (--only)' };
  log(`  ${JSON.stringify(result.import)}`);

  if (wants('import')) {
    const stored = schema ? Object.values(await postgresTableBytes(OPTS.postgresUrl, schema)).reduce((a, b) => a + b, 0) : diskBytes(dir);
    result.stored = { bytes: stored, packBytes: pack.packBytes, ratio: ratio(stored, pack.packBytes) };
    log(`  stored ${JSON.stringify(result.stored)}`);
  }
}

/** `govc repo export` ÷ `git pack-objects --all`; the export's object count is checked. */
async function benchExport(uri: string, repo: string, pack: ReturnType<typeof packInfo>, work: string, env: NodeJS.ProcessEnv, result: Record<string, unknown>): Promise<void> {
  log(`${result.store}: govc repo export, git pack-objects --all (baseline)`);
  const out = join(work, 'export.git');
  rmSync(out, { recursive: true, force: true });
  const exported = await timed(process.execPath, [CLI, 'repo', 'export', 'repo', out, '--store', uri], env);
  const count = Number(/in-pack: (\d+)/.exec(execFileSync('git', ['count-objects', '-v'], { cwd: out, env }).toString())![1]);
  if (count !== pack.objects) throw new Error(`export holds ${count} objects, the repository ${pack.objects}`);
  rmSync(out, { recursive: true, force: true });
  const packDir = mkdtempSync(join(work, 'pack-objects-'));
  const packObjects = await timed('sh', ['-c', `git -C "${repo}" pack-objects --all --quiet "${packDir}/pack" </dev/null`], env);
  rmSync(packDir, { recursive: true, force: true });
  result.export = figure(exported, packObjects);
  log(`  ${JSON.stringify(result.export)}`);
}

/** A clone and a full fetch (those of `ops`) from a fresh `govc serve` each ÷ from git daemon. */
async function benchServe(ops: ReadonlyArray<'clone' | 'fetch'>, uri: string, repo: string, work: string, env: NodeJS.ProcessEnv, result: Record<string, unknown>, tokenFile: string): Promise<void> {
  log(`${result.store}: ${ops.join(' and ')} from govc serve and git daemon`);
  const root = join(work, 'daemon');
  mkdirSync(root, { recursive: true });
  rmSync(join(root, 'repo.git'), { force: true, recursive: true });
  execFileSync('ln', ['-s', repo, join(root, 'repo.git')]);
  const daemon = await gitDaemon(root, env);
  try {
    // The admin token is printed at the first start only: later starts (and runs reusing the store) reuse it.
    let token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
    for (const op of ops) {
      const govc = await govcServe(uri, work, token);
      token = govc.token;
      writeFileSync(tokenFile, token);
      let g;
      try {
        g = await serverRun(govc.repoUrl('repo'), op, work, env, govc.pid, false);
        g.serverPeakRss = Math.max(g.serverPeakRss, procStatusBytes(govc.pid, 'VmHWM') ?? 0);
      } finally {
        await govc.stop();
      }
      const d = await serverRun(`${daemon.url}/repo.git`, op, work, env, daemon.pid, true);
      if (g.refs !== d.refs) throw new Error(`${op}: govc gave ${g.refs} refs, git daemon ${d.refs}`);
      result[op] = { govcSeconds: g.seconds, daemonSeconds: d.seconds, ratio: ratio(g.seconds, d.seconds), govcServerPeakRssMiB: Math.round(g.serverPeakRss / MiB), govcServerPeakAnonMiB: Math.round(g.serverPeakAnon / MiB), daemonPeakRssMiB: Math.round(d.serverPeakRss / MiB), refs: g.refs };
      log(`  ${op} ${JSON.stringify(result[op])}`);
    }
  } finally {
    await daemon.stop();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'govc-scale-'));
  const home = join(work, 'home');
  mkdirSync(home);
  const env = gitEnv(home);
  const key = `large-c${OPTS.commits}-f${OPTS.files}-v1`;
  log(`repository ${key} (cache ${join(tmpdir(), 'govc-bench-scale')})`);
  const gen = await cached(join(tmpdir(), 'govc-bench-scale'), key, env, (repo) => generateLarge(repo, env, { commits: OPTS.commits, files: OPTS.files, logEvery: 20_000 }));
  const pack = packInfo(gen.repo, env);
  const repository = { ...pack, packMiB: Math.round(pack.packBytes / MiB), generatedSeconds: Math.round(gen.ms / 1000), reused: gen.reused };
  log(`repository: ${JSON.stringify(repository)}`);
  const results = [];
  if (!OPTS.generateOnly) for (const kind of OPTS.stores) results.push(await benchStore(kind, gen.repo, pack, work, env));
  if (OPTS.json) process.stdout.write(JSON.stringify({ repository, index: OPTS.index, only: [...OPTS.only], results }, null, 2) + '\n');
  else for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
  if (!OPTS.keep) for (const name of readdirSync(work)) rmSync(join(work, name), { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
