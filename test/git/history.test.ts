import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ConflictError, NotFoundError } from '../../src/datastore/errors.js';
import type { DataStore } from '../../src/datastore/store.js';
import {
  createBranch,
  deleteBranch,
  diffTrees,
  importRepository,
  isFastForward,
  listBranches,
  logCommits,
  ObjectReader,
  quotePath,
  resolveRevision,
} from '../../src/git/index.js';
import { EMPTY_TREE } from './fixture.js';
import { gitSync, gitBuffer, gitStatus } from '../../support/git.js';
import { describeOnStores } from '../support/stores.js';

/** A history of many commits made with commit-tree: random merges, dates that repeat and go backwards. */
function makeTangledRepo(root: string): string {
  const dir = `${root}/tangled`;
  gitSync(root, ['init', '-q', '--bare', dir]);
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const commits: string[] = [];
  for (let i = 0; i < 60; i++) {
    const date = `${1_700_000_000 + rand(12) * 1000} +0000`;
    const parents: string[] = [];
    if (commits.length > 0) {
      parents.push(commits[commits.length - 1 - rand(Math.min(commits.length, 6))]);
      if (rand(4) === 0) parents.push(commits[rand(commits.length)]);
      if (rand(15) === 0) parents.push(commits[rand(commits.length)]);
    }
    const args = ['commit-tree', EMPTY_TREE, '-m', `c${i}`];
    for (const p of [...new Set(parents)]) args.push('-p', p);
    commits.push(gitSync(dir, args, { env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } }).trim());
  }
  gitSync(dir, ['update-ref', 'refs/heads/main', commits[59]]);
  gitSync(dir, ['update-ref', 'refs/heads/side', commits[40]]);
  gitSync(dir, ['update-ref', 'refs/heads/old', commits[12]]);
  return dir;
}

