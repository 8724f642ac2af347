/** Refs: compare-and-swap, atomic batches, symbolic refs, listing. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { blobId, collectPages, makeRepository, rejectsWithCode, type SuiteContext } from '../context.js';

const A = blobId('a');
const B = blobId('b');
const C = blobId('c');

export function refCases(ctx: SuiteContext): void {
  it('creates, updates and deletes a ref with compare-and-swap', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      assert.equal(await store.getRef(repo, 'refs/heads/main'), undefined);
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: A }]);
      assert.deepEqual(await store.getRef(repo, 'refs/heads/main'), { name: 'refs/heads/main', type: 'direct', target: A });
      // create means "must not exist"
      await rejectsWithCode(store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: B }]), 'CONFLICT');
      // a stale expected value is a conflict and changes nothing
      const err = await rejectsWithCode(store.updateRefs(repo, [{ name: 'refs/heads/main', old: C, new: B }]), 'CONFLICT');
      assert.match(err.message, /refs\/heads\/main/);
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, A);
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: A, new: B }]);
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, B);
      // unchecked update
      await store.updateRefs(repo, [{ name: 'refs/heads/main', new: C }]);
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, C);
      // delete checks the expected value
      await rejectsWithCode(store.updateRefs(repo, [{ name: 'refs/heads/main', old: A, new: null }]), 'CONFLICT');
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: C, new: null }]);
      assert.equal(await store.getRef(repo, 'refs/heads/main'), undefined);
      // expecting an absent ref to be absent and deleting it is fine; expecting a value is not
      await rejectsWithCode(store.updateRefs(repo, [{ name: 'refs/heads/gone', old: A, new: null }]), 'CONFLICT');
    });
  });

  it('applies a multi-ref update all or nothing', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      await store.updateRefs(repo, [
        { name: 'refs/heads/one', old: null, new: A },
        { name: 'refs/heads/two', old: null, new: A },
      ]);
      // the second update is stale: the first must not apply either
      await rejectsWithCode(
        store.updateRefs(repo, [
          { name: 'refs/heads/one', old: A, new: B },
          { name: 'refs/heads/two', old: C, new: B },
          { name: 'refs/heads/three', old: null, new: B },
        ]),
        'CONFLICT',
      );
      assert.equal((await store.getRef(repo, 'refs/heads/one'))?.target, A);
      assert.equal((await store.getRef(repo, 'refs/heads/two'))?.target, A);
      assert.equal(await store.getRef(repo, 'refs/heads/three'), undefined);
      await store.updateRefs(repo, [
        { name: 'refs/heads/one', old: A, new: B },
        { name: 'refs/heads/two', old: A, new: null },
        { name: 'refs/heads/three', old: null, new: C },
      ]);
      assert.deepEqual(
        (await store.listRefsPage(repo)).items.map((r) => [r.name, r.target]),
        [
          ['refs/heads/one', B],
          ['refs/heads/three', C],
        ],
      );
    });
  });

  it('writes the audit event given with a ref update in the same write: exactly one when it applies, none when it is refused', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      const event = (n: number) => ({ action: 'test.push', userId: null, resource: 'pushed', repositoryId: repo, details: { n } });
      const logged = async () => (await store.queryEvents({ action: 'test.push', limit: 100 })).items.map((e) => e.details.n);
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: A }], { event: event(1) });
      assert.deepEqual(await logged(), [1]);
      // a stale create, a stale ref among several, a missing repository: no ref moves and no event is written
      await rejectsWithCode(store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: B }], { event: event(2) }), 'CONFLICT');
      await rejectsWithCode(
        store.updateRefs(
          repo,
          [
            { name: 'refs/heads/other', old: null, new: B },
            { name: 'refs/heads/main', old: C, new: B },
          ],
          { event: event(3) },
        ),
        'CONFLICT',
      );
      await rejectsWithCode(store.updateRefs('no-such-repository', [{ name: 'refs/heads/main', new: B }], { event: event(4) }), 'NOT_FOUND');
      assert.deepEqual(await logged(), [1]);
      assert.equal(await store.getRef(repo, 'refs/heads/other'), undefined);
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, A);
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: A, new: B }], { event: event(5) });
      const events = (await store.queryEvents({ action: 'test.push', limit: 100 })).items;
      assert.deepEqual(
        events.map((e) => ({ action: e.action, userId: e.userId, resource: e.resource, repositoryId: e.repositoryId, details: e.details })),
        [event(1), event(5)],
      );
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, B);
    });
  });

  it('keeps symbolic refs and resolves them', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      await store.setSymbolicRef(repo, 'HEAD', 'refs/heads/main');
      assert.deepEqual(await store.getRef(repo, 'HEAD'), { name: 'HEAD', type: 'symbolic', target: 'refs/heads/main' });
      assert.equal(await store.resolveRef(repo, 'HEAD'), undefined);
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: A }]);
      assert.deepEqual(await store.resolveRef(repo, 'HEAD'), { name: 'refs/heads/main', type: 'direct', target: A });
      // CAS on a symbolic ref compares its target name
      await store.updateRefs(repo, [{ name: 'HEAD', old: 'refs/heads/main', new: 'refs/heads/dev', symbolic: true }]);
      assert.equal((await store.getRef(repo, 'HEAD'))?.target, 'refs/heads/dev');
      await rejectsWithCode(store.setSymbolicRef(repo, 'HEAD', 'not a ref'), 'INVALID_ARGUMENT');
    });
  });

  it('refuses refs of a repository that does not exist, and bad ref names', async () => {
    await ctx.withStore(async (store) => {
      await rejectsWithCode(store.updateRefs('no-such-repo', [{ name: 'refs/heads/x', new: A }]), 'NOT_FOUND');
      const repo = await makeRepository(store);
      for (const bad of ['main', 'refs/heads/a..b', 'refs/heads/x.lock', 'refs/heads/sp ace', 'refs/heads/', 'refs//x', 'refs/heads/a:b', 'refs/heads/.hidden']) {
        await rejectsWithCode(store.updateRefs(repo, [{ name: bad, new: A }]), 'INVALID_ARGUMENT', undefined);
      }
      await rejectsWithCode(store.updateRefs(repo, [{ name: 'refs/heads/x', new: 'not-a-sha' }]), 'INVALID_ARGUMENT');
      await rejectsWithCode(
        store.updateRefs(repo, [
          { name: 'refs/heads/x', new: A },
          { name: 'refs/heads/x', new: B },
        ]),
        'INVALID_ARGUMENT',
        /twice/,
      );
      await rejectsWithCode(store.updateRefs(repo, []), 'INVALID_ARGUMENT');
      assert.deepEqual((await store.listRefsPage(repo)).items, []);
    });
  });

  it('lists refs by prefix in name order with cursors, per repository', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      const other = await makeRepository(store);
      const names = ['refs/heads/main', 'refs/heads/feature/ü', 'refs/heads/feature/a_b', 'refs/heads/feature/a%b', 'refs/tags/v1', 'refs/tags/v1.0', 'refs/heads/featureX'];
      await store.updateRefs(repo, names.map((name) => ({ name, old: null, new: A })));
      await store.updateRefs(other, [{ name: 'refs/heads/other', old: null, new: B }]);
      const sorted = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const all: string[] = [];
      for await (const r of store.listRefs(repo)) all.push(r.name);
      assert.deepEqual(all, sorted);
      const pages = await collectPages((cursor) => store.listRefsPage(repo, { limit: 2, cursor }));
      assert.deepEqual(pages.flat().map((r) => r.name), sorted);
      const feature = (await store.listRefsPage(repo, { prefix: 'refs/heads/feature/' })).items.map((r) => r.name);
      assert.deepEqual(feature, sorted.filter((n) => n.startsWith('refs/heads/feature/')));
      // % and _ are literal characters in a prefix
      assert.deepEqual((await store.listRefsPage(repo, { prefix: 'refs/heads/feature/a%' })).items.map((r) => r.name), ['refs/heads/feature/a%b']);
      assert.deepEqual((await store.listRefsPage(repo, { prefix: 'refs/heads/feature/a_' })).items.map((r) => r.name), ['refs/heads/feature/a_b']);
      assert.deepEqual((await store.listRefsPage(repo, { prefix: 'refs/notes/' })).items, []);
      assert.deepEqual((await store.listRefsPage(other)).items.map((r) => r.name), ['refs/heads/other']);
    });
  });

  it('deletes a repository\'s refs with the repository', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store, 'doomed');
      await store.updateRefs(repo, [{ name: 'refs/heads/main', new: A }]);
      await store.deleteRepository(repo);
      assert.equal(await store.getRepository(repo), undefined);
      const again = await store.createRepository({ name: 'doomed', id: repo });
      assert.deepEqual((await store.listRefsPage(again.id)).items, []);
      assert.equal(await store.getRef(again.id, 'refs/heads/main'), undefined);
    });
  });
}
