/**
 * Issue 11, the protocol engine's figures, each beside git's own servers in
 * the same run:
 *
 *   npx tsc -p . && node dist/bench/protocol.js [--commits 20000] [--files 400] [--runs 3]
 *     [--refs 10000] [--push-only] [--postgres-url postgres://postgres@127.0.0.1:5432/test]
 *
 *  - `git clone --bare --depth 1` and `--filter=blob:none` of the generated
 *    repository of bench/pack-storage (about 150,000 objects at the default
 *    size, cached in $TMPDIR/govc-bench-pack-storage as that bench caches it)
 *    from `govc serve` (SQLite store, `govc repo import`ed) ÷ from `git daemon`
 *    and ÷ from `git http-backend` (interleaved runs, medians)
 *  - a push of `--refs` new branches without --atomic to `govc serve` on
 *    SQLite and on PostgreSQL ÷ the same push to `git daemon`; with --atomic beside.
 *    Each also gives the server's CPU seconds during the push (/proc, children
 *    included for git daemon): over smart HTTP, git's own client spends most
 *    of the wall time (remote-curl hands `send-pack --stateless-rpc` one
 *    refspec per ref, matched against every ref: quadratic in the count),
 *    which git:// to git daemon does not.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from '../support/git.js';
import { cached, generateHistory, packInfo } from './pack-storage/generate.js';
import { postgresQuery, treeCpuSeconds } from './pack-storage/measure.js';
import { gitDaemon, govcServe, httpBackend } from './pack-storage/servers.js';
import { CLI } from '../support/govc.js';
import { addKey, makeKey, sshEnv, startGovcWithSsh } from '../support/ssh.js';


function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const OPTS = {
  commits: Number(arg('commits', '20000')),
  files: Number(arg('files', '400')),
  runs: Number(arg('runs', '3')),
  refs: Number(arg('refs', '10000')),
  /** Only the push of many refs (no repository, no clones). */
  pushOnly: process.argv.includes('--push-only'),
  postgresUrl: arg('postgres-url', process.env.GOVC_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
};

const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Wall time of `fn`, and the CPU seconds process `pid` spent meanwhile. */
async function withCpu(pid: number, fn: () => Promise<number>): Promise<{ ms: number; cpu: number }> {
  const before = treeCpuSeconds(pid);
  const ms = await fn();
  return { ms, cpu: treeCpuSeconds(pid) - before };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, cwd, maxBuffer: 256 << 20 }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr}`)) : resolve(performance.now() - start)));
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'govc-bench-protocol-'));
  const env = gitEnv(work);
  const stops: Array<() => Promise<void>> = [];
  const out: string[] = [];
  const served = join(work, 'served');
  try {
    if (!OPTS.pushOnly) await clones(work, env, served, stops, out);
    const daemon = await gitDaemon(served, env).catch(async () => {
      execFileSync('git', ['init', '-q', '--bare', join(served, 'repo.git')], { env });
      return gitDaemon(served, env);
    });
    stops.push(() => daemon.stop());
    await pushes(work, env, served, daemon, stops, out);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

async function clones(work: string, env: NodeJS.ProcessEnv, served: string, stops: Array<() => Promise<void>>, out: string[]): Promise<void> {
  {
    const cacheRoot = join(tmpdir(), 'govc-bench-pack-storage');
    const key = `history-c${OPTS.commits}-f${OPTS.files}-v1`;
    const history = await cached(cacheRoot, key, env, (repo) => generateHistory(repo, env, { commits: OPTS.commits, files: OPTS.files }));
    const info = packInfo(history.repo, env);
    log(`repository ${key}: ${info.commits} commits, ${info.objects} objects${history.reused ? ' (cached)' : ''}`);

    // git's servers serve a copy that allows filters.
    cpSync(history.repo, join(served, 'repo.git'), { recursive: true, verbatimSymlinks: true });
    const config = join(served, 'repo.git', 'config');
    const text = readFileSync(config, 'utf8');
    unlinkSync(config);
    writeFileSync(config, `${text}[uploadpack]\n\tallowFilter = true\n`);
    const daemon = await gitDaemon(served, env);
    const backend = await httpBackend(served);
    stops.push(() => backend.close());

    const sqlite = `sqlite://${join(work, 'govc.db')}`;
    const importMs = await run(process.execPath, [CLI, 'repo', 'import', history.repo, '--store', sqlite, '--name', 'repo', '--no-index'], env);
    log(`govc repo import into SQLite: ${secs(importMs)}`);
    const govc = await govcServe(sqlite, work);
    stops.push(() => govc.stop());

    const servers: Array<[string, string]> = [
      ['govc serve (SQLite)', govc.repoUrl('repo')],
      ['git daemon', `${daemon.url}/repo.git`],
      ['git http-backend', `${backend.url}/repo.git`],
    ];
    for (const [label, args] of [
      ['git clone --bare (full, for reference)', []],
      ['git clone --bare --depth 1', ['--depth', '1']],
      ['git clone --bare --filter=blob:none', ['--filter=blob:none']],
    ] as Array<[string, string[]]>) {
      const times = new Map<string, number[]>(servers.map(([name]) => [name, []]));
      for (let r = 0; r < OPTS.runs; r++) {
        for (const [name, url] of servers) {
          const dir = join(work, `clone-${r}`);
          times.get(name)!.push(await run('git', ['clone', '-q', '--bare', ...args, url, dir], env));
          rmSync(dir, { recursive: true, force: true });
        }
      }
      const [g, d, h] = servers.map(([name]) => median(times.get(name)!));
      out.push(`${label} (${info.objects} objects, median of ${OPTS.runs}): govc ${secs(g)}, git daemon ${secs(d)}, git http-backend ${secs(h)}; govc ÷ daemon ${(g / d).toFixed(2)}, ÷ http-backend ${(g / h).toFixed(2)}`);
      log(out[out.length - 1]);
    }
    await govc.stop();
    stops.pop();
    await daemon.stop();
  }
}