describeOnStores('history (log, diff, branches)', (fx) => {
  let root: string;
  let repo: string;
  let tangled: string;
  let store: DataStore;
  let repoId: string;
  let tangledId: string;
  before(async () => {
    ({ root, repo, store } = fx);
    tangled = makeTangledRepo(root);
    repoId = (await importRepository(store, repo, { name: 'fixture', index: false })).repository.id;
    tangledId = (await importRepository(store, tangled, { name: 'tangled', index: false })).repository.id;
  });

  async function ourLog(repositoryId: string, rev: string, limit?: number): Promise<string[]> {
    const reader = new ObjectReader(store);
    const start = await reader.peelToCommit(await resolveRevision(store, repositoryId, rev));
    const ids: string[] = [];
    for await (const e of logCommits(reader, [start], { limit })) ids.push(e.id);
    return ids;
  }

  test('log gives the commits of git log, in its order, for every ref', async () => {
    for (const [dir, id] of [
      [repo, repoId],
      [tangled, tangledId],
    ] as const) {
      const refs = gitSync(dir, ['for-each-ref', '--format=%(refname)']).trim().split('\n');
      for (const ref of ['HEAD', ...refs]) {
        if (gitStatus(dir, ['rev-parse', '--verify', '-q', `${ref}^{commit}`]).status !== 0) continue;
        const theirs = gitSync(dir, ['log', '--format=%H', ref]).trim().split('\n');
        assert.deepEqual(await ourLog(id, ref), theirs, `git log ${ref} in ${dir}`);
      }
    }
    assert.deepEqual(await ourLog(tangledId, 'main', 7), gitSync(tangled, ['log', '--format=%H', '-n', '7', 'main']).trim().split('\n'));
    assert.deepEqual(await ourLog(repoId, 'v1.0', 2), gitSync(repo, ['log', '--format=%H', '-n', '2', 'v1.0']).trim().split('\n'));
  });

  test('diff --name-status --no-renames between commits, trees and tags equals git', async () => {
    const commits = gitSync(repo, ['log', '--all', '--format=%H']).trim().split('\n');
    const named = ['v1.0', 'light-v1', 'tree-tag', 'main', EMPTY_TREE];
    const pairs: Array<[string, string]> = [
      ['main~4', 'main~3'],
      ['empty', 'main'],
    ];
    commits.forEach((a, i) => commits.forEach((b, j) => (i !== j && (i * 7 + j) % 4 === 0 ? pairs.push([a, b]) : undefined)));
    for (const a of named) for (const b of [...named, commits[3]]) if (a !== b) pairs.push([a, b]);
    const reader = new ObjectReader(store);
    // Our revision syntax has no ~N: name those by id.
    const ours = (rev: string) => (rev.includes('~') ? gitSync(repo, ['rev-parse', rev]).trim() : rev);
    for (const [a, b] of pairs) {
      const ta = await reader.peelToTree(await resolveRevision(store, repoId, ours(a)));
      const tb = await reader.peelToTree(await resolveRevision(store, repoId, ours(b)));
      for (const quote of [true, false]) {
        const parts: Buffer[] = [];
        for await (const c of diffTrees(reader, ta, tb)) parts.push(Buffer.from(`${c.status}\t`), quotePath(c.path, quote), Buffer.from('\n'));
        const theirs = gitBuffer(repo, ['-c', `core.quotepath=${quote}`, 'diff', '--name-status', '--no-renames', a, b]);
        assert.equal(Buffer.concat(parts).toString('latin1'), theirs.toString('latin1'), `diff ${a} ${b}`);
      }
    }
    assert.ok(pairs.length > 40);
    // The comparisons above cover every kind of change git reports.
    const kinds = gitBuffer(repo, ['diff', '--name-status', '--no-renames', 'main~4', 'main~3']).toString('latin1') +
      gitBuffer(repo, ['diff', '--name-status', '--no-renames', 'empty', 'main']).toString('latin1');
    for (const expected of [/^T\tlink$/m, /^D\tmain.txt$/m, /^A\tmain.txt\/inner$/m, /^M\tbin\/run.sh$/m, /^A\tvendor\/lib$/m, /^A\tlatin\xe9.txt$/m]) {
      assert.match(kinds, expected);
    }
  });

  test('branches: list, create, delete, fast-forward check', async () => {
    const theirs = gitSync(repo, ['for-each-ref', '--format=%(objectname) %(refname:short)', 'refs/heads/']).trim().split('\n');
    assert.deepEqual((await listBranches(store, repoId)).map((b) => `${b.id} ${b.name}`), theirs);
    const created = await createBranch(store, repoId, 'topic/x', 'v1.0');
    assert.equal(created.id, gitSync(repo, ['rev-parse', 'v1.0^{commit}']).trim());
    await assert.rejects(createBranch(store, repoId, 'topic/x', 'main'), ConflictError);
    const moved = await createBranch(store, repoId, 'topic/x', 'main', { force: true });
    assert.equal(moved.id, gitSync(repo, ['rev-parse', 'main']).trim());
    await assert.rejects(createBranch(store, repoId, 'bad..name', 'main'), /invalid ref name/);
    await assert.rejects(deleteBranch(store, repoId, 'main'), ConflictError, 'HEAD points at main');
    assert.equal(await deleteBranch(store, repoId, 'topic/x'), moved.id);
    await assert.rejects(deleteBranch(store, repoId, 'topic/x'), NotFoundError);

    for (const [from, to] of [
      ['light-v1', 'main'],
      ['main', 'light-v1'],
      ['feature', 'main'],
      ['main', 'feature'],
      ['empty', 'main'],
      ['o2', 'main'],
      ['main', 'main'],
    ]) {
      const expected = gitStatus(repo, ['merge-base', '--is-ancestor', from, to]).status === 0;
      assert.equal(await isFastForward(store, repoId, from, to), expected, `${from} -> ${to}`);
    }
    const commits = gitSync(tangled, ['rev-list', '--all']).trim().split('\n');
    for (let i = 0; i < commits.length; i += 7) {
      const a = commits[i];
      const b = commits[(i * 13 + 5) % commits.length];
      assert.equal(await isFastForward(store, tangledId, a, b), gitStatus(tangled, ['merge-base', '--is-ancestor', a, b]).status === 0);
    }
  });
});
