import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { DataStore } from '../../src/datastore/store.js';
import { exportRepository, importRepository } from '../../src/git/index.js';
import { addCommits } from './fixture.js';
import { gitSync, gitBuffer, gitStatus } from '../../support/git.js';
import { describeOnStores } from '../support/stores.js';

function sortedLines(buf: Buffer): string[] {
  return buf.toString('latin1').split('\n').filter(Boolean).sort();
}

describeOnStores('repo import and export', (fx) => {
  let root: string;
  let repo: string;
  let store: DataStore;
  before(() => ({ root, repo, store } = fx));

  test('import stores every object, ref and HEAD, a repository record and an audit event', async () => {
    const r = await importRepository(store, repo, { name: 'fixture' });
    assert.equal(r.created, true);
    const count = Number(/count: (\d+)/.exec(gitSync(repo, ['count-objects', '-v']))![1]) + Number(/in-pack: (\d+)/.exec(gitSync(repo, ['count-objects', '-v']))![1]);
    assert.equal(r.objectsSeen, count);
    assert.equal(r.objectsAdded, count);
    for (const line of gitSync(repo, ['for-each-ref', '--format=%(objectname) %(refname)']).trim().split('\n')) {
      const [id, name] = line.split(' ');
      assert.deepEqual(await store.getRef(r.repository.id, name), { name, type: 'direct', target: id });
    }
    assert.deepEqual(await store.getRef(r.repository.id, 'HEAD'), { name: 'HEAD', type: 'symbolic', target: 'refs/heads/main' });
    const events = await store.queryEvents({ repositoryId: r.repository.id, action: 'repo.import' });
    assert.equal(events.items.length, 1);
    assert.equal(events.items[0].details.objectsAdded, count);
  });

  test('export is a bare repository git finds clean and identical', async () => {
    const out = join(root, 'exported.git');
    const r = await exportRepository(store, 'fixture', out);
    const fsck = gitStatus(out, ['fsck', '--full', '--strict']);
    assert.equal(fsck.status, 0, fsck.stderr);
    assert.equal(fsck.stderr + fsck.stdout, '', 'git fsck --full finds nothing');
    assert.equal(gitSync(out, ['for-each-ref']), gitSync(repo, ['for-each-ref']));
    assert.equal(gitSync(out, ['symbolic-ref', 'HEAD']), gitSync(repo, ['symbolic-ref', 'HEAD']));
    const theirs = sortedLines(gitBuffer(repo, ['rev-list', '--all', '--objects']));
    assert.deepEqual(sortedLines(gitBuffer(out, ['rev-list', '--all', '--objects'])), theirs);
    assert.equal(r.objects, theirs.length);
    assert.equal(gitSync(out, ['rev-parse', 'HEAD']), gitSync(repo, ['rev-parse', 'HEAD']));
    assert.match(gitSync(out, ['verify-pack', '-v', r.packPath.replace(/\.pack$/, '.idx')]), /^chain length = 1: \d+ objects?$/m, 'versions of text.txt are deltas');
  });

  test('importing again adds only what is new, and mirrors moved and deleted refs', async () => {
    const again = await importRepository(store, repo, { name: 'fixture' });
    assert.equal(again.created, false);
    assert.equal(again.objectsAdded, 0);
    assert.equal(again.refsChanged, 0);
    assert.equal(again.commitsIndexed, 0);

    gitSync(repo, ['checkout', '-q', '-b', 'later']);
    addCommits(repo, 2);
    gitSync(repo, ['branch', '-q', '-D', 'o2']);
    const third = await importRepository(store, repo, { name: 'fixture' });
    // Two commits, each with one new blob and one new tree.
    assert.equal(third.objectsAdded, 6);
    assert.equal(third.refsChanged, 3, 'later created, HEAD moved, o2 deleted');
    assert.equal(third.commitsIndexed, 2);
    assert.equal(await store.getRef(third.repository.id, 'refs/heads/o2'), undefined);
    assert.equal((await store.getRef(third.repository.id, 'HEAD'))?.target, 'refs/heads/later');
    // One event per import, whether its refs moved (written with them) or not.
    const events = async () => (await store.queryEvents({ repositoryId: third.repository.id, action: 'repo.import' })).items;
    const changed = (await events()).map((e) => e.details.refsChanged);
    assert.equal(changed.length, 3);
    assert.ok(changed.includes(0) && changed.includes(3), `refsChanged of the events: ${changed}`);

    // The event rides on the refs' write: an import that stops right after that write still has it.
    gitSync(repo, ['checkout', '-q', 'main']);
    gitSync(repo, ['branch', '-q', 'fourth']);
    const updateRefs = store.updateRefs.bind(store);
    store.updateRefs = async (...args) => {
      await updateRefs(...args);
      throw new Error('stopped after the refs write');
    };
    try {
      await assert.rejects(importRepository(store, repo, { name: 'fixture' }), /stopped after the refs write/);
    } finally {
      store.updateRefs = updateRefs;
    }
    assert.ok(await store.getRef(third.repository.id, 'refs/heads/fourth'));
    const last = (await events()).filter((e) => e.details.refsChanged === 2);
    assert.equal(last.length, 1, 'the import that moved fourth and HEAD has its event');
    const out = join(root, 'exported-2.git');
    await exportRepository(store, 'fixture', out);
    assert.deepEqual(sortedLines(gitBuffer(out, ['rev-list', '--all', '--objects'])), sortedLines(gitBuffer(repo, ['rev-list', '--all', '--objects'])));
    assert.equal(gitStatus(out, ['fsck', '--full']).status, 0);
  });

  test('a second repository shares objects and keeps its own refs', async () => {
    const r = await importRepository(store, repo, { name: 'copy' });
    assert.equal(r.created, true);
    assert.equal(r.objectsAdded, 0);
    await assert.rejects(exportRepository(store, 'copy', join(root, 'exported.git')), /not empty/);
    await assert.rejects(exportRepository(store, 'missing', join(root, 'nowhere')), /does not exist/);
  });

  test('a linked worktree imports with its own HEAD and the shared objects and refs', async () => {
    const wt = join(root, 'worktree');
    gitSync(repo, ['worktree', 'add', '-q', '-b', 'wt-branch', wt, 'feature']);
    const r = await importRepository(store, wt);
    assert.equal(r.repository.name, 'worktree');
    assert.equal(r.objectsAdded, 0);
    assert.deepEqual(await store.getRef(r.repository.id, 'HEAD'), { name: 'HEAD', type: 'symbolic', target: 'refs/heads/wt-branch' });
    assert.equal((await store.getRef(r.repository.id, 'refs/heads/wt-branch'))?.target, gitSync(repo, ['rev-parse', 'feature']).trim());
  });
});
