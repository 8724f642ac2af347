/**
 * Time to import a repository of 100,000+ objects into SQLite, beside
 * `git index-pack` on the same pack, in the same run.
 *
 *   npx tsc -p . && node dist/bench/import-vs-index-pack.js [--commits 16000] [--files 10000] [--keep]
 *
 * The repository is generated with `git fast-import` (fast), then repacked
 * into one pack like a clone would hold. Measured:
 *   - git index-pack on a copy of that pack (default threads, and --threads=1)
 *   - govc import into the memory store (the cost of reading the pack, without a database)
 *   - govc import (objects + refs) into a fresh SQLite store, without the commit index
 *   - govc import with the commit index (what `govc repo import` does by default)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../src/datastore/builtin.js';
import { importRepository } from '../src/git/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const COMMITS = arg('commits', 16_000);
const FILES = arg('files', 10_000);
const DIRS = Math.max(1, Math.round(FILES / 20));
const KEEP = process.argv.includes('--keep');
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };

function git(cwd: string, args: string[], input?: Buffer): string {
  return execFileSync('git', args, { cwd, input, env: ENV, maxBuffer: 1 << 30 }).toString();
}

/** A fast-import stream: one commit adding FILES files in DIRS directories, then COMMITS-1 commits each changing two files. */
function fastImportStream(): Buffer {
  const parts: string[] = [];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const path = (i: number) => `dir${String(i % DIRS).padStart(4, '0')}/file${String(i).padStart(6, '0')}.txt`;
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const authors = ['Ada <ada@example.com>', 'Grace <grace@example.com>', 'Alan <alan@example.com>', 'Edsger <edsger@example.com>'];
  let time = 1_600_000_000;
  for (let c = 0; c < COMMITS; c++) {
    time += 60 + rand(600);
    const who = authors[rand(authors.length)];
    parts.push(`commit refs/heads/main\nmark :${c + 1}\nauthor ${who} ${time} +0000\ncommitter ${who} ${time} +0000\n${data(`commit ${c}`)}`);
    if (c > 0) parts.push(`from :${c}\n`);
    if (c === 0) {
      for (let f = 0; f < FILES; f++) parts.push(`M 100644 inline ${path(f)}\n${data(`file ${f}\n${'initial content line\n'.repeat(3)}`)}`);
    } else {
      for (let k = 0; k < 2; k++) {
        const f = rand(FILES);
        parts.push(`M 100644 inline ${path(f)}\n${data(`file ${f}\nchanged in commit ${c}\n${'content line\n'.repeat(3 + (c % 5))}`)}`);
      }
    }
    parts.push('\n');
    if (c % 1000 === 999) parts.push(`reset refs/tags/v${c + 1}\nfrom :${c + 1}\n\n`);
  }
  return Buffer.from(parts.join(''));
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'govc-bench-'));
  try {
    const repo = join(root, 'repo.git');
    git(root, ['init', '-q', '--bare', repo]);
    const [, genMs] = time(() => git(repo, ['fast-import', '--quiet'], fastImportStream()));
    const [, repackMs] = time(() => git(repo, ['repack', '-a', '-d', '-q']));
    const packDir = join(repo, 'objects', 'pack');
    const packName = readdirSync(packDir).find((n) => n.endsWith('.pack'))!;
    const packPath = join(packDir, packName);
    const objects = Number(/in-pack: (\d+)/.exec(git(repo, ['count-objects', '-v']))![1]);
    const packMb = statSync(packPath).size / 1e6;
    process.stdout.write(`repository: ${COMMITS} commits, ${objects} objects, pack ${packMb.toFixed(1)} MB (generated in ${seconds(genMs)}s, repacked in ${seconds(repackMs)}s)\n`);

    const scratch = join(root, 'scratch');
    mkdirSync(scratch);
    const indexPack = (threads?: number): number => {
      const copy = join(scratch, `copy-${threads ?? 'default'}.pack`);
      copyFileSync(packPath, copy);
      const args = ['index-pack', ...(threads ? [`--threads=${threads}`] : []), '-o', copy.replace(/\.pack$/, '.idx'), copy];
      const [r, ms] = time(() => spawnSync('git', args, { env: ENV }));
      if (r.status !== 0) throw new Error(`git index-pack failed: ${r.stderr}`);
      return ms;
    };
    const gitDefault = indexPack();
    const gitOne = indexPack(1);

    const importInto = async (label: string, index: boolean, memory = false) => {
      const dir = join(root, `store-${label}`);
      mkdirSync(dir);
      const store = await createStore(memory ? 'memory://' : `sqlite://${join(dir, 'govc.db')}`);
      try {
        const [r, ms] = await timeAsync(() => importRepository(store, repo, { name: 'bench', index }));
        if (r.objectsAdded !== objects) throw new Error(`imported ${r.objectsAdded} objects, expected ${objects}`);
        const [again, againMs] = await timeAsync(() => importRepository(store, repo, { name: 'bench', index }));
        if (again.objectsAdded !== 0) throw new Error('re-import added objects');
        return { ms, againMs, commitsIndexed: r.commitsIndexed, dbMb: memory ? 0 : statSync(join(dir, 'govc.db')).size / 1e6 };
      } finally {
        await store.close();
      }
    };
    const inMemory = await importInto('memory', false, true);
    const plain = await importInto('plain', false);
    const indexed = await importInto('indexed', true);

    const rows: Array<[string, number, string]> = [
      ['git index-pack (default threads)', gitDefault, ''],
      ['git index-pack --threads=1', gitOne, ''],
      ['govc import -> memory:// (reference), --no-index', inMemory.ms, `re-import ${seconds(inMemory.againMs)}s`],
      ['govc import -> SQLite, objects + refs (--no-index)', plain.ms, `db ${plain.dbMb.toFixed(1)} MB; re-import ${seconds(plain.againMs)}s`],
      ['govc import -> SQLite, + commit index (default)', indexed.ms, `${indexed.commitsIndexed} commits indexed; db ${indexed.dbMb.toFixed(1)} MB; re-import ${seconds(indexed.againMs)}s`],
    ];
    for (const [label, ms, note] of rows) {
      process.stdout.write(`${label.padEnd(52)} ${seconds(ms).padStart(8)}s  ${(ms / gitDefault).toFixed(1).padStart(6)}x  ${Math.round(objects / (ms / 1000))} obj/s  ${note}\n`);
    }
  } finally {
    if (KEEP) process.stdout.write(`kept ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  }
}

await main();
