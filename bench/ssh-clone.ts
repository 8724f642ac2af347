/**
 * Issue 11, item 6: `git clone` over SSH against over smart HTTP, from the
 * same `govc serve` process, same run, interleaved; `git daemon` on the
 * same repository beside them as the reference.
 *
 *   npx tsc -p . && node dist/bench/ssh-clone.js [--commits 20000] [--files 400] [--runs 3]
 *     [--store sqlite|postgres] [--postgres-url postgres://postgres@127.0.0.1:5432/test] [--json] [--pack-cache]
 *
 * The repository is bench/pack-storage's history (generate.ts; 20000 commits
 * is about 150,000 objects), cached where bench/pack-storage.ts caches it.
 * Each clone is `git clone --bare`; SSH uses OpenSSH's client with a key
 * registered through the REST API, HTTP a token. A run's figure is the
 * median of its clones; the ratio is SSH ÷ HTTP. The clone pack cache is off
 * unless --pack-cache, so each clone runs the engine.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gitEnv } from '../support/git.js';
import { addKey, makeKey, sshEnv, startGovcWithSsh } from '../support/ssh.js';
import { postgresQuery } from './pack-storage/measure.js';
import { cached, generateHistory, packInfo } from './pack-storage/generate.js';
import { gitDaemon } from './pack-storage/servers.js';
import { CLI } from '../support/govc.js';


function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}
const OPTS = {
  commits: Number(arg('commits', '20000')),
  files: Number(arg('files', '400')),
  runs: Number(arg('runs', '3')),
  store: arg('store', 'sqlite'),
  postgresUrl: arg('postgres-url', process.env.GOVC_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
  json: process.argv.includes('--json'),
  /** Serve with the clone pack cache on (the default config): repeated clones then send the cached pack. */
  packCache: process.argv.includes('--pack-cache'),
};
if (!['sqlite', 'postgres'].includes(OPTS.store)) throw new Error('--store must be sqlite or postgres');

const log = (line: string) => process.stderr.write(`[ssh-clone ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { env, maxBuffer: 64 << 20, timeout: 30 * 60_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`${cmd} ${args.filter((a) => !a.includes('govc_')).join(' ')}: ${stderr || err.message}`)) : resolve(performance.now() - start),
    ),
  );
}

async function cloneMs(url: string, dest: string, env: NodeJS.ProcessEnv, expectMain: string): Promise<number> {
  rmSync(dest, { recursive: true, force: true });
  const ms = await run('git', ['clone', '-q', '--bare', url, dest], env);
  const main = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: dest, env }).toString().trim();
  rmSync(dest, { recursive: true, force: true });
  if (main !== expectMain) throw new Error(`clone from ${url.replace(/govc_[^@]*/, '***')} has main at ${main}, expected ${expectMain}`);
  return ms;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'govc-bench-ssh-'));
  const env = gitEnv(work);
  const stops: Array<() => Promise<void>> = [];
  try {
    const cacheRoot = join(tmpdir(), 'govc-bench-pack-storage');
    const key = `history-c${OPTS.commits}-f${OPTS.files}-v1`;
    log(`repository ${key} (cache ${cacheRoot})...`);
    const history = await cached(cacheRoot, key, env, (repo) => generateHistory(repo, env, { commits: OPTS.commits, files: OPTS.files }));
    const info = packInfo(history.repo, env);
    const tip = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: history.repo, env }).toString().trim();
    log(`repository: ${info.commits} commits, ${info.objects} objects, pack ${(info.packBytes / 2 ** 20).toFixed(1)} MiB`);

    let uri = `sqlite://${join(work, 'govc.db')}`;
    if (OPTS.store === 'postgres') {
      const schema = `bench_ssh_${process.pid}`;
      await postgresQuery(OPTS.postgresUrl, 'SELECT 1'); // fails early with the connection error
      stops.push(() => postgresQuery(OPTS.postgresUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`));
      uri = `${OPTS.postgresUrl}${OPTS.postgresUrl.includes('?') ? '&' : '?'}schema=${schema}`;
    }
    log(`importing into ${OPTS.store}...`);
    log(`imported in ${secs(await run(process.execPath, [CLI, 'repo', 'import', history.repo, '--store', uri, '--name', 'repo'], env))}`);

    const govc = await startGovcWithSsh(work, ['--store', uri, '--init-admin', 'bench'], { serverYaml: `  pack_cache: {enabled: ${OPTS.packCache}}\n` });
    stops.push(async () => void (await govc.stop()));
    const sshKey = await makeKey(work, 'bench_key');
    const added = await addKey(govc.url, govc.adminToken, 'bench', sshKey.publicKey);
    if (added.status !== 201) throw new Error(`adding the bench key: ${added.status} ${JSON.stringify(added.body)}`);
    const daemon = await gitDaemon(dirname(history.repo), env);
    stops.push(() => daemon.stop());

    const httpUrl = new URL(`${govc.url}/repo.git`);
    httpUrl.username = 'bench';
    httpUrl.password = govc.adminToken;
    const targets: Array<[string, string, NodeJS.ProcessEnv]> = [
      ['http', httpUrl.toString(), env],
      ['ssh', `${govc.sshUrl}/repo.git`, sshEnv(env, work, govc, sshKey.path)],
      ['git daemon', `${daemon.url}/${basename(history.repo)}`, env],
    ];
    const times = new Map<string, number[]>(targets.map(([name]) => [name, []]));
    for (let i = 0; i < OPTS.runs; i++) {
      for (const [name, url, e] of targets) {
        const ms = await cloneMs(url, join(work, 'clone.git'), e, tip);
        times.get(name)!.push(ms);
        log(`run ${i + 1}: ${name} ${secs(ms)}`);
      }
    }
    const med = Object.fromEntries([...times].map(([name, xs]) => [name, median(xs)]));
    const result = {
      store: OPTS.store,
      objects: info.objects,
      packBytes: info.packBytes,
      runs: OPTS.runs,
      clonesMs: Object.fromEntries(times),
      medianMs: med,
      sshOverHttp: Math.round((med.ssh / med.http) * 100) / 100,
      sshOverDaemon: Math.round((med.ssh / med['git daemon']) * 100) / 100,
      httpOverDaemon: Math.round((med.http / med['git daemon']) * 100) / 100,
    };
    if (OPTS.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(
        `git clone --bare of ${info.objects} objects (${(info.packBytes / 2 ** 20).toFixed(1)} MiB pack) from govc serve on ${OPTS.store}, median of ${OPTS.runs}:\n` +
          `  ssh ${secs(med.ssh)} | http ${secs(med.http)} | git daemon ${secs(med['git daemon'])}\n` +
          `  ssh/http ${result.sshOverHttp} | ssh/daemon ${result.sshOverDaemon} | http/daemon ${result.httpOverDaemon}\n`,
      );
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err) => log(`cleanup: ${(err as Error).message}`));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
