/**
 * The repository of issue 20's figures, shaped like a large public project,
 * written with `git fast-import` (streamed) in minutes:
 *
 * - `commits` commits (default 200,000) of small edits to `files` text files
 *   (default 5,000) in a directory tree up to six levels deep; most commits
 *   touch one file, hot files more often, a few files growing;
 * - a side branch of 1-3 commits merged back every 40 commits (every 9th
 *   left open as a topic branch); a branch ref every 100 commits and a tag
 *   every 150 (annotated and lightweight in turn): thousands of refs;
 * - a file renamed every 300 commits, a whole directory every 10,000;
 * - eight binary-ish blobs of 4-24 MB, three versions each.
 *
 * Then `git repack -a -d -f` (blobs over 2 MB out of the delta search; fast-import deltas a blob only against the one
 * before it in the stream) and `git pack-refs --all`: one pack
 * (a `git gc` after it would search deltas for the large blobs again). About 5
 * objects per commit: 200,000 commits give about a million objects.
 */
import { execFileSync } from 'node:child_process';
import { binaryish, codeLine, data, fastImport, git, Rand } from '../pack-storage/generate.js';

export interface LargeParams {
  commits: number;
  files: number;
  /** Progress lines to stderr every this many commits (0: none). */
  logEvery?: number;
}

const PARTS = ['core', 'net', 'fs', 'ui', 'db', 'util', 'api', 'cmd', 'internal', 'plugins', 'vendor', 'tests'];
const SUBS = ['alpha', 'beta', 'gamma', 'delta', 'io', 'impl', 'model', 'view'];

/** Paths spread over a tree 1-6 directories deep, the shallow levels fuller (as in real projects). */
function makePaths(r: Rand, n: number): string[] {
  const paths = new Set<string>();
  while (paths.size < n) {
    const depth = 1 + Math.floor(Math.pow(r.next(), 1.6) * 6);
    const dirs = [r.pick(PARTS)];
    for (let d = 1; d < depth; d++) dirs.push(`${r.pick(SUBS)}${r.int(4)}`);
    paths.add(`${dirs.join('/')}/file${paths.size}.${r.int(5) === 0 ? 'md' : 'c'}`);
  }
  // Shallow files first: the hot files (low indices) sit near the root, thousands of others deep below.
  const depth = (path: string) => path.split('/').length;
  return [...paths].sort((a, b) => depth(a) - depth(b));
}

