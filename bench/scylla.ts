#!/usr/bin/env node
/**
 * The scylla store's figures, each beside its baseline in the same run, on a
 * throwaway single Apache Cassandra node (or `--uri` of a running one):
 *
 *   npx tsc -p . && node dist/bench/scylla.js [--objects 2000] [--commits 2000] [--files 100] [--runs 3] [--uri scylla://host:port/ks]
 *
 * 1. `govc datastore bench` on the store beside a plain cassandra-driver loop
 *    doing the same work in the same layout (bench/compare.ts with
 *    bench/baselines/scylla-raw.ts): put, get, has, batch put, list, ref CAS,
 *    transaction.
 * 2. A generated repository (bench/pack-storage/generate.ts, cached in
 *    $TMPDIR/govc-bench-pack-storage): `govc repo import` into the store beside
 *    `git index-pack` of its pack, then `git clone --bare` through `govc serve`
 *    beside `git daemon` (interleaved runs, medians).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStore } from '../src/datastore/index.js';
import { gitEnv } from '../support/git.js';
import { startCassandraNode } from '../support/cassandra-nodes.js';
import { cached, generateHistory, packInfo } from './pack-storage/generate.js';
import { gitDaemon, govcServe } from './pack-storage/servers.js';
import { CLI } from '../support/govc.js';

const COMPARE = fileURLToPath(new URL('./compare.js', import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}
const num = (name: string, fallback: number) => {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const OPTS = { objects: num('objects', 2000), commits: num('commits', 2000), files: num('files', 100), runs: num('runs', 3), uri: arg('uri', '') };

const log = (line: string) => process.stderr.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function timed(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ ms: performance.now() - start, stdout });
    });
  });
}

async function cloneMs(url: string, dest: string, env: NodeJS.ProcessEnv, expectMain: string): Promise<number> {
  rmSync(dest, { recursive: true, force: true });
  const r = await timed('git', ['clone', '-q', '--bare', url, dest], { env });
  const main = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: dest, env }).toString().trim();
  rmSync(dest, { recursive: true, force: true });
  if (main !== expectMain) throw new Error(`clone from ${url} has main at ${main}, expected ${expectMain}`);
  return r.ms;
}

async function main(): Promise<void> {
  const node = OPTS.uri ? undefined : await startCassandraNode();
  const base = OPTS.uri || `scylla://${node!.node.contactPoint}/govc_bench`;
  const sep = base.includes('?') ? '&' : '?';
  const work = mkdtempSync(join(tmpdir(), 'govc-bench-scylla-'));
  try {
    log(`1. govc datastore bench beside the raw cassandra-driver loop, ${OPTS.objects} objects`);
    const benchStore = `${base}${sep}namespace=bench_${Date.now()}`;
    // Keyspace and tables first: compare's health check allows 15 s, which a schema on a busy node can take.
    await (await createStore(benchStore)).close();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [COMPARE, '--store', benchStore, '--objects', String(OPTS.objects)], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`compare exited with ${code}`))));
    });

    const env = gitEnv(work);
    const key = `history-c${OPTS.commits}-f${OPTS.files}-v1`;
    const history = await cached(join(tmpdir(), 'govc-bench-pack-storage'), key, env, (repo) => generateHistory(repo, env, { commits: OPTS.commits, files: OPTS.files }));
    const info = packInfo(history.repo, env);
    log(`\n2. repository ${key}: ${info.commits} commits, ${info.objects} objects, pack ${(info.packBytes / 1024 / 1024).toFixed(1)} MiB`);
    const served = join(work, 'served');
    mkdirSync(served);
    execFileSync('git', ['clone', '-q', '--mirror', '--local', history.repo, join(served, 'repo.git')], { env });
    const tip = execFileSync('git', ['rev-parse', 'refs/heads/main'], { cwd: history.repo, env }).toString().trim();

    const indexPack: number[] = [];
    for (let i = 0; i < OPTS.runs; i++) {
      const copy = join(work, 'copy.pack');
      rmSync(copy, { force: true });
      rmSync(join(work, 'copy.idx'), { force: true });
      copyFileSync(info.packPath, copy);
      indexPack.push((await timed('git', ['index-pack', '-o', join(work, 'copy.idx'), copy], { env })).ms);
    }
    const store = `${base}${sep}namespace=import_${Date.now()}`;
    const imported = await timed(process.execPath, [CLI, 'repo', 'import', history.repo, '--store', store, '--name', 'repo'], { cwd: work });
    log(`   ${imported.stdout.trim()}`);
    log(`   import: govc ${secs(imported.ms)}, git index-pack ${secs(median(indexPack))} (median of ${OPTS.runs}): ${(imported.ms / median(indexPack)).toFixed(2)}x`);

    const daemon = await gitDaemon(served, env);
    const govc = await govcServe(store, work);
    try {
      const t = { govc: [] as number[], daemon: [] as number[] };
      for (let i = 0; i < OPTS.runs; i++) {
        t.govc.push(await cloneMs(govc.repoUrl('repo'), join(work, 'clone.git'), env, tip));
        t.daemon.push(await cloneMs(`${daemon.url}/repo.git`, join(work, 'clone.git'), env, tip));
      }
      log(`   clone: govc serve ${secs(median(t.govc))}, git daemon ${secs(median(t.daemon))} (medians of ${OPTS.runs}): ${(median(t.govc) / median(t.daemon)).toFixed(2)}x`);
    } finally {
      await govc.stop();
      await daemon.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    await node?.stop();
  }
}

await main();
