/** The commit index: rows written with a ref update, queried back, refused with it, dropped with the repository. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CommitIndexRow } from '../../../src/datastore/commit-index/index.js';
import type { DataStore } from '../../../src/datastore/index.js';
import { makeRepository, rejectsWithCode, type SuiteContext } from '../context.js';
import { hex, history } from '../../support/commit-rows.js';

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
const newestFirst = (rows: CommitIndexRow[]) => [...rows].sort((a, b) => b.committer.timestamp - a.committer.timestamp || (a.id < b.id ? -1 : 1));

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function commitIndexCases(ctx: SuiteContext): void {
  it('lists and queries the commit index a ref update wrote', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      const rows = history(12);
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: rows[11].id }], { commits: rows });
      assert.deepEqual(await store.indexedCommits(repo, [rows[0].id, hex('absent'), rows[11].id]), [true, false, true]);
      const sorted = newestFirst(rows);
      const strip = (r: CommitIndexRow) => {
        const { paths: _, ...c } = r;
        return c;
      };
      assert.deepEqual(await store.queryIndexedCommits(repo), sorted.map(strip));
      assert.deepEqual(ids(await store.queryIndexedCommits(repo, { limit: 3 })), ids(sorted.slice(0, 3)));
      assert.deepEqual(ids(await store.queryIndexedCommits(repo, { author: 'ada@example.com' })), ids(sorted.filter((r) => r.author.name === 'Ada Lovelace')));
      assert.deepEqual(ids(await store.queryIndexedCommits(repo, { author: 'bob', limit: 2 })), ids(sorted.filter((r) => r.author.name === 'Bob').slice(0, 2)));
      const t0 = rows[0].committer.timestamp;
      assert.deepEqual(ids(await store.queryIndexedCommits(repo, { since: t0 + 120, until: t0 + 300 })), ids([rows[4], rows[3], rows[2]]));
      assert.deepEqual(ids(await store.queryIndexedCommits(repo, { path: 'src' })), ids(sorted.filter((r) => r.paths.includes('src'))));
      assert.deepEqual(ids(await store.queryIndexedCommits(repo, { path: 'caf\xc3\xa9', until: t0 + 60 * 7 })), ids([rows[6], rows[3], rows[0]]));
      assert.deepEqual(await store.queryIndexedCommits(repo, { path: 'nowhere' }), []);
      assert.deepEqual(await store.countIndexedCommits(repo), { commits: 12, contributors: 2 });
      const who = await all(store.listIndexedContributors(repo));
      assert.deepEqual(who.map((c) => c.email.toLowerCase()), ['ada@example.com', 'bob@example.com']);
      const back = await all(store.listIndexedRows(repo));
      assert.deepEqual(back.map((r) => ({ ...r, paths: [...r.paths].sort() })), [...rows].sort((a, b) => (a.id < b.id ? -1 : 1)).map((r) => ({ ...r, paths: [...r.paths].sort() })));
      // rows already there are kept, not counted twice
      await store.indexCommits(repo, rows.slice(0, 5));
      assert.deepEqual(await store.countIndexedCommits(repo), { commits: 12, contributors: 2 });
    });
  });

  it('writes no commit-index rows when the ref update is refused', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      const first = history(2, 'a');
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: first[1].id }], { commits: first });
      const more = history(3, 'b');
      await rejectsWithCode(store.updateRefs(repo, [{ name: 'refs/heads/main', old: more[0].id, new: more[2].id }], { commits: more }), 'CONFLICT');
      await rejectsWithCode(store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: more[2].id }], { commits: more }), 'CONFLICT');
      assert.deepEqual(await store.indexedCommits(repo, ids(more)), [false, false, false]);
      assert.deepEqual(await store.countIndexedCommits(repo), { commits: 2, contributors: 2 });
      await rejectsWithCode(store.updateRefs('no-such-repository', [{ name: 'refs/heads/x', new: more[2].id }], { commits: more }), 'NOT_FOUND');
      assert.equal((await store.getRef(repo, 'refs/heads/main'))!.target, first[1].id);
    });
  });

  it('keeps a large commit index write whole, and drops an index with its repository and alone', async () => {
    await ctx.withStore(async (store: DataStore) => {
      const big = await makeRepository(store, 'idx-big');
      const other = await makeRepository(store, 'idx-big-other');
      const rows = history(2500, 'big');
      await store.updateRefs(big, [{ name: 'refs/heads/main', old: null, new: rows[2499].id }], { commits: rows });
      await store.updateRefs(other, [{ name: 'refs/heads/main', old: null, new: rows[9].id }], { commits: rows.slice(0, 10) });
      assert.deepEqual(await store.countIndexedCommits(big), { commits: 2500, contributors: 2 });
      assert.equal((await all(store.listIndexedRows(big))).length, 2500);
      await store.dropCommitIndex(big);
      assert.deepEqual(await store.countIndexedCommits(big), { commits: 0, contributors: 0 });
      assert.deepEqual(await store.queryIndexedCommits(big), []);
      assert.equal((await store.countIndexedCommits(other)).commits, 10, 'the other repository keeps its index');
      await store.indexCommits(big, rows.slice(0, 3));
      await store.deleteRepository(big);
      const again = await store.createRepository({ name: 'idx-big-again' });
      assert.deepEqual(await store.countIndexedCommits(again.id), { commits: 0, contributors: 0 });
      assert.equal((await store.countIndexedCommits(other)).commits, 10);
    });
  });
}
