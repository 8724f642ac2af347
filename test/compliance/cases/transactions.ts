/** Transactions: commit, rollback, isolation, conflicts at commit. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { blob, blobId, makeRepository, rejectsWithCode, type SuiteContext } from '../context.js';

const A = blobId('a');
const B = blobId('b');
const C = blobId('c');

export function transactionCases(ctx: SuiteContext): void {
  const skip = async () => !(await ctx.capabilities()).transactions;

  it('commits every kind of write together, and others see nothing before commit', async (t) => {
    if (await skip()) return t.skip('store has no transactions');
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      const tx = await store.begin();
      const id = await tx.putObject(blob('in tx'));
      await tx.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: A }]);
      const newRepo = await tx.createRepository({ name: 'tx-repo' });
      const user = await tx.createUser({ username: 'tx-user', email: 'tx@example.com' });
      await tx.logEvent({ action: 'tx-event' });
      await tx.setConfig('tx.key', 'v');
      // the transaction sees its own writes
      assert.equal(Buffer.from((await tx.getObject(id))!.data).toString(), 'in tx');
      assert.equal(await tx.hasObject(id), true);
      assert.equal((await tx.getRef(repo, 'refs/heads/main'))?.target, A);
      assert.equal((await tx.getRepositoryByName('tx-repo'))?.id, newRepo.id);
      assert.equal((await tx.getUserByEmail('tx@example.com'))?.id, user.id);
      assert.equal(await tx.countEvents({ action: 'tx-event' }), 1);
      assert.equal(await tx.getConfig('tx.key'), 'v');
      assert.deepEqual((await tx.listRepositories()).items.map((r) => r.name).includes('tx-repo'), true);
      // others do not
      assert.equal(await store.hasObject(id), false);
      assert.equal(await store.getRef(repo, 'refs/heads/main'), undefined);
      assert.equal(await store.getRepositoryByName('tx-repo'), undefined);
      assert.equal(await store.getUser(user.id), undefined);
      assert.equal(await store.countEvents({ action: 'tx-event' }), 0);
      assert.equal(await store.getConfig('tx.key'), undefined);
      await tx.commit();
      assert.equal(await store.hasObject(id), true);
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, A);
      assert.equal((await store.getRepositoryByName('tx-repo'))?.id, newRepo.id);
      assert.equal((await store.getUser(user.id))?.username, 'tx-user');
      assert.equal(await store.countEvents({ action: 'tx-event' }), 1);
      assert.equal(await store.getConfig('tx.key'), 'v');
      await rejectsWithCode(tx.getConfig('tx.key'), 'CLOSED');
    });
  });

  it('discards everything on rollback', async (t) => {
    if (await skip()) return t.skip('store has no transactions');
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      await store.updateRefs(repo, [{ name: 'refs/heads/main', new: A }]);
      const tx = await store.begin();
      const id = await tx.putObject(blob('rolled back'));
      await tx.updateRefs(repo, [{ name: 'refs/heads/main', old: A, new: B }]);
      await tx.deleteRepository(repo);
      assert.equal(await tx.getRepository(repo), undefined);
      assert.equal(await tx.getRef(repo, 'refs/heads/main'), undefined);
      await tx.setConfig('k', 'v');
      await tx.rollback();
      assert.equal(await store.hasObject(id), false);
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, A);
      assert.ok(await store.getRepository(repo));
      assert.equal(await store.getConfig('k'), undefined);
      await rejectsWithCode(tx.commit(), 'CLOSED');
    });
  });

  it('transaction() commits on return and rolls back on throw', async (t) => {
    if (await skip()) return t.skip('store has no transactions');
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      const result = await store.transaction(async (tx) => {
        await tx.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: A }]);
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, A);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.updateRefs(repo, [{ name: 'refs/heads/main', old: A, new: B }]);
          await tx.setConfig('half', 'written');
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, A);
      assert.equal(await store.getConfig('half'), undefined);
    });
  });

  it('fails the commit, applying nothing, when a ref it updates changed after the transaction read it', async (t) => {
    if (await skip()) return t.skip('store has no transactions');
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      await store.updateRefs(repo, [{ name: 'refs/heads/main', new: A }]);
      const tx = await store.begin();
      await tx.setConfig('written-by-tx', 'yes');
      await tx.updateRefs(repo, [{ name: 'refs/heads/main', old: A, new: B }]);
      // someone else moves the ref; a store with row locks may make that writer wait for the transaction
      const outside = store.updateRefs(repo, [{ name: 'refs/heads/main', old: A, new: C }]).then(
        () => 'applied',
        (err: { code?: string }) => err.code ?? 'error',
      );
      const first = await Promise.race([outside, new Promise((r) => setTimeout(() => r('waiting'), 300))]);
      if (first === 'applied') {
        await rejectsWithCode(tx.commit(), 'CONFLICT');
        assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, C);
        assert.equal(await store.getConfig('written-by-tx'), undefined);
      } else {
        // The outside writer was held back, refused, or is only slow (a loaded server): exactly one of the two wins.
        const committed = await tx.commit().then(
          () => true,
          (err: { code?: string }) => {
            if (err.code !== 'CONFLICT') throw err;
            return false;
          },
        );
        assert.equal(await outside, committed ? 'CONFLICT' : 'applied');
        assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, committed ? B : C);
        assert.equal(await store.getConfig('written-by-tx'), committed ? 'yes' : undefined);
      }
    });
  });

  it('refuses isolation levels the store does not declare', async (t) => {
    if (await skip()) return t.skip('store has no transactions');
    await ctx.withStore(async (store) => {
      const levels = store.capabilities.isolationLevels;
      assert.ok(levels.length > 0);
      for (const level of ['read-committed', 'repeatable-read', 'serializable'] as const) {
        if (levels.includes(level)) {
          const tx = await store.begin({ isolation: level });
          await tx.rollback();
        } else {
          await rejectsWithCode(store.begin({ isolation: level }), 'UNSUPPORTED');
        }
      }
      const ro = await store.begin({ readOnly: true });
      await assert.rejects(ro.setConfig('x', 'y'));
      await ro.rollback();
    });
  });
}
