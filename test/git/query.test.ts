import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { DataStore } from '../../src/datastore/store.js';
import { dropCommitIndex, importRepository, listContributors, queryCommits, repositoryStats, updateCommitIndex } from '../../src/git/index.js';
import { addCommits } from './fixture.js';
import { gitSync } from '../../support/git.js';
import { describeOnStores } from '../support/stores.js';

function ids(text: string): string[] {
  return text.trim().split('\n').filter(Boolean).sort();
}

describeOnStores('commit queries', (fx) => {
  let root: string;
  let repo: string;
  let store: DataStore;
  let repoId: string;
  before(async () => {
    ({ root, repo, store } = fx);
    repoId = (await importRepository(store, repo, { name: 'fixture' })).repository.id;
  });

  const ours = async (q: Parameters<typeof queryCommits>[2]) => (await queryCommits(store, repoId, { limit: 1000, ...q })).map((c) => c.id);

  test('by author equals git log --all --author', async () => {
    for (const who of ['alan@example.com', 'grace@example.com', 'ada@example.com']) {
      const theirs = ids(gitSync(repo, ['log', '--all', '--format=%H', `--author=<${who}>`]));
      assert.ok(theirs.length > 0);
      assert.deepEqual((await ours({ author: who })).sort(), theirs, who);
      assert.deepEqual((await ours({ author: who.toUpperCase() })).sort(), theirs);
    }
    assert.deepEqual((await ours({ author: 'Alan Turing' })).sort(), ids(gitSync(repo, ['log', '--all', '--format=%H', '--author=^Alan Turing <'])));
    assert.deepEqual(await ours({ author: 'nobody@example.com' }), []);
  });

  test('by committer date range equals git log --since/--until, newest first', async () => {
    const dates = gitSync(repo, ['log', '--all', '--format=%ct']).trim().split('\n').map(Number).sort((a, b) => a - b);
    const since = dates[3];
    const until = dates[dates.length - 3];
    const theirs = ids(gitSync(repo, ['log', '--all', '--format=%H', `--since=@${since}`, `--until=@${until - 1}`]));
    const got = await queryCommits(store, repoId, { since: new Date(since * 1000), until: new Date(until * 1000), limit: 1000 });
    assert.deepEqual(got.map((c) => c.id).sort(), theirs);
    const times = got.map((c) => c.committer.timestamp);
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    assert.equal((await queryCommits(store, repoId, { limit: 3 })).length, 3);
    const all = await queryCommits(store, repoId, { limit: 1000 });
    assert.deepEqual(all.map((c) => c.id).sort(), ids(gitSync(repo, ['rev-list', '--all'])));
  });

  test('by path (file, directory, non-UTF-8 name, gitlink) equals git log --all --full-history', async () => {
    for (const path of ['text.txt', 'bin', 'bin/run.sh', 'link', 'main.txt', 'main.txt/inner', 'vendor/lib', 'vendor', 'README.md', 'nothing-here']) {
      const theirs = ids(gitSync(repo, ['log', '--all', '--full-history', '--format=%H', '--', path]));
      assert.deepEqual((await ours({ path })).sort(), theirs, path);
      assert.equal(theirs.length === 0, path === 'nothing-here', path);
    }
    const latin1 = Buffer.from('latin\xe9.txt', 'latin1');
    const theirs = ids(gitSync(repo, ['log', '--all', '--full-history', '--format=%H', '--', 'latin\xe9.txt'.replace('\xe9', '?')]));
    assert.ok(theirs.length > 0);
    assert.deepEqual((await ours({ path: latin1 })).sort(), theirs);
    assert.deepEqual((await ours({ path: 'text.txt', author: 'grace@example.com' })).sort(), ids(gitSync(repo, ['log', '--all', '--full-history', '--format=%H', '--author=grace@', '--', 'text.txt'])));
  });

  test('statistics and contributors; the index grows incrementally and can be dropped', async () => {
    const emails = new Set(gitSync(repo, ['log', '--all', '--format=%ae']).trim().split('\n'));
    const expected = {
      commits: Number(gitSync(repo, ['rev-list', '--all', '--count']).trim()),
      branches: ids(gitSync(repo, ['for-each-ref', 'refs/heads/'])).length,
      tags: ids(gitSync(repo, ['for-each-ref', 'refs/tags/'])).length,
      contributors: emails.size,
    };
    assert.deepEqual(await repositoryStats(store, repoId), expected);
    assert.deepEqual((await listContributors(store, repoId)).map((c) => c.email).sort(), [...emails].sort());

    addCommits(repo, 3);
    const r = await importRepository(store, repo, { name: 'fixture' });
    assert.equal(r.commitsIndexed, 3);
    assert.equal((await repositoryStats(store, repoId)).commits, expected.commits + 3);
    assert.equal(await updateCommitIndex(store, repoId), 0);
    await dropCommitIndex(store, repoId);
    assert.deepEqual(await queryCommits(store, repoId), []);
    assert.equal(await updateCommitIndex(store, repoId), expected.commits + 3);
  });
});
