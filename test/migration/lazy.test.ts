/**
 * lazy_from: a new store (LMDB) reading through to an old one (SQLite): a git
 * clone served from the new store before any object was copied gets every
 * object (kept in the new store as read, deltas as deltas); records are
 * copied when it opens; writes go to the new store only; the background copy
 * ends with both equal. Real git client and server.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore, type DataStore } from '../../src/datastore/index.js';
import type { LazyDriver } from '../../src/datastore/migration/lazy-driver.js';
import { verifyStores } from '../../src/datastore/migration/verify.js';
import { gitEnv, gitOk } from '../../support/git.js';
import { makeRepo, repoUrl } from '../support/server.js';
import { startGovc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';
import { withStore } from '../support/with-store.js';
import { govc } from './cli.js';
import { populate, TestStores } from './stores.js';

const stores = new TestStores();
const tmp = tempDir('govc-lazy-');
after(async () => {
  tmp.remove();
  await stores.cleanup();
});

const lazy = (uri: string, from: string, copy: boolean) => `${uri}${uri.includes('?') ? '&' : '?'}lazy_from=${encodeURIComponent(from)}&lazy_copy=${copy}`;

async function objectCount(uri: string): Promise<number> {
  return withStore(uri, async (s) => (await s.metrics()).objectCount);
}

describe('lazy_from', () => {
  it('serves a clone from a new store that has no objects yet, keeping what it read', async () => {
    const oldUri = await stores.uri('sqlite');
    const newUri = await stores.uri('lmdb');
    const env = gitEnv(tmp.path);
    const work = join(tmp.path, 'work');
    mkdirSync(work);
    await makeRepo(work, env, 12);
    const imported = await govc('repo', 'import', work, '--store', oldUri, '--name', 'lazy');
    assert.equal(imported.status, 0, imported.stderr);
    const total = await objectCount(oldUri);

    const server = await startGovc(['--store', lazy(newUri, oldUri, false)]);
    try {
      const clone = join(tmp.path, 'clone');
      await gitOk(tmp.path, env, ['clone', '-q', repoUrl(server.url, 'lazy'), clone]);
      await gitOk(clone, env, ['fsck', '--strict']);
      assert.equal((await gitOk(clone, env, ['rev-parse', 'HEAD'])).trim(), (await gitOk(work, env, ['rev-parse', 'HEAD'])).trim());
    } finally {
      await server.stop();
    }
    assert.equal(await objectCount(newUri), total, 'every object the clone read is kept in the new store');
  });

  // an embedded pair, a server pair, and a server read through from an embedded store
  for (const [from, to] of [['sqlite', 'lmdb'], ['postgres', 'redis'], ['redis', 'sqlite']] as const) {
    it(`copies records on open, writes only to the new store, and the background copy ends equal (${from} → ${to})`, async () => {
      const oldUri = await stores.uri(from);
      const newUri = await stores.uri(to);
      await withStore(oldUri, (s) => populate(s, 3, 'lz'));
      const old = await createStore(oldUri);
      let store: DataStore | undefined;
      try {
        store = await createStore(lazy(newUri, oldUri, false));
        const plainNew = async <T>(fn: (s: DataStore) => Promise<T>) => {
          await store!.close();
          const r = await withStore(newUri, fn);
          store = await createStore(lazy(newUri, oldUri, false));
          return r;
        };
        // records are there at once; objects read through
        assert.equal((await store.listRepositories()).items.length, 6);
        assert.equal(await store.countEvents(), 30);
        const ids: string[] = [];
        for await (const id of store.listObjects()) ids.push(id);
        assert.equal(ids.length, (await old.metrics()).objectCount, 'listing merges both stores');
        assert.equal(await plainNew((s) => s.metrics().then((m) => m.objectCount)), 0, 'no object copied yet');
        const delta = [...(await old.getEntries(ids)).values()].find((e) => e.base)!;
        assert.ok(await store.getObject(delta.id));
        const kept = await plainNew((s) => s.getEntries([delta.id, delta.base!]));
        assert.equal(kept.get(delta.id)?.base, delta.base, 'the delta is kept as a delta');
        assert.ok(kept.has(delta.base!), 'with its base, read to build it');
        // a write goes to the new store only
        const repo = (await store.listRepositories()).items[0];
        await store.updateRefs(repo.id, [{ name: 'refs/heads/new', new: delta.id }]);
        assert.equal(await old.getRef(repo.id, 'refs/heads/new'), undefined);
        await store.close();

        // with the background copy on, the rest comes over
        store = await createStore(lazy(newUri, oldUri, true));
        await (store.driver as LazyDriver).background;
        assert.equal((store.driver as LazyDriver).backgroundError, undefined);
        await store.close();
        store = undefined;
        await withStore(newUri, async (plain) => {
          const report = await verifyStores(old, plain);
          assert.deepEqual(report.first, [{ kind: 'ref', key: `${repo.name} refs/heads/new`, problem: 'only in target' }]);
        });
      } finally {
        await store?.close();
        await old.close();
      }
    });
  }
});