async function pushes(work: string, env: NodeJS.ProcessEnv, served: string, { url: daemonUrl, pid: daemonPid }: { url: string; pid: number }, stops: Array<() => Promise<void>>, out: string[]): Promise<void> {
  {
    // Many refs: a small repository whose `--refs` branches all point at its commits.
    const local = join(work, 'many');
    execFileSync('git', ['init', '-q', '-b', 'main', local], { env });
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'base'], { cwd: local, env });
    const tip = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: local, env, encoding: 'utf8' }).trim();
    const lines = Array.from({ length: OPTS.refs }, (_, i) => `create refs/heads/many/b${i} ${tip}\n`).join('');
    execFileSync('git', ['update-ref', '--stdin'], { cwd: local, env, input: lines });
    const pushTo = (url: string, atomic: boolean) => run('git', ['push', '-q', ...(atomic ? ['--atomic'] : []), url, 'refs/heads/many/*:refs/heads/many/*'], env, local);

    const baseline: Array<{ ms: number; cpu: number }> = [];
    for (const atomic of [false, true]) {
      const bare = join(served, `push-${atomic}.git`);
      execFileSync('git', ['init', '-q', '--bare', bare], { env });
      baseline.push(await withCpu(daemonPid, () => pushTo(`${daemonUrl}/push-${atomic}.git`, atomic)));
    }
    out.push(`push of ${OPTS.refs} new refs to git daemon: ${secs(baseline[0].ms)}, server CPU ${baseline[0].cpu.toFixed(2)} s (--atomic ${secs(baseline[1].ms)}, CPU ${baseline[1].cpu.toFixed(2)} s)`);
    log(out[out.length - 1]);
    const schema = `bench_protocol_${process.pid}`;
    const sep = OPTS.postgresUrl.includes('?') ? '&' : '?';
    await postgresQuery(OPTS.postgresUrl, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
    stops.push(() => postgresQuery(OPTS.postgresUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    for (const [name, uri] of [
      ['SQLite', `sqlite://${join(work, 'refs.db')}`],
      ['PostgreSQL', `${OPTS.postgresUrl}${sep}schema=${schema}`],
    ]) {
      const server = await govcServe(uri, work);
      const times: Array<{ ms: number; cpu: number }> = [];
      for (const atomic of [false, true]) {
        const repo = `refs-${atomic}`;
        const r = await fetch(`${server.url}/api/v1/repositories`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: repo }) });
        if (r.status !== 201) throw new Error(`creating ${repo}: ${r.status}`);
        times.push(await withCpu(server.pid, () => pushTo(server.repoUrl(repo), atomic)));
      }
      await server.stop();
      const [plain, atomic] = times;
      out.push(
        `push of ${OPTS.refs} new refs to govc serve (${name}) without --atomic: ${secs(plain.ms)} (÷ git daemon ${(plain.ms / baseline[0].ms).toFixed(2)}), server CPU ${plain.cpu.toFixed(2)} s (÷ daemon ${(plain.cpu / baseline[0].cpu).toFixed(2)}); ` +
          `with --atomic ${secs(atomic.ms)}, server CPU ${atomic.cpu.toFixed(2)} s`,
      );
      log(out[out.length - 1]);
    }

    // The same push over SSH: git's own send-pack gets the pattern refspec, as with git daemon.
    const govc = await startGovcWithSsh(work, ['--store', `sqlite://${join(work, 'refs-ssh.db')}`, '--init-admin', 'bench']);
    try {
      const key = await makeKey(work, 'bench_key');
      const added = await addKey(govc.url, govc.adminToken, 'bench', key.publicKey);
      if (added.status !== 201) throw new Error(`adding the bench key: ${added.status} ${JSON.stringify(added.body)}`);
      const r = await fetch(`${govc.url}/api/v1/repositories`, { method: 'POST', headers: { authorization: `Bearer ${govc.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'refs-ssh' }) });
      if (r.status !== 201) throw new Error(`creating refs-ssh: ${r.status}`);
      const ssh = sshEnv(env, work, govc, key.path);
      const t = await withCpu(govc.child.pid!, () => run('git', ['push', '-q', `${govc.sshUrl}/refs-ssh.git`, 'refs/heads/many/*:refs/heads/many/*'], ssh, local));
      out.push(`push of ${OPTS.refs} new refs to govc serve (SQLite) over SSH without --atomic: ${secs(t.ms)} (÷ git daemon ${(t.ms / baseline[0].ms).toFixed(2)}), server CPU ${t.cpu.toFixed(2)} s`);
      log(out[out.length - 1]);
    } finally {
      await govc.stop();
    }
  }
}

await main();
