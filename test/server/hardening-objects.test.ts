/**
 * Issue 19, item 2: incoming objects are checked as git's receive.fsckObjects
 * does. Bad objects are made with git itself (`hash-object --literally`,
 * `commit-tree`) and sent by the real `git push`; each refusal is shown by git
 * with git's message id, leaves refs and objects as they were, keeps a fresh
 * clone fsck-clean, and never stops the server answering others. The same
 * objects pushed to a bare git repository with receive.fsckObjects are
 * refused by git too, so the checks are git's, not stricter or looser.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPack, commitBytes, objectId, pushBody, treeBytes } from '../../support/pack-builder.js';
import { git, gitOk, type GitResult } from '../../support/git.js';
import { repoUrl } from '../support/server.js';
import { assertCloneFsckClean, createAndPush, snapshot, STORES, startTestServer, type StoreSnapshot, type TestServer } from './hardening-helpers.js';
import { assertAnsweredWithinASecond, pollHealthWhile } from './health-poll.js';
import { zeroId } from '../../src/datastore/hash.js';

const ZERO = zeroId();

/** Refused pushes are audit events; nothing else may change. */
const unchanged = (s: StoreSnapshot) => ({ ...s, events: 0 });

for (const kind of STORES) {
  describe(`object checks on receive (${kind} store)`, () => {
    let t: TestServer;
    let work: string;
    let bare: string;
    let url: string;
    let main: string;
    let blob: string;

    const literally = async (type: string, data: Buffer): Promise<string> =>
      (await gitOk(work, t.env, ['hash-object', '--literally', '-w', '-t', type, '--stdin'], data)).trim();
    /** A commit on main whose tree is `entries` as given (bad order, names and modes included). */
    const commitOfTree = async (entries: Array<[string, string, string]>, message: string): Promise<string> => {
      const tree = await literally('tree', treeBytes(entries));
      return (await gitOk(work, t.env, ['commit-tree', tree, '-p', main, '-m', message])).trim();
    };

    /** Pushes `src` to `dst` with the real git and checks the refusal: git's words, nothing stored, a clean clone, health answered. */
    const assertRefused = async (src: string, dst: string, expected: RegExp, gitId: RegExp = expected): Promise<GitResult> => {
      const before = await snapshot(t.store);
      const { result: push, poll } = await pollHealthWhile(t.url, () => git(work, t.env, ['push', url, `${src}:${dst}`]));
      assert.notEqual(push.code, 0, push.stderr);
      assert.match(push.stderr, /\[remote rejected\]/);
      assert.match(push.stderr, expected);
      assertAnsweredWithinASecond(poll);
      assert.deepEqual(unchanged(await snapshot(t.store)), unchanged(before));
      await assertCloneFsckClean(t, 'objs');
      // git itself, with receive.fsckObjects, refuses the same push.
      const byGit = await git(work, t.env, ['push', bare, `${src}:${dst}`]);
      assert.notEqual(byGit.code, 0, `git accepted what govc refused:\n${byGit.stderr}`);
      assert.match(byGit.stderr, gitId);
      return push;
    };

    before(async () => {
      t = await startTestServer(kind);
      work = await createAndPush(t, 'objs');
      url = repoUrl(t.url, 'objs', 'admin', t.adminToken);
      main = (await gitOk(work, t.env, ['rev-parse', 'main'])).trim();
      blob = (await gitOk(work, t.env, ['hash-object', '-w', '--stdin'], 'a blob\n')).trim();
      bare = join(t.dir, 'bare.git');
      mkdirSync(bare);
      await gitOk(bare, t.env, ['init', '-q', '--bare']);
      await gitOk(bare, t.env, ['config', 'receive.fsckObjects', 'true']);
      await gitOk(work, t.env, ['push', '-q', bare, 'main']);
    });
    after(async () => {
      await t?.close();
    });

    it('refuses a commit whose tree is a blob (a hand-made pack: git will not pack such a commit)', async () => {
      const data = Buffer.from('a blob as a tree\n');
      const asTree = objectId('blob', data);
      const commit = commitBytes(asTree, [main], 'tree is a blob\n');
      const id = objectId('commit', commit);
      const pack = buildPack([{ type: 'blob', data }, { type: 'commit', data: commit }]);
      const before = await snapshot(t.store);
      const { result: report, poll } = await pollHealthWhile(t.url, async () => {
        const res = await fetch(`${t.url}/objs.git/git-receive-pack`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-git-receive-pack-request', authorization: `Bearer ${t.adminToken}` },
          body: pushBody(ZERO, id, 'refs/heads/blob-tree', pack),
        });
        assert.equal(res.status, 200);
        return res.text();
      });
      // The report git prints as "! [remote rejected] ... (<reason>)".
      assert.match(report, /unpack ok\n/);
      assert.match(report, new RegExp(`ng refs/heads/blob-tree object ${id}: badLinkType: links to ${asTree} as a tree, but it is a blob\n`));
      assertAnsweredWithinASecond(poll);
      assert.deepEqual(unchanged(await snapshot(t.store)), unchanged(before));
      await assertCloneFsckClean(t, 'objs');
      // git refuses the same pack.
      const byGit = await git(bare, t.env, ['index-pack', '--strict', '--stdin'], pack);
      assert.notEqual(byGit.code, 0);
      assert.match(byGit.stderr, new RegExp(`${asTree} is a blob, not a tree`));
    });

    for (const [name, entries, id] of [
      ["a tree with '.git'", [['100644', '.git', 'B']], /hasDotgit/],
      ["a tree with '.GIT' (case-insensitive file systems)", [['40000', '.GIT', 'T']], /hasDotgit/],
      ["a tree with '..'", [['100644', '..', 'B']], /hasDotdot/],
      ['a tree with duplicate entries', [['100644', 'a', 'B'], ['100644', 'a', 'B']], /duplicateEntries/],
      ['a tree with a file and a directory of one name', [['100644', 'a', 'B'], ['40000', 'a', 'T']], /duplicateEntries/],
      ['a tree with unsorted entries', [['100644', 'b', 'B'], ['100644', 'a', 'B']], /treeNotSorted/],
      ['a tree with a zero-padded mode', [['0100644', 'a', 'B']], /zeroPaddedFilemode/],
      ['a tree with a full path as a name', [['100644', 'dir/a', 'B']], /fullPathname/],
    ] as Array<[string, Array<[string, string, string]>, RegExp]>) {
      it(`refuses ${name}`, async () => {
        const tree = (await gitOk(work, t.env, ['rev-parse', 'main^{tree}'])).trim();
        const commit = await commitOfTree(entries.map(([mode, n, which]) => [mode, n, which === 'B' ? blob : tree]), name);
        await assertRefused(commit, 'refs/heads/bad-tree', id);
      });
    }

    it('refuses a commit with a bad author line', async () => {
      const tree = (await gitOk(work, t.env, ['rev-parse', 'main^{tree}'])).trim();
      const commit = await literally('commit', Buffer.from(`tree ${tree}\nparent ${main}\nauthor No Email 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nbad author\n`));
      await assertRefused(commit, 'refs/heads/main', /missingEmail: invalid author\/committer line - missing email/, /missingEmail/);
    });

    it('refuses a commit with a bad date', async () => {
      const tree = (await gitOk(work, t.env, ['rev-parse', 'main^{tree}'])).trim();
      const commit = await literally('commit', Buffer.from(`tree ${tree}\nparent ${main}\nauthor A <a@example.com> soon +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nbad date\n`));
      await assertRefused(commit, 'refs/heads/main', /badDate/);
    });

    it('refuses a blob as a branch tip', async () => {
      await assertRefused(blob, 'refs/heads/x', /trying to write non-commit object [0-9a-f]{40} to branch 'refs\/heads\/x'/, /non-commit object|failed to update ref/);
    });

    it('accepts a blob under refs/tags, as git does', async () => {
      const { result: push, poll } = await pollHealthWhile(t.url, () => git(work, t.env, ['push', url, `${blob}:refs/tags/a-blob`]));
      assert.equal(push.code, 0, push.stderr);
      assertAnsweredWithinASecond(poll);
      const repo = (await t.store.getRepositoryByName('objs'))!;
      assert.equal((await t.store.resolveRef(repo.id, 'refs/tags/a-blob'))?.target, blob);
      await gitOk(work, t.env, ['push', '-q', bare, `${blob}:refs/tags/a-blob`]);
      await assertCloneFsckClean(t, 'objs');
    });

    it('still takes a good push, and a clone of it is fsck-clean', async () => {
      // In git's order: "a.txt" before the directory "a", which sorts as "a/".
      const dir = (await gitOk(work, t.env, ['rev-parse', 'main^{tree}'])).trim();
      const commit = await commitOfTree([['100644', '.gitignore', blob], ['100644', 'a.txt', blob], ['40000', 'a', dir]], 'good');
      const { result: push, poll } = await pollHealthWhile(t.url, () => git(work, t.env, ['push', url, `${commit}:refs/heads/main`]));
      assert.equal(push.code, 0, push.stderr);
      assertAnsweredWithinASecond(poll);
      const repo = (await t.store.getRepositoryByName('objs'))!;
      assert.equal((await t.store.resolveRef(repo.id, 'refs/heads/main'))?.target, commit);
      await gitOk(work, t.env, ['push', '-q', bare, `${commit}:refs/heads/main`]);
      await assertCloneFsckClean(t, 'objs');
    });
  });
}
