/**
 * The cache layer beyond the compliance suite: counts in metrics() and
 * /metrics, evictions, a compare-and-swap decided by the store and not the
 * cache, a fill that lost a race with a write, writes in one process seen by
 * another through a shared Redis tier, and refs retired by PostgreSQL's
 * change feed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore, DataStore } from '../../src/datastore/index.js';
import { ForwardingDriver } from '../../src/datastore/forwarding-driver.js';
import { CacheLayer } from '../../src/datastore/layers/cache/index.js';
import { MemoryTier } from '../../src/datastore/layers/cache/tier.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { blobId, rejectsWithCode } from '../compliance/context.js';
import { startStandaloneRedis } from '../../support/redis-servers.js';
import { schemaFactory } from '../stores/fixtures/pg-support.js';

const root = mkdtempSync(join(tmpdir(), 'govc-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cache layer: counts', () => {
  it('counts hits and misses into metrics() and /metrics, and evictions of a small cache', async () => {
    const store = await createStore('memory://?cache.type=memory&cache.size=64KB');
    try {
      const ids = [];
      for (let i = 0; i < 40; i++) ids.push(await store.putObject({ type: 'blob', data: randomBytes(3000) }));
      await store.getObject(ids[0]);
      await store.getObject(ids[0]);
      await store.setConfig('k', 'v');
      await store.getConfig('k');
      await store.getConfig('k');
      const first = (await store.metrics()).cache!;
      assert.ok(first.hits >= 2, `hits ${first.hits}`);
      assert.ok(first.misses >= 2, `misses ${first.misses}`);
      assert.equal(first.evictions, 0);
      for (const id of ids) await store.getObject(id);
      const later = (await store.metrics()).cache!;
      assert.ok(later.evictions > 0, 'a 64 KB cache evicts 40 entries of 3 KB');
      const text = await new ServerMetrics(store).render();
      assert.match(text, new RegExp(`govc_store_cache_total\\{store="memory",result="hit"\\} ${later.hits}`));
      assert.match(text, /govc_store_cache_total\{store="memory",result="eviction"\} [1-9]/);
    } finally {
      await store.close();
    }
  });
});

describe('cache layer: consistency', () => {
  it('decides a compare-and-swap in the store, never against the cached ref, and re-reads after it', async () => {
    const uri = `sqlite://${join(root, `cas${++n}.db`)}?cache.type=memory&cache.ttl=1h`;
    const [a, b] = [await createStore(uri), await createStore(uri)];
    try {
      const repo = (await a.createRepository({ name: 'cas' })).id;
      await a.updateRefs(repo, [{ name: 'refs/heads/main', new: blobId('x') }]);
      assert.equal((await a.getRef(repo, 'refs/heads/main'))?.target, blobId('x'));
      await b.updateRefs(repo, [{ name: 'refs/heads/main', old: blobId('x'), new: blobId('y') }]);
      // a's cache still says x (within its ttl): the store refuses the swap anyway.
      assert.equal((await a.getRef(repo, 'refs/heads/main'))?.target, blobId('x'));
      await rejectsWithCode(a.updateRefs(repo, [{ name: 'refs/heads/main', old: blobId('x'), new: blobId('z') }]), 'CONFLICT');
      assert.equal((await a.getRef(repo, 'refs/heads/main'))?.target, blobId('y'), 'the refused write retired the cached ref');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('decides ifVersion in the store: a stale cached record neither passes a check nor loses an update', async () => {
    const uri = `sqlite://${join(root, `ver${++n}.db`)}?cache.type=memory&cache.ttl=1h`;
    const [a, b] = [await createStore(uri), await createStore(uri)];
    try {
      const repo = await a.createRepository({ name: 'versioned', metadata: { a: 1 } });
      assert.equal((await a.getRepository(repo.id))?.version, 1);
      await b.updateRepository(repo.id, { metadata: { a: 1, b: 2 } });
      assert.equal((await a.getRepository(repo.id))?.version, 1, 'a still has version 1 cached');
      await rejectsWithCode(a.updateRepository(repo.id, { description: 'stale' }, { ifVersion: 1 }), 'CONFLICT');
      // Without ifVersion the update retries on a fresh read: b's metadata is kept.
      const next = await a.updateRepository(repo.id, (current) => ({ metadata: { ...current.metadata, c: 3 } }));
      assert.deepEqual(next.metadata, { a: 1, b: 2, c: 3 });
      assert.equal((await b.getRepository(repo.id))?.version, 3);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('drops a fill whose read began before a write that finished first', async () => {
    const base = (await createStore('memory://')).driver;
    let release: (() => void) | undefined;
    class Gated extends ForwardingDriver {
      override async getConfig(key: string): Promise<string | undefined> {
        const value = await super.getConfig(key);
        if (release === undefined) return value;
        await new Promise<void>((r) => (release = r));
        return value;
      }
    }
    const store = await new DataStore(new CacheLayer(new Gated(base), new MemoryTier(1 << 20), { ttlMs: 0, objects: true })).open();
    try {
      await store.setConfig('k', 'old');
      release = () => undefined;
      const slow = store.getConfig('k');
      await sleep(20);
      await store.setConfig('k', 'new');
      const gate = release;
      release = undefined;
      gate();
      assert.equal(await slow, 'old', 'the slow read began before the write');
      assert.equal(await store.getConfig('k'), 'new', 'and did not put the old value back in the cache');
    } finally {
      await store.close();
    }
  });

  it('shares a Redis tier across processes: a write in one retires values for the other', async () => {
    const redis = await startStandaloneRedis();
    const uri = `sqlite://${join(root, `shared${++n}.db`)}?cache.type=redis&cache.connection=${encodeURIComponent(redis.url)}&cache.prefix=s${n}&cache.ttl=1h`;
    const [a, b] = [await createStore(uri), await createStore(uri)];
    try {
      const repo = await a.createRepository({ name: 'before' });
      await a.setConfig('k', 'one');
      assert.equal(await a.getConfig('k'), 'one');
      assert.equal((await a.getRepositoryByName('before'))?.id, repo.id);
      assert.equal(await b.getConfig('k'), 'one');
      const hitsBefore = (await b.metrics()).cache!.hits;
      assert.ok(hitsBefore >= 1, 'b read a value a cached');
      await b.setConfig('k', 'two');
      await b.updateRepository(repo.id, { name: 'after' });
      assert.equal(await a.getConfig('k'), 'two');
      assert.equal(await a.getRepositoryByName('before'), undefined);
      assert.equal((await a.getRepositoryByName('after'))?.id, repo.id);
      const objectId = await a.putObject({ type: 'blob', data: Buffer.from('cached object') });
      await a.getObject(objectId);
      await b.deleteObject(objectId);
      assert.equal(await a.hasObject(objectId), false, 'a delete in b retired the object a cached');
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
    }
  });

  it('retires refs another process moved through PostgreSQL\'s change feed, well within its ttl', async () => {
    const schemas = schemaFactory('postgres');
    try {
      const uri = await schemas.freshConfig();
      const cached = await createStore(`${uri}&cache.type=memory&cache.ttl=1h`);
      const other = await createStore(uri);
      try {
        const repo = (await cached.createRepository({ name: 'fed' })).id;
        await cached.updateRefs(repo, [{ name: 'refs/heads/main', new: blobId('1') }]);
        assert.equal((await cached.getRef(repo, 'refs/heads/main'))?.target, blobId('1'));
        await other.updateRefs(repo, [{ name: 'refs/heads/main', old: blobId('1'), new: blobId('2') }]);
        const deadline = Date.now() + 5000;
        while ((await cached.getRef(repo, 'refs/heads/main'))?.target !== blobId('2')) {
          assert.ok(Date.now() < deadline, 'the change feed did not retire the cached ref within 5 s');
          await sleep(20);
        }
      } finally {
        await cached.close();
        await other.close();
      }
    } finally {
      await schemas.cleanup();
    }
  });
});
