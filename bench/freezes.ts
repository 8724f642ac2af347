/**
 * Issue 19, item 3's figures: the three requests that froze `govc serve`, at
 * full size, against a server started from a given build, with /api/v1/health
 * polled meanwhile.
 *
 *   npx tsc -p . && node dist/bench/freezes.js [--build <dir>] [--attack bomb,chain,branches] [--timeout 120]
 *                                              [--max-commands <n>] [--label <text>]
 *
 * `--build <dir>`: a checkout holding dist/src/cli/main.js (default: this
 * one), so the same bench runs old code ("before") and new ("after").
 * `--max-commands <n>`: serve with server.limits.max_commands = n (the new
 * code refuses more than 10,000 commands by default; the old code has no
 * such setting, so leave it out for the old build).
 *
 * Each attack gets its own server (SQLite store in a temp dir) and repository:
 *  - bomb: a 185-byte delta bomb (a 64 KiB blob, a ref-delta copying it 14,400
 *    times) that makes a 900 MiB object;
 *  - chain: 2,000 ref-deltas, each before its base (a chain resolved from its far end);
 *  - branches: one push of 30,000 branch creations into a repository whose HEAD is unborn.
 * While it runs, GET /api/v1/health is sent every 20 ms (after the previous
 * answer); reported: its worst and p99 latency (a request still waiting when
 * the attack ends counts with its wait so far), the attack's duration and
 * outcome, and the server's peak RSS (VmHWM, read just before it is stopped).
 * An attack still running after --timeout seconds is abandoned and reported as
 * "> timeout". FREEZES_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p") is
 * passed to the server's node, to see where a stall comes from.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bombPack, branchesBody, chainPack, pushBody } from '../support/attack-packs.js';
import { zeroId } from '../src/datastore/hash.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const HERE = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BUILD = resolve(arg('build') ?? HERE);
const CLI = join(BUILD, 'dist/src/cli/main.js');
const ATTACKS = (arg('attack') ?? 'bomb,chain,branches').split(',');
const TIMEOUT_MS = Number(arg('timeout') ?? 120) * 1000;
const MAX_COMMANDS = arg('max-commands');
const LABEL = arg('label') ?? BUILD;
const POLL_MS = 20;

interface Server {
  url: string;
  token: string;
  pid: number;
  stop(): Promise<void>;
}

async function startServer(dir: string): Promise<Server> {
  const args = [...(process.env.FREEZES_NODE_ARGS?.split(' ').filter(Boolean) ?? []), CLI, 'serve', '--store', `sqlite://${join(dir, 'govc.db')}`, '--port', '0', '--init-admin', 'admin'];
  if (MAX_COMMANDS) {
    writeFileSync(join(dir, 'govc.yaml'), `server:\n  limits:\n    max_commands: ${MAX_COMMANDS}\n`);
    args.push('--config', join(dir, 'govc.yaml'));
  }
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`govc serve did not start:\n${out}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /serving \S+ store on (http:\/\/\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    void exited.then(() => reject(new Error(`govc serve exited:\n${out}`)));
  });
  const token = /token \(shown once, keep it\): (govc_\S+)/.exec(out)?.[1];
  if (!token) throw new Error(`no admin token in:\n${out}`);
  return {
    url,
    token,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Peak resident set size of `pid` in MiB (VmHWM). */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Attack {
  name: string;
  describe: string;
  body: Buffer<ArrayBuffer>;
}

function buildAttack(name: string): Attack {
  if (name === 'bomb') {
    const { pack, bombOnly, commit, resultBytes } = bombPack(14_400);
    return { name, describe: `delta bomb: ${bombOnly.length} bytes making ${resultBytes / 2 ** 20} MiB (pack ${pack.length} bytes with tree and commit)`, body: pushBody(zeroId(), commit, 'refs/heads/main', pack) };
  }
  if (name === 'chain') {
    const { pack, commit } = chainPack(2000);
    return { name, describe: `2,000 ref-deltas before their bases (pack ${pack.length} bytes)`, body: pushBody(zeroId(), commit, 'refs/heads/main', pack) };
  }
  if (name === 'branches') {
    const { body } = branchesBody(30_000);
    return { name, describe: `30,000 branch creations, unborn HEAD (body ${body.length} bytes)`, body };
  }
  throw new Error(`unknown attack ${name} (bomb, chain, branches)`);
}

