/**
 * A repository with everything the git layer must carry: merges (two and
 * three parents), annotated, lightweight and nested tags, a gitlink, a
 * symlink, executable files, an empty tree, multi-MB blobs, non-UTF-8 and
 * UTF-8 path names, file<->directory and type changes, hand-made commits with
 * gpgsig/mergetag/encoding headers, objects in ref-delta and ofs-delta packs
 * and loose, refs packed and loose. Dates are fixed so git's order is stable.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support/temp-dir.js';
import { gitSync } from '../../support/git.js';

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

let clock = 1_700_000_000;
/** `git add -A` except the gitlink, which has no work tree. */
const ADD = ['add', '-A', '--', '.', ':!vendor'];

function commit(dir: string, message: string, options: { sameTime?: boolean; author?: string } = {}): string {
  if (!options.sameTime) clock += 3600;
  const date = `${clock} +0100`;
  const env: Record<string, string> = { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  if (options.author) {
    const [name, email] = options.author.split(' <');
    env.GIT_AUTHOR_NAME = name;
    env.GIT_AUTHOR_EMAIL = email.replace('>', '');
  }
  gitSync(dir, ['commit', '-q', '--allow-empty', '-m', message], { env });
  return gitSync(dir, ['rev-parse', 'HEAD']).trim();
}

function lines(n: number, tag: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `line ${i} of a file that deltas well ${i % 7 === 0 ? tag : ''}\n`;
  return s;
}

/** Writes a raw object with git hash-object and returns its id. */
function rawObject(dir: string, type: string, content: Buffer | string): string {
  return gitSync(dir, ['hash-object', '-t', type, '-w', '--stdin'], { input: content }).trim();
}

export function makeFixtureRepo(root = tempDir().path): string {
  clock = 1_700_000_000;
  const dir = join(root, 'fixture');
  mkdirSync(dir);
  gitSync(dir, ['init', '-q', '-b', 'main']);
  gitSync(dir, ['config', 'core.quotepath', 'off']);
  const w = (name: string | Buffer, content: string | Buffer) => writeFileSync(typeof name === 'string' ? join(dir, name) : Buffer.concat([Buffer.from(dir + '/'), name]), content);

  w('README.md', '# fixture\n');
  w('big.bin', randomBytes(3 << 20));
  w('text.txt', lines(2000, 'v1'));
  commit(dir, 'first commit', { author: 'Grace Hopper <grace@example.com>' });
  gitSync(dir, ['add', '-A']);
  gitSync(dir, ['commit', '-q', '--amend', '--no-edit'], { env: { GIT_AUTHOR_DATE: `${clock} +0100`, GIT_COMMITTER_DATE: `${clock} +0100`, GIT_AUTHOR_NAME: 'Grace Hopper', GIT_AUTHOR_EMAIL: 'grace@example.com' } });

  mkdirSync(join(dir, 'bin'));
  w('bin/run.sh', '#!/bin/sh\necho run\n');
  chmodSync(join(dir, 'bin/run.sh'), 0o755);
  symlinkSync('README.md', join(dir, 'link'));
  w(Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74]), 'latin1 name\n'); // "latiné.txt" in latin1: not UTF-8
  w('ünïcödé.txt', 'utf-8 name\n');
  w('text.txt', lines(2000, 'v2'));
  gitSync(dir, ['add', '-A']);
  commit(dir, 'add script, symlink, odd names');

  // A submodule entry: a gitlink to a commit that lives elsewhere.
  const bigger = Buffer.concat([randomBytes(1 << 20), Buffer.alloc(2 << 20, 7)]);
  w('big2.bin', bigger);
  gitSync(dir, ['add', '-A']);
  gitSync(dir, ['update-index', '--add', '--cacheinfo', `160000,${'1234567890abcdef1234567890abcdef12345678'},vendor/lib`]);
  commit(dir, 'gitlink and a second big blob');

  // Ref-delta pack of everything so far, packed refs.
  gitSync(dir, ['-c', 'repack.useDeltaBaseOffset=false', 'repack', '-a', '-d', '-q']);
  gitSync(dir, ['tag', 'light-v1']);
  gitSync(dir, ['tag', '-a', 'v1.0', '-m', 'release 1.0'], { env: { GIT_COMMITTER_DATE: `${clock} +0100` } });
  gitSync(dir, ['tag', '-a', 'v1.0-signed-ish', '-m', 'a tag of a tag', 'v1.0'], { env: { GIT_COMMITTER_DATE: `${clock} +0100` } });
  gitSync(dir, ['pack-refs', '--all']);

  // Branches that merge, some commits with equal committer dates.
  gitSync(dir, ['checkout', '-q', '-b', 'feature']);
  w('feature.txt', 'feature\n');
  w('text.txt', lines(2000, 'feature'));
  gitSync(dir, ADD);
  commit(dir, 'feature work', { author: 'Alan Turing <alan@example.com>' });
  gitSync(dir, ['checkout', '-q', 'main']);
  w('main.txt', 'main\n');
  gitSync(dir, ADD);
  commit(dir, 'main work', { sameTime: true });
  gitSync(dir, ['merge', '-q', '--no-ff', 'feature', '-m', 'merge feature'], { env: { GIT_AUTHOR_DATE: `${(clock += 3600)} +0100`, GIT_COMMITTER_DATE: `${clock} +0100` } });

  // Octopus: three parents.
  for (const b of ['o1', 'o2']) {
    gitSync(dir, ['checkout', '-q', '-b', b, 'main']);
    w(`${b}.txt`, `${b}\n`);
    gitSync(dir, ADD);
    commit(dir, `octopus arm ${b}`, { author: 'Alan Turing <alan@example.com>' });
  }
  gitSync(dir, ['checkout', '-q', 'main']);
  gitSync(dir, ['merge', '-q', '--no-ff', 'o1', 'o2', '-m', 'octopus merge'], { env: { GIT_AUTHOR_DATE: `${(clock += 3600)} +0100`, GIT_COMMITTER_DATE: `${clock} +0100` } });

  // Type changes: symlink -> file, file -> directory, mode change, deletion.
  unlinkSync(join(dir, 'link'));
  w('link', 'now a file\n');
  gitSync(dir, ['rm', '-q', 'main.txt']);
  mkdirSync(join(dir, 'main.txt'));
  w('main.txt/inner', 'file became a directory\n');
  chmodSync(join(dir, 'bin/run.sh'), 0o644);
  w('text.txt', lines(2000, 'v3'));
  gitSync(dir, ADD);
  commit(dir, 'type changes');

  // Incremental pack (ofs deltas) of the new loose objects, then more loose ones.
  gitSync(dir, ['repack', '-d', '-q']);
  w('after-pack.txt', 'loose object\n');
  w('text.txt', lines(2000, 'v4'));
  gitSync(dir, ADD);
  const head = commit(dir, 'loose commit', { author: 'Grace Hopper <grace@example.com>' });
  gitSync(dir, ['tag', 'light-loose']);

  // Hand-made commits: extra headers kept byte-exact, a latin1 message.
  const tree = gitSync(dir, ['rev-parse', 'HEAD^{tree}']).trim();
  const sig = '-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----';
  clock += 3600;
  const signed =
    `tree ${tree}\nparent ${head}\nauthor Ada Lovelace <ada@example.com> ${clock} +0100\ncommitter Ada Lovelace <ada@example.com> ${clock} +0100\n` +
    `gpgsig ${sig.replace(/\n/g, '\n ')}\n\nsigned-looking commit\n`;
  const signedId = rawObject(dir, 'commit', signed);
  const tagObj = gitSync(dir, ['cat-file', 'tag', 'v1.0']);
  clock += 3600;
  const merged =
    `tree ${tree}\nparent ${signedId}\nparent ${gitSync(dir, ['rev-parse', 'feature']).trim()}\nauthor Ada Lovelace <ada@example.com> ${clock} +0100\ncommitter Ada Lovelace <ada@example.com> ${clock} +0100\n` +
    `mergetag ${tagObj.replace(/\n$/, '').replace(/\n/g, '\n ')}\nencoding ISO-8859-1\n\n`;
  const latin1 = Buffer.concat([Buffer.from(merged, 'utf8'), Buffer.from('caf\xe9 in latin1\n', 'latin1')]);
  const mergedId = rawObject(dir, 'commit', latin1);
  gitSync(dir, ['update-ref', 'refs/heads/main', mergedId]);

  // An orphan branch whose commit has the empty tree; a tag of a tree.
  const emptyTree = gitSync(dir, ['mktree'], { input: '' }).trim();
  if (emptyTree !== EMPTY_TREE) throw new Error('unexpected empty tree id');
  clock += 3600;
  const orphan = gitSync(dir, ['commit-tree', EMPTY_TREE, '-m', 'empty tree'], { env: { GIT_AUTHOR_DATE: `${clock} +0100`, GIT_COMMITTER_DATE: `${clock} +0100` } }).trim();
  gitSync(dir, ['update-ref', 'refs/heads/empty', orphan]);
  gitSync(dir, ['tag', '-a', 'tree-tag', '-m', 'a tag of a tree', tree], { env: { GIT_COMMITTER_DATE: `${clock} +0100` } });
  gitSync(dir, ['branch', '-q', '-D', 'o1']);
  gitSync(dir, ['checkout', '-q', 'main']);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Appends commits to an existing fixture (for incremental import). */
export function addCommits(dir: string, n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    writeFileSync(join(dir, `more-${i}.txt`), `more ${i}\n`);
    gitSync(dir, ADD);
    ids.push(commit(dir, `more ${i}`));
  }
  return ids;
}