/** Writes the repository (bare) into `repo`. */
export async function generateLarge(repo: string, env: NodeJS.ProcessEnv, p: LargeParams): Promise<void> {
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', repo], { env });
  const r = new Rand(20260101);
  const paths = makePaths(r, p.files);
  const content = paths.map(() => Array.from({ length: 8 + r.int(40) }, () => codeLine(r)));
  const growing = new Set(paths.map((_, i) => i).filter((i) => i % 50 === 3));
  const authors = ['Ada Lovelace <ada@example.com>', 'Grace Hopper <grace@example.com>', 'Alan Turing <alan@example.com>', 'Ken Thompson <ken@example.com>'];
  let time = 1_300_000_000;
  let mark = 0;
  const hot = () => Math.floor(Math.pow(r.next(), 2.5) * p.files);
  const log = (c: number) => p.logEvery && c % p.logEvery === 0 && process.stderr.write(`[generate-large] ${c} of ${p.commits} commits\n`);

  const edit = (f: number): void => {
    const lines = content[f];
    if (growing.has(f) && lines.length < 2000) {
      for (let k = 1 + r.int(5); k > 0; k--) lines.push(codeLine(r));
      return;
    }
    const at = r.int(lines.length);
    const op = r.int(10);
    if (op < 6) lines[at] = codeLine(r);
    else if (op < 8 || lines.length < 6) lines.splice(at, 0, codeLine(r));
    else lines.splice(at, 1);
  };
  const fileCommand = (f: number) => {
    const body = content[f].join('\n') + '\n';
    return `M 100644 inline ${paths[f]}\n${data(body)}${body}\n`;
  };
  const header = (ref: string, message: string) => {
    time += 20 + r.int(2000);
    const who = authors[r.int(authors.length)];
    const m = ++mark;
    return { m, text: `commit ${ref}\nmark :${m}\nauthor ${who} ${time} +0000\ncommitter ${who} ${time} +0000\n${data(message)}${message}` };
  };
  const touchedCount = () => (r.int(20) < 18 ? 1 : 2 + r.int(2));

  const bigSizes = [4, 6, 8, 10, 12, 16, 20, 24].map((mb) => mb << 20);
  const bigFiles = bigSizes.map((size) => binaryish(r, size));
  const bigEvents: Array<{ at: number; file: number }> = [];
  bigSizes.forEach((_, i) => {
    for (let v = 0; v < 3; v++) bigEvents.push({ at: Math.max(1, Math.floor(((i + 1 + v * 8) / 25) * p.commits)), file: i });
  });
  bigEvents.sort((a, b) => a.at - b.at);

  await fastImport(repo, env, async (write) => {
    const first = header('refs/heads/main', 'Initial import\n');
    await write(first.text);
    for (let f = 0; f < p.files; f++) await write(fileCommand(f));
    await write('\n');
    let main = first.m;
    let side = 0;
    for (let c = 1; c < p.commits; c++) {
      log(c);
      if (c % 40 === 0 && c + 5 < p.commits) {
        side++;
        const open = side % 9 === 0;
        const branch = `refs/heads/${open ? 'topic' : 'feature'}/${side}`;
        const changed = new Map<number, string[]>();
        let tip = 0;
        for (let k = 1 + r.int(3); k > 0; k--, c++) {
          const h = header('refs/heads/side-work', `feature ${side}: step\n`);
          await write(h.text + `from :${tip || main}\n`);
          for (let j = touchedCount(); j > 0; j--) {
            const f = hot();
            if (!changed.has(f)) changed.set(f, [...content[f]]);
            const saved = content[f];
            content[f] = changed.get(f)!;
            edit(f);
            await write(fileCommand(f));
            content[f] = saved;
          }
          await write('\n');
          tip = h.m;
        }
        if (open) {
          await write(`reset ${branch}\nfrom :${tip}\n\n`);
          continue;
        }
        let f = hot();
        while (changed.has(f)) f = (f + 1) % p.files;
        const between = header('refs/heads/main', `fix ${paths[f]}\n`);
        edit(f);
        await write(between.text + `from :${main}\n` + fileCommand(f) + '\n');
        const merge = header('refs/heads/main', `Merge branch '${branch.slice('refs/heads/'.length)}'\n`);
        await write(merge.text + `from :${between.m}\nmerge :${tip}\n`);
        for (const [g, lines] of changed) {
          content[g] = lines;
          await write(fileCommand(g));
        }
        await write('\n');
        main = merge.m;
        continue;
      }
      const h = header('refs/heads/main', `${r.pick(['fix', 'add', 'update', 'refactor', 'docs:'])} ${paths[hot()]}\n`);
      await write(h.text + `from :${main}\n`);
      if (c % 300 === 7) {
        // A file moves (git sees a rename: same content, new path).
        const f = r.int(p.files);
        const to = paths[f].replace(/file(\d+)\./, `moved${c}-$1.`);
        await write(`R ${paths[f]} ${to}\n`);
        paths[f] = to;
      } else if (c % 10_000 === 5000) {
        // A whole directory moves.
        const f = r.int(p.files);
        const from = paths[f].slice(0, paths[f].lastIndexOf('/'));
        const to = `${from}-v${c}`;
        await write(`R ${from} ${to}\n`);
        for (let g = 0; g < paths.length; g++) if (paths[g].startsWith(from + '/')) paths[g] = to + paths[g].slice(from.length);
      } else {
        for (let j = touchedCount(); j > 0; j--) {
          const f = hot();
          edit(f);
          await write(fileCommand(f));
        }
      }
      while (bigEvents.length > 0 && bigEvents[0].at <= c) {
        const big = bigEvents.shift()!.file;
        const buf = bigFiles[big];
        for (let k = 0; k < 8; k++) binaryish(r, 4096).copy(buf, r.int(buf.length - 4096));
        await write(`M 100644 inline assets/media/blob-${big}.bin\n${data(buf)}`);
        await write(buf);
        await write('\n');
      }
      await write('\n');
      main = h.m;
      if (c % 100 === 11) await write(`reset refs/heads/b/${c}\nfrom :${main}\n\n`);
      if (c % 150 === 23) {
        const v = `v${Math.floor(c / 1500)}.${Math.floor(c / 150) % 10}`;
        if (Math.floor(c / 150) % 2 === 0) await write(`tag ${v}\nfrom :${main}\ntagger ${authors[0]} ${time} +0000\n${data(`release ${v}\n`)}release ${v}\n\n`);
        else await write(`reset refs/tags/${v}\nfrom :${main}\n\n`);
      }
    }
  });
  git(repo, env, ['update-ref', '-d', 'refs/heads/side-work']);
  // Large blobs are left out of the delta search (git's own bigFileThreshold idea): it would take most of the time.
  git(repo, env, ['-c', 'core.bigFileThreshold=2m', 'repack', '-a', '-d', '-f', '-q', '--window=10', '--depth=50']);
  git(repo, env, ['pack-refs', '--all']);
}
