/** Updates that never lose a field, config prefixes, and a repository's delete taking what belongs to it. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KEYSPACE } from '../../../src/datastore/keyspace.js';
import type { DataStore } from '../../../src/datastore/index.js';
import { rejectsWithCode, type SuiteContext } from '../context.js';
import { scaled } from '../target.js';

async function configUnder(store: DataStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const [k] of store.listConfig(prefix)) keys.push(k);
  return keys;
}

export function recordCases(ctx: SuiteContext): void {
  const RACERS = scaled(ctx.target, 32, 16);
  it(`keeps every field when ${RACERS} updaters race on one repository and one user`, async () => {
    await ctx.withStore(async (store) => {
      const repo = await store.createRepository({ name: 'raced' });
      assert.equal(repo.version, 1);
      const user = await store.createUser({ username: 'raced', email: 'raced@example.com' });
      assert.equal(user.version, 1);
      await Promise.all(
        Array.from({ length: RACERS }, async (_, i) => {
          await store.updateRepository(repo.id, (r) => ({ metadata: { ...r.metadata, [`k${i}`]: i } }));
          await store.updateUser(user.id, (u) => ({ metadata: { ...u.metadata, [`k${i}`]: i } }));
        }),
      );
      await Promise.all([store.updateRepository(repo.id, { description: 'd' }), store.updateRepository(repo.id, { path: 'p' })]);
      const r = (await store.getRepository(repo.id))!;
      const u = (await store.getUser(user.id))!;
      for (let i = 0; i < RACERS; i++) {
        assert.equal(r.metadata[`k${i}`], i, `repository metadata k${i} was lost`);
        assert.equal(u.metadata[`k${i}`], i, `user metadata k${i} was lost`);
      }
      assert.equal(r.description, 'd');
      assert.equal(r.path, 'p');
      assert.equal(r.version, 1 + RACERS + 2);
      assert.equal(u.version, 1 + RACERS);
    });
  });

  it('applies an update with ifVersion only to that version', async () => {
    await ctx.withStore(async (store) => {
      const repo = await store.createRepository({ name: 'cas' });
      const next = await store.updateRepository(repo.id, { description: 'one' }, { ifVersion: 1 });
      assert.equal(next.version, 2);
      const stale = await rejectsWithCode(store.updateRepository(repo.id, { description: 'two' }, { ifVersion: 1 }), 'CONFLICT', /version 2, not 1/);
      assert.equal((stale as { details?: Record<string, unknown> }).details?.reason, 'stale-version');
      assert.equal((await store.getRepository(repo.id))!.description, 'one');
      await rejectsWithCode(store.updateRepository(repo.id, { description: 'x' }, { ifVersion: 0 }), 'INVALID_ARGUMENT');
      const user = await store.createUser({ username: 'cas', email: 'cas@example.com' });
      await rejectsWithCode(store.updateUser(user.id, { displayName: 'x' }, { ifVersion: 5 }), 'CONFLICT', /version 1, not 5/);
      assert.equal((await store.updateUser(user.id, { displayName: 'y' }, { ifVersion: 1 })).version, 2);
      await rejectsWithCode(store.updateUser('nobody', { displayName: 'x' }, { ifVersion: 1 }), 'NOT_FOUND');
      // a restore writes the record's own version
      await store.saveRepository({ ...(await store.getRepository(repo.id))!, version: 41 });
      assert.equal((await store.getRepository(repo.id))!.version, 41);
    });
  });

  it('lists config after a key with a limit, and deletes a prefix and nothing beside it', async () => {
    await ctx.withStore(async (store) => {
      for (const key of ['p/a', 'p/b', 'p/c', 'p%/x', 'p_', 'pz', 'q/a']) await store.setConfig(key, key);
      const page: string[] = [];
      for await (const [k] of store.listConfig('p/', { after: 'p/a', limit: 1 })) page.push(k);
      assert.deepEqual(page, ['p/b']);
      await store.deleteConfigPrefix('p/');
      assert.deepEqual(await configUnder(store, 'p'), ['p%/x', 'p_', 'pz']);
      await store.deleteConfigPrefix('p%');
      assert.deepEqual(await configUnder(store, ''), ['p_', 'pz', 'q/a']);
      await store.deleteConfigPrefix('nothing-here/');
      await rejectsWithCode(store.deleteConfigPrefix(''), 'INVALID_ARGUMENT', /must not be empty/);
      assert.deepEqual(await configUnder(store, ''), ['p_', 'pz', 'q/a']);
    });
  });

  it("deletes a repository with its refs, grants and commit index in one write, and no other repository's", async () => {
    await ctx.withStore(async (store) => {
      const a = await store.createRepository({ name: 'a' });
      const b = await store.createRepository({ name: 'ab' });
      const target = await store.putObject({ type: 'blob', data: Buffer.from('x') });
      for (const repo of [a, b]) {
        await store.updateRefs(repo.id, [{ name: 'refs/heads/main', new: target }]);
        await store.setConfig(`${KEYSPACE.permission}${repo.id}.user1`, 'write');
        await store.setConfig(`${KEYSPACE.commitIndex}${repo.id}/stats`, '{}');
      }
      await store.deleteRepository(a.id);
      assert.equal(await store.getRepository(a.id), undefined);
      assert.equal(await store.getRef(a.id, 'refs/heads/main'), undefined);
      assert.deepEqual(await configUnder(store, `${KEYSPACE.permission}${a.id}.`), []);
      assert.deepEqual(await configUnder(store, `${KEYSPACE.commitIndex}${a.id}/`), []);
      assert.equal((await store.getRef(b.id, 'refs/heads/main'))?.target, target);
      assert.equal(await store.getConfig(`${KEYSPACE.permission}${b.id}.user1`), 'write');
      assert.equal(await store.getConfig(`${KEYSPACE.commitIndex}${b.id}/stats`), '{}');
      await rejectsWithCode(store.createRepository({ name: 'bad', id: 'has.dot' }), 'INVALID_ARGUMENT', /letters, digits/);
    });
  });
}
