/**
 * `git clone` from `govc serve` beside `git clone` from git's own servers
 * (`git http-backend` behind a tiny node CGI wrapper, and `git daemon`),
 * serving the same repository, in the same run.
 *
 *   node dist/bench/clone-vs-git.js [--commits 10000] [--runs 3] [--store memory://|sqlite://<path>]
 *
 * The repository is generated with `git fast-import` (commits touching one
 * file each, merges, tags), pushed to govc, and cloned from a bare copy by
 * git's servers. Each clone is `git clone --bare` into a fresh directory.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBigRepo } from '../support/big-repo.js';
import { gitEnv } from '../support/git.js';
import { freePort, httpBackend } from './pack-storage/servers.js';
import { CLI } from '../support/govc.js';

const execFileAsync = promisify(execFile);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function startGovc(store: string, cwd: string): Promise<{ url: string; token: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--store', store, '--port', '0', '--init-admin', 'bench'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /serving \S+ store on (http:\/\/\S+) /.exec(out);
      const t = /keep it\): (govc_\S+)/.exec(out);
      if (m && t) resolve({ url: m[1], token: t[1], child });
    });
    child.once('exit', (code) => reject(new Error(`govc serve exited ${code}: ${out}`)));
  });
}

/** Async: the http-backend wrapper runs in this process and must keep serving. */
async function timeClone(url: string, work: string, env: NodeJS.ProcessEnv, label: string, run: number): Promise<number> {
  const dest = join(work, `clone-${label}-${run}`);
  const start = performance.now();
  await execFileAsync('git', ['clone', '-q', '--bare', url, dest], { env });
  const ms = performance.now() - start;
  rmSync(dest, { recursive: true, force: true });
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const commits = Number(arg('commits', '10000'));
  const runs = Number(arg('runs', '3'));
  const work = mkdtempSync(join(tmpdir(), 'govc-bench-clone-'));
  const store = arg('store', 'memory://').replace('<tmp>', work);
  const env = gitEnv(work);
  const children: ChildProcess[] = [];
  const servers: Array<{ close(): Promise<void> }> = [];
  try {
    const src = join(work, 'src');
    execFileSync('mkdir', ['-p', src]);
    let t = performance.now();
    await makeBigRepo(src, env, commits);
    const objects = execFileSync('git', ['rev-list', '--all', '--objects'], { cwd: src, env, maxBuffer: 1 << 30 }).toString().trim().split('\n').length;
    console.log(`repository: ${commits} commits (+ merges), ${objects} objects, generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const root = join(work, 'served');
    execFileSync('mkdir', ['-p', root]);
    execFileSync('git', ['clone', '-q', '--mirror', src, join(root, 'repo.git')], { env });
    execFileSync('git', ['gc', '-q'], { cwd: join(root, 'repo.git'), env });

    const govc = await startGovc(store, work);
    children.push(govc.child);
    await fetch(`${govc.url}/api/v1/repositories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${govc.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'repo' }),
    });
    const pushUrl = new URL(`${govc.url}/repo.git`);
    pushUrl.username = 'bench';
    pushUrl.password = govc.token;
    t = performance.now();
    execFileSync('git', ['push', '-q', '--mirror', pushUrl.toString()], { cwd: join(root, 'repo.git'), env, stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`push to govc serve (${store}): ${((performance.now() - t) / 1000).toFixed(2)} s`);

    const backend = await httpBackend(root);
    servers.push(backend);
    const daemonPort = await freePort();
    const daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${root}`, `--port=${daemonPort}`, '--listen=127.0.0.1', root], {
      env,
      stdio: 'ignore',
    });
    children.push(daemon);
    await new Promise((r) => setTimeout(r, 500));

    const targets: Array<[string, string]> = [
      [`govc serve (${store.split('://')[0]})`, `${govc.url}/repo.git`],
      ['git http-backend (CGI)', `${backend.url}/repo.git`],
      ['git daemon', `git://127.0.0.1:${daemonPort}/repo.git`],
    ];
    const times = new Map<string, number[]>(targets.map(([label]) => [label, []]));
    // Interleaved runs, so drift (cache, CPU) affects every server alike.
    for (let run = 0; run < runs; run++) for (const [label, url] of targets) times.get(label)!.push(await timeClone(url, work, env, label.replace(/\W+/g, '-'), run));
    console.log(`\ngit clone --bare, ${runs} runs each (median, then all runs, ms):`);
    const base = median(times.get('git http-backend (CGI)')!);
    for (const [label] of targets) {
      const xs = times.get(label)!;
      console.log(`  ${label.padEnd(26)} ${median(xs).toFixed(0).padStart(7)} ms   x${(median(xs) / base).toFixed(2)} of http-backend   [${xs.map((x) => x.toFixed(0)).join(', ')}]`);
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    for (const s of servers) await s.close();
    await new Promise((r) => setTimeout(r, 300));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
