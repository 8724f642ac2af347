/**
 * The repositories of bench/pack-storage.ts, generated with `git fast-import`
 * (streamed, so a large history never sits in memory as one string):
 *
 * - history: `commits` commits of small edits (a line changed, inserted,
 *   deleted, or a few appended) to 1-3 of `files` text files in nested
 *   directories, edits skewed towards hot files, some files growing; a side
 *   branch of 1-4 commits merged back every 50 commits (every 7th left
 *   unmerged as a topic branch), release branches, annotated tags every 300
 *   commits and lightweight tags every 1000, and six binary-ish files of
 *   1-10 MB with three versions each. Then `git repack -a -d -f` (fast-import
 *   deltas a blob only against the one before it in the stream, and gc keeps
 *   what it finds) and `git gc`: one pack, git's defaults.
 * - big: about `mb` MB of incompressible blobs (8 MB files of random bytes,
 *   a quarter of them with a second, slightly changed version: a delta), in
 *   a few commits: the large pack for the memory figures. Each second version
 *   follows its first in the stream, so fast-import's pack has the deltas,
 *   and `git gc` keeps them (and spends no delta search on random megabytes).
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Deterministic PRNG (mulberry32). */
export class Rand {
  constructor(private seed: number) {}
  next(): number {
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const WORDS = ('value count index buffer result config store object entry commit tree blob delta base size offset ' +
  'length parse write read update merge branch tag ref name path options error stream chunk header packet ' +
  'request response server client cache limit timeout retry batch query filter order page cursor').split(' ');

export function codeLine(r: Rand): string {
  const indent = '  '.repeat(r.int(4));
  switch (r.int(6)) {
    case 0: return `${indent}const ${r.pick(WORDS)}${r.int(100)} = ${r.pick(WORDS)}.${r.pick(WORDS)}(${r.pick(WORDS)}, ${r.int(10000)});`;
    case 1: return `${indent}if (${r.pick(WORDS)} > ${r.int(1000)}) return ${r.pick(WORDS)}(${r.pick(WORDS)});`;
    case 2: return `${indent}// ${r.pick(WORDS)} the ${r.pick(WORDS)} before ${r.pick(WORDS)} ${r.pick(WORDS)}`;
    case 3: return `${indent}${r.pick(WORDS)}.${r.pick(WORDS)} += ${r.pick(WORDS)}.length * ${r.int(64)};`;
    case 4: return `${indent}export function ${r.pick(WORDS)}${r.int(1000)}(${r.pick(WORDS)}: number): string {`;
    default: return `${indent}}`;
  }
}

/** Binary-ish bytes: random runs, zero/small-int runs and ASCII, about half compressible. */
export function binaryish(r: Rand, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += 64) {
    const kind = r.int(10);
    const end = Math.min(size, at + 64);
    if (kind < 4) for (let i = at; i < end; i++) out[i] = r.int(256);
    else if (kind < 7) for (let i = at; i < end; i += 4) out[i] = r.int(16);
    else out.write(`${r.pick(WORDS)}_${r.pick(WORDS)}:${r.int(1e6)};`.repeat(8).slice(0, end - at), at, 'latin1');
  }
  return out;
}

/** Feeds chunks to `git fast-import` with backpressure. */
export async function fastImport(repo: string, env: NodeJS.ProcessEnv, produce: (write: (s: string | Buffer) => Promise<void>) => Promise<void>): Promise<void> {
  const child = spawn('git', ['-c', 'fastimport.unpackLimit=0', 'fast-import', '--quiet', '--done'], { cwd: repo, env, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stdin = child.stdin!;
  let failed: Error | undefined;
  stdin.on('error', (err) => (failed = err));
  const write = async (s: string | Buffer) => {
    if (failed) throw new Error(`fast-import: ${failed.message}: ${stderr}`);
    if (!stdin.write(s)) await new Promise<void>((resolve) => stdin.once('drain', resolve));
  };
  await produce(write);
  await write('done\n');
  stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import exited ${code}: ${stderr}`);
}

export const data = (s: string | Buffer) => `data ${Buffer.byteLength(s)}\n`;

export interface HistoryParams {
  commits: number;
  files: number;
}

/** Writes the history repository (bare) into `repo`. */
export async function generateHistory(repo: string, env: NodeJS.ProcessEnv, p: HistoryParams): Promise<void> {
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', repo], { env });
  const r = new Rand(20240610);
  const dirs = ['src', 'src/git', 'src/git/pack', 'src/server', 'src/store', 'lib', 'lib/util', 'test', 'test/unit', 'docs', 'tools', 'web/app'];
  const paths: string[] = [];
  for (let i = 0; i < p.files; i++) {
    const dir = dirs[i % dirs.length];
    const sub = i % 3 === 0 ? `${dir}/mod${i % 17}` : dir;
    paths.push(`${sub}/${WORDS[i % WORDS.length]}-${i}.${i % 5 === 0 ? 'md' : 'ts'}`);
  }
  const growing = new Set(paths.filter((_, i) => i % 20 === 7));
  const content = paths.map(() => Array.from({ length: 20 + r.int(100) }, () => codeLine(r)));
  const authors = ['Ada Lovelace <ada@example.com>', 'Grace Hopper <grace@example.com>', 'Alan Turing <alan@example.com>', 'Edsger Dijkstra <edsger@example.com>', 'Barbara Liskov <barbara@example.com>'];
  let time = 1_500_000_000;
  let mark = 0;
  const hot = () => Math.floor(Math.pow(r.next(), 2) * p.files);

  const edit = (f: number): void => {
    const lines = content[f];
    if (growing.has(paths[f])) {
      if (lines.length < 3000) for (let k = 2 + r.int(8); k > 0; k--) lines.push(codeLine(r));
      return;
    }
    const at = r.int(lines.length);
    const op = r.int(10);
    if (op < 5) lines[at] = codeLine(r);
    else if (op < 8) lines.splice(at, 0, ...Array.from({ length: 1 + r.int(3) }, () => codeLine(r)));
    else if (lines.length > 10) lines.splice(at, 1);
    else lines.push(codeLine(r));
  };
  const fileCommand = (f: number) => {
    const body = content[f].join('\n') + '\n';
    return `M 100644 inline ${paths[f]}\n${data(body)}${body}\n`;
  };
  const header = (ref: string, message: string) => {
    time += 30 + r.int(3000);
    const who = r.pick(authors);
    const m = ++mark;
    return { m, text: `commit ${ref}\nmark :${m}\nauthor ${who} ${time} +0000\ncommitter ${who} ${time} +0000\n${data(message)}${message}\n` };
  };

  // Large binary-ish files: six, 1-10 MB, three versions each, added and changed at spread-out commits.
  const bigSizes = [1, 2, 3, 5, 8, 10].map((mb) => mb * 1024 * 1024);
  const bigFiles = bigSizes.map((size) => binaryish(r, size));
  const bigEvents: Array<{ at: number; file: number }> = [];
  bigSizes.forEach((_, i) => {
    for (let v = 0; v < 3; v++) bigEvents.push({ at: Math.floor(((i + 1 + v * 6) / 19) * p.commits), file: i });
  });
  bigEvents.sort((a, b) => a.at - b.at);

  await fastImport(repo, env, async (write) => {
    let main = 0;
    // The initial commit holds every text file.
    const first = header('refs/heads/main', 'Initial import\n');
    await write(first.text);
    for (let f = 0; f < p.files; f++) await write(fileCommand(f));
    await write('\n');
    main = first.m;
    let sideCount = 0;
    for (let c = 1; c < p.commits; c++) {
      if (c % 50 === 0 && c + 6 < p.commits) {
        // A side branch of 1-4 commits from main, one more commit on main, then the merge (or a topic branch left open).
        sideCount++;
        const open = sideCount % 7 === 0;
        const branch = `refs/heads/${open ? 'topic' : 'feature'}/${sideCount}`;
        const changed = new Map<number, string[]>();
        let side = 0;
        const n = 1 + r.int(4);
        for (let k = 0; k < n; k++, c++) {
          const h = header('refs/heads/side-work', `feature ${sideCount}: step ${k + 1}\n`);
          await write(h.text + `from :${side || main}\n`);
          for (let j = 1 + r.int(2); j > 0; j--) {
            const f = hot();
            if (!changed.has(f)) changed.set(f, [...content[f]]);
            const saved = content[f];
            content[f] = changed.get(f)!;
            edit(f);
            await write(fileCommand(f));
            content[f] = saved;
          }
          await write('\n');
          side = h.m;
        }
        if (open) {
          // Left open: its edits never reach main.
          await write(`reset ${branch}\nfrom :${side}\n\n`);
          continue;
        }
        let f = hot();
        while (changed.has(f)) f = (f + 1) % p.files;
        const between = header('refs/heads/main', `fix ${r.pick(WORDS)} in ${paths[f]}\n`);
        edit(f);
        await write(between.text + `from :${main}\n` + fileCommand(f) + '\n');
        const merge = header('refs/heads/main', `Merge branch '${branch.slice('refs/heads/'.length)}'\n`);
        await write(merge.text + `from :${between.m}\nmerge :${side}\n`);
        for (const [g, lines] of changed) {
          content[g] = lines;
          await write(fileCommand(g));
        }
        await write('\n');
        main = merge.m;
        // Merged branches stay as refs only now and then, as a real repository keeps a few.
        if (sideCount % 5 === 0) await write(`reset ${branch}\nfrom :${side}\n\n`);
        continue;
      }
      const h = header('refs/heads/main', `${r.pick(['fix', 'add', 'update', 'refactor', 'docs:'])} ${r.pick(WORDS)} ${r.pick(WORDS)}\n`);
      await write(h.text + `from :${main}\n`);
      const touched = new Set<number>();
      for (let j = 1 + r.int(3); j > 0; j--) touched.add(hot());
      for (const f of touched) {
        edit(f);
        await write(fileCommand(f));
      }
      while (bigEvents.length > 0 && bigEvents[0].at <= c) {
        const big = bigEvents.shift()!.file;
        const buf = bigFiles[big];
        for (let k = 0; k < 4; k++) binaryish(r, 4096).copy(buf, r.int(buf.length - 4096));
        await write(`M 100644 inline assets/blob-${big}.bin\n${data(buf)}`);
        await write(buf);
        await write('\n');
      }
      await write('\n');
      main = h.m;
      // Never at a multiple of 50 (those start side branches).
      if (c % 300 === 17) await write(`tag v${Math.floor(c / 300)}.0\nfrom :${main}\ntagger ${authors[0]} ${time} +0000\n${data(`release ${Math.floor(c / 300)}.0\n`)}release ${Math.floor(c / 300)}.0\n\n`);
      if (c % 1000 === 333) await write(`reset refs/tags/snapshot-${c}\nfrom :${main}\n\n`);
      if (c % 5000 === 2777) await write(`reset refs/heads/release/${Math.floor(c / 5000) + 1}\nfrom :${main}\n\n`);
    }
  });
  git(repo, env, ['update-ref', '-d', 'refs/heads/side-work']);
  // fast-import deltas a blob only against the blob before it in the stream, and
  // gc keeps the representations it finds: one full delta search first, as a
  // repository that grew by pushes and gc would have, then the issue's `git gc`.
  git(repo, env, ['repack', '-a', '-d', '-f', '-q']);
  git(repo, env, ['gc', '-q']);
}

/** Writes about `mb` MB of incompressible blobs of `fileMb` MiB each into `repo` (bare); every fourth has a second version, a delta. */
export async function generateBig(repo: string, env: NodeJS.ProcessEnv, mb: number, fileMb = 8): Promise<void> {
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', repo], { env });
  const files = Math.max(1, Math.round(mb / fileMb));
  const r = new Rand(99);
  await fastImport(repo, env, async (write) => {
    let time = 1_600_000_000;
    let parent = 0;
    let mark = 0;
    const perCommit = 16;
    const seconds: Array<{ mark: number; path: string }> = [];
    for (let f = 0; f < files; ) {
      // Blobs first (fast-import deltas a blob against the one before it in the stream), then the commit naming them.
      const entries: Array<{ mark: number; path: string }> = [];
      for (let k = 0; k < perCommit && f < files; k++, f++) {
        const path = `big/${String(f).padStart(4, '0')}.bin`;
        const buf = randomBytes(fileMb * 1024 * 1024);
        entries.push({ mark: ++mark, path });
        await write(`blob\nmark :${mark}\n${data(buf)}`);
        await write(buf);
        await write('\n');
        if (f % 4 === 0) {
          // Its second version, a few KB changed, right after it: a delta against it.
          randomBytes(4096).copy(buf, r.int(buf.length - 4096));
          seconds.push({ mark: ++mark, path });
          await write(`blob\nmark :${mark}\n${data(buf)}`);
          await write(buf);
          await write('\n');
        }
      }
      time += 600;
      const m = ++mark;
      await write(`commit refs/heads/main\nmark :${m}\ncommitter Big <big@example.com> ${time} +0000\n${data(`assets ${m}\n`)}assets ${m}\n`);
      if (parent) await write(`from :${parent}\n`);
      for (const e of entries) await write(`M 100644 :${e.mark} ${e.path}\n`);
      await write('\n');
      parent = m;
    }
    time += 600;
    await write(`commit refs/heads/main\nmark :${++mark}\ncommitter Big <big@example.com> ${time} +0000\n${data('update\n')}update\nfrom :${parent}\n`);
    for (const e of seconds) await write(`M 100644 :${e.mark} ${e.path}\n`);
    await write('\n');
  });
  git(repo, env, ['gc', '-q']);
}

export function git(cwd: string, env: NodeJS.ProcessEnv, args: string[]): string {
  return execFileSync('git', args, { cwd, env, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

export interface PackInfo {
  packPath: string;
  packBytes: number;
  objects: number;
  commits: number;
  refs: number;
}

export function packInfo(repo: string, env: NodeJS.ProcessEnv): PackInfo {
  const packDir = join(repo, 'objects', 'pack');
  const packs = readdirSync(packDir).filter((n) => n.endsWith('.pack'));
  if (packs.length !== 1) throw new Error(`${repo}: expected one pack after gc, found ${packs.length}`);
  const packPath = join(packDir, packs[0]);
  const objects = Number(/in-pack: (\d+)/.exec(git(repo, env, ['count-objects', '-v']))![1]);
  const commits = Number(git(repo, env, ['rev-list', '--all', '--count']).trim());
  const refs = git(repo, env, ['for-each-ref', '--format=%(refname)']).trim().split('\n').length;
  return { packPath, packBytes: statSync(packPath).size, objects, commits, refs };
}

/** A generated repository in `cacheRoot/<key>`, made by `make` unless a finished one is there already. */
export async function cached(cacheRoot: string, key: string, env: NodeJS.ProcessEnv, make: (repo: string) => Promise<void>): Promise<{ repo: string; reused: boolean; ms: number }> {
  const dir = join(cacheRoot, key);
  const repo = join(dir, 'repo.git');
  const complete = () => existsSync(join(dir, 'complete'));
  if (complete()) return { repo, reused: true, ms: 0 };
  // Made aside and renamed into place: runs sharing the cache never delete or read each other's half-made repository.
  const aside = `${dir}.making-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(aside, { recursive: true });
  const start = performance.now();
  await make(join(aside, 'repo.git'));
  writeFileSync(join(aside, 'complete'), new Date().toISOString() + '\n');
  const ms = performance.now() - start;
  if (complete()) {
    // Another run finished first: use its repository (the same, generated from the same parameters).
    rmSync(aside, { recursive: true, force: true });
    return { repo, reused: true, ms };
  }
  rmSync(dir, { recursive: true, force: true }); // a half-made one from a run that was killed
  renameSync(aside, dir);
  return { repo, reused: false, ms };
}

/**
 * `n` commits on top of `branch` in `repo` (bare), each inserting one line in
 * the middle of one text file: the small push and the incremental fetch.
 * Fixed dates, so the same repository always gets the same commit ids.
 * Returns the new tip.
 */
export async function addCommits(repo: string, env: NodeJS.ProcessEnv, n: number, branch = 'main'): Promise<string> {
  const tip = git(repo, env, ['rev-parse', `refs/heads/${branch}`]).trim();
  const paths = git(repo, env, ['ls-tree', '-r', '--name-only', tip]).trim().split('\n').filter((p) => /\.(ts|md)$/.test(p));
  const r = new Rand(4242);
  const changed = new Map<string, string[]>();
  await fastImport(repo, env, async (write) => {
    for (let i = 0; i < n; i++) {
      const path = paths[r.int(paths.length)];
      const lines = changed.get(path) ?? git(repo, env, ['cat-file', 'blob', `${tip}:${path}`]).replace(/\n$/, '').split('\n');
      lines.splice(Math.floor(lines.length / 2), 0, codeLine(r));
      changed.set(path, lines);
      const body = lines.join('\n') + '\n';
      const when = 2_000_000_000 + i * 60;
      const message = `incremental ${i + 1}: ${path}\n`;
      await write(`commit refs/heads/${branch}\nmark :${i + 1}\ncommitter Ada Lovelace <ada@example.com> ${when} +0000\n${data(message)}${message}`);
      await write(i === 0 ? `from ${tip}\n` : `from :${i}\n`);
      await write(`M 100644 inline ${path}\n${data(body)}${body}\n\n`);
    }
  });
  return git(repo, env, ['rev-parse', `refs/heads/${branch}`]).trim();
}