/** The receive-pack report in a few words: unpack status, ok/ng counts, the first refusal. */
function outcome(report: string): string {
  const unpack = /unpack ([^\n]*)\n/.exec(report)?.[1] ?? '?';
  const ok = report.match(/^[0-9a-f]{4}ok /gm)?.length ?? 0;
  const ng = [...report.matchAll(/ng (\S+) ([^\n]*)\n/g)];
  const parts = [`unpack ${unpack.length > 140 ? unpack.slice(0, 140) + '…' : unpack}`, `${ok} ok`, `${ng.length} ng`];
  if (ng.length) parts.push(`first ng: ${ng[0][2].slice(0, 100)}`);
  if (!/unpack /.test(report)) parts.push(`report: ${JSON.stringify(report.slice(0, 200))}`);
  return parts.join('; ');
}

async function run(name: string): Promise<Record<string, string | number>> {
  const attack = buildAttack(name);
  const dir = mkdtempSync(join(tmpdir(), 'govc-freezes-'));
  const server = await startServer(dir);
  try {
    const created = await fetch(`${server.url}/api/v1/repositories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'target' }),
    });
    if (created.status !== 201) throw new Error(`creating the repository: ${created.status} ${await created.text()}`);

    const latencies: number[] = [];
    let open: number | undefined;
    let done = false;
    const poller = (async () => {
      while (!done) {
        const t0 = performance.now();
        open = t0;
        try {
          const res = await fetch(`${server.url}/api/v1/health`, { signal: AbortSignal.timeout(TIMEOUT_MS + 10_000) });
          await res.text();
        } catch {
          /* the server was stopped under it */
        }
        open = undefined;
        if (!done) latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();

    const started = performance.now();
    let result: string;
    let timedOut = false;
    try {
      const res = await fetch(`${server.url}/target.git/git-receive-pack`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-git-receive-pack-request', authorization: `Bearer ${server.token}` },
        body: attack.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      result = `HTTP ${res.status}; ${outcome(await res.text())}`;
    } catch (err) {
      timedOut = (err as Error).name === 'TimeoutError';
      result = timedOut ? `still running after ${TIMEOUT_MS / 1000} s (abandoned)` : `failed: ${(err as Error).message}`;
    }
    const duration = performance.now() - started;
    if (open !== undefined) latencies.push(performance.now() - open);
    done = true;
    const rss = peakRss(server.pid);
    await server.stop();
    await poller;
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? NaN;
    return {
      attack: attack.describe,
      duration: timedOut ? `> ${TIMEOUT_MS / 1000} s` : `${(duration / 1000).toFixed(2)} s`,
      healthMax: `${timedOut ? '> ' : ''}${sorted.at(-1)?.toFixed(0)} ms`,
      healthP99: `${p99.toFixed(0)} ms`,
      healthRequests: sorted.length,
      peakRssMiB: Math.round(rss),
      outcome: result,
    };
  } finally {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(CLI)) throw new Error(`${CLI} not found: build ${BUILD} first (npx tsc -p tsconfig.json)`);
console.log(`# freezes: ${LABEL} (${CLI})${MAX_COMMANDS ? `, server.limits.max_commands ${MAX_COMMANDS}` : ''}, health every ${POLL_MS} ms, timeout ${TIMEOUT_MS / 1000} s`);
console.log('| attack | duration | /health max | /health p99 | health requests | peak RSS | outcome |');
console.log('|---|---|---|---|---|---|---|');
for (const name of ATTACKS) {
  const r = await run(name);
  console.log(`| ${r.attack} | ${r.duration} | ${r.healthMax} | ${r.healthP99} | ${r.healthRequests} | ${r.peakRssMiB} MiB | ${r.outcome} |`);
}
