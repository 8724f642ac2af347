/** The transaction stores without native ones get: each op of a write sees the ops before it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferedTransaction } from '../../src/datastore/buffered-transaction.js';
import { createStore } from '../../src/datastore/index.js';
import { buildRepository } from '../../src/datastore/inputs.js';
import { rejectsWithCode } from '../compliance/context.js';

describe('BufferedTransaction', () => {
  it('takes a repository and its refs in one write, and a failing write leaves the buffer as it was', async () => {
    const store = await createStore('memory://');
    try {
      const target = await store.putObject({ type: 'blob', data: Buffer.from('x') });
      const tx = new BufferedTransaction(store.driver, false);
      const repo = buildRepository({ name: 'fresh' });
      await tx.write([
        { op: 'putRepository', repository: repo, mode: 'create' },
        { op: 'updateRefs', repositoryId: repo.id, updates: [{ name: 'refs/heads/main', new: target }] },
      ]);
      const other = buildRepository({ name: 'other' });
      await rejectsWithCode(
        tx.write([
          { op: 'putRepository', repository: other, mode: 'create' },
          { op: 'setConfig', key: 'k', value: 'v' },
          { op: 'updateRefs', repositoryId: other.id, updates: [{ name: 'refs/heads/main', old: target, new: target }] },
        ]),
        'CONFLICT',
      );
      assert.equal(await tx.getRepository(other.id), undefined, 'the failed write left its repository in the buffer');
      assert.equal(await tx.getConfig('k'), undefined);
      assert.equal((await tx.getRef(repo.id, 'refs/heads/main'))?.target, target);
      await rejectsWithCode(tx.write([{ op: 'putRepository', repository: { ...repo, version: 2 }, mode: 'update', ifVersion: 7 }]), 'CONFLICT', /version 1, not 7/);
      await tx.commit();
      assert.equal((await store.getRef(repo.id, 'refs/heads/main'))?.target, target);
      assert.equal(await store.getRepository(other.id), undefined);
    } finally {
      await store.close();
    }
  });

  it('hides config under a prefix it deleted until a later set puts a key back', async () => {
    const store = await createStore('memory://');
    try {
      for (const k of ['a/1', 'a/2', 'b/1']) await store.setConfig(k, k);
      const tx = new BufferedTransaction(store.driver, false);
      await tx.write([{ op: 'deleteConfigPrefix', prefix: 'a/' }, { op: 'setConfig', key: 'a/2', value: 'again' }]);
      assert.equal(await tx.getConfig('a/1'), undefined);
      assert.equal(await tx.getConfig('a/2'), 'again');
      assert.deepEqual(await tx.listConfig({ prefix: '', limit: 10 }), [['a/2', 'again'], ['b/1', 'b/1']]);
      await tx.commit();
      assert.equal(await store.getConfig('a/1'), undefined);
      assert.equal(await store.getConfig('a/2'), 'again');
    } finally {
      await store.close();
    }
  });
});
