/**
 * The Redis store on a throwaway standalone server: the compliance suite,
 * then what is Redis-specific — the persistence check, TTL keys, pub/sub,
 * the audit stream, HyperLogLog and rankings, exactly what a failed write
 * leaves behind, objects in the layout before entries, and the dependents index.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { deflateSync } from 'node:zlib';
import { createStore, hashObject, type ChangeEvent, type DataStore } from '../../src/datastore/index.js';
import { deltaEntry, ENCODING, wholeEntry } from '../../src/datastore/objects/encoding.js';
import type { ObjectEntry } from '../../src/datastore/types.js';
import { createDelta } from '../../src/git/pack/delta-encode.js';
import type { RedisDriver } from '../../src/datastore/stores/redis/index.js';
import { withStore as withAnyStore } from '../support/with-store.js';
import { describeCompliance } from '../compliance/suite.js';
import { rejectsWithCode } from '../compliance/context.js';
import { startStandaloneRedis, type StandaloneRedis } from '../../support/redis-servers.js';

const server = await startStandaloneRedis();
after(() => server.stop());

let counter = 0;
const freshPrefix = () => `t${process.pid}-${++counter}`;
const freshUri = (extra = '') => `${server.url}?prefix=${freshPrefix()}${extra}`;

describeCompliance('redis', { freshConfig: async () => freshUri() });

/** createStore that closes a store which opened when it should not have, so a failing test does not hang. */
async function openExpectingFailure(uri: string): Promise<DataStore> {
  const store = await createStore(uri);
  await store.close();
  return store;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const blobId = (text: string) => hashObject('blob', Buffer.from(text));

const withStore = <T>(uri: string, fn: (store: DataStore, driver: RedisDriver) => Promise<T>) => withAnyStore<T, RedisDriver>(uri, fn);

describe('redis persistence check and options', () => {
  let bare: StandaloneRedis;
  before(async () => {
    bare = await startStandaloneRedis(['--appendonly', 'no']);
  });
  after(() => bare.stop());

  it('refuses a server without AOF as a primary store, and says how to proceed', async () => {
    const err = await rejectsWithCode(openExpectingFailure(`${bare.url}?prefix=p1`), 'CONFIG', /without AOF \(appendonly no/);
    assert.match(err.message, /allow_no_persistence: true/);
  });

  it('opens it when the config accepts the loss, or as a cache, and claims no persistence', async () => {
    for (const uri of [`${bare.url}?prefix=p2&allow_no_persistence=true`, `${bare.url}?prefix=p3&mode=cache`]) {
      await withStore(uri, async (store) => {
        assert.equal(store.capabilities.persistent, false);
        assert.equal(store.capabilities.durable, false);
        await store.putObject({ type: 'blob', data: Buffer.from('cached') });
      });
    }
  });

  it('reports appendfsync: always is durable, everysec is persistent but not durable', async () => {
    await withStore(freshUri(), async (store) => {
      assert.equal(store.capabilities.persistent, true);
      assert.equal(store.capabilities.durable, true);
      const details = (await store.healthCheck()).details;
      assert.deepEqual((details.persistence as Array<{ appendfsync: string }>).map((n) => n.appendfsync), ['always']);
    });
    const admin = new Redis(bare.port, '127.0.0.1');
    try {
      await admin.config('SET', 'appendonly', 'yes');
      await admin.config('SET', 'appendfsync', 'everysec');
      await withStore(`${bare.url}?prefix=p4`, async (store) => {
        assert.equal(store.capabilities.persistent, true);
        assert.equal(store.capabilities.durable, false);
      });
    } finally {
      await admin.config('SET', 'appendonly', 'no');
      admin.disconnect();
    }
  });

  it('fails with CONNECTION, saying what to check, when nothing listens', async () => {
    await rejectsWithCode(openExpectingFailure('redis://127.0.0.1:1?connect_timeout=500'), 'CONNECTION', /is running.*scripts\/ensure-redis\.sh/);
  });

  it('turns a connection lost mid-session into CONNECTION, saying what to check', async () => {
    const doomed = await startStandaloneRedis();
    try {
      await withStore(`${doomed.url}?prefix=lost`, async (store) => {
        await store.putObject({ type: 'blob', data: Buffer.from('before') });
        await doomed.node.kill('SIGKILL');
        await rejectsWithCode(store.getObject(blobId('before')), 'CONNECTION', /lost the connection.*server is running/);
        await rejectsWithCode(store.putObject({ type: 'blob', data: Buffer.from('after') }), 'CONNECTION', /may or may not have applied/);
      });
    } finally {
      await doomed.stop();
    }
  });

  it('refuses bad prefixes and unknown options, naming the key', async () => {
    await rejectsWithCode(openExpectingFailure(`${server.url}?prefix=${encodeURIComponent('a{b}')}`), 'CONFIG', /prefix/);
    await rejectsWithCode(openExpectingFailure(`${server.url}?prefx=x`), 'CONFIG', /unknown redis option prefx.*known options: .*prefix/);
    await rejectsWithCode(openExpectingFailure(`${server.url}?wait_replicas=many`), 'CONFIG', /wait_replicas/);
  });

  it('keeps stores with different prefixes apart on one server', async () => {
    await withStore(freshUri(), async (a) => {
      await withStore(freshUri(), async (b) => {
        await a.createRepository({ name: 'same-name' });
        await b.createRepository({ name: 'same-name' });
        await a.putObject({ type: 'blob', data: Buffer.from('only in a') });
        assert.equal(await b.hasObject(blobId('only in a')), false);
        assert.equal((await a.listRepositories()).items.length, 1);
        assert.equal((await b.metrics()).objectCount, 0);
      });
    });
  });
});

describe('redis writes: what a failed write leaves', () => {
  it('rolls back every earlier op of a failing write inside the Lua script, deleted refs included', async () => {
    await withStore(freshUri(), async (store, driver) => {
      const repo = await store.createRepository({ name: 'kept' });
      await store.updateRefs(repo.id, [{ name: 'refs/heads/main', new: blobId('a') }, { name: 'refs/tags/v1', new: blobId('b') }]);
      await store.setConfig('k', 'before');
      await rejectsWithCode(
        driver.write([
          { op: 'setConfig', key: 'k', value: 'after' },
          { op: 'deleteRepository', id: repo.id },
          { op: 'appendEvent', event: { id: 'ev-1', timestamp: new Date(), userId: null, action: 'x', resource: null, repositoryId: null, details: {} } },
          { op: 'updateRefs', repositoryId: repo.id, updates: [{ name: 'refs/heads/main', new: blobId('c') }] },
        ]),
        'NOT_FOUND',
      );
      assert.equal(await store.getConfig('k'), 'before');
      assert.equal((await store.getRepositoryByName('kept'))?.id, repo.id);
      assert.deepEqual((await store.listRefsPage(repo.id)).items.map((r) => r.name), ['refs/heads/main', 'refs/tags/v1']);
      assert.equal(await store.countEvents({}), 0);
      assert.equal((await driver.readAuditStream()).length, 0, 'no stream entry for a rolled back event');
    });
  });

  it('leaves only the objects of a write whose ref update failed (documented: unreferenced, content-addressed)', async () => {
    await withStore(freshUri(), async (store, driver) => {
      const repo = await store.createRepository({ name: 'r' });
      const data = Buffer.from('stored before the refs');
      const id = hashObject('blob', data);
      await rejectsWithCode(
        driver.write([
          { op: 'putObject', entry: wholeEntry(id, 'blob', data) },
          { op: 'updateRefs', repositoryId: repo.id, updates: [{ name: 'refs/heads/main', old: blobId('stale'), new: id }] },
        ]),
        'CONFLICT',
      );
      assert.equal(await store.getRef(repo.id, 'refs/heads/main'), undefined);
      assert.equal(await store.hasObject(id), true);
      // deletes run after the refs commit: a failing write deletes nothing
      await rejectsWithCode(
        driver.write([
          { op: 'deleteObject', id },
          { op: 'updateRefs', repositoryId: repo.id, updates: [{ name: 'refs/heads/main', old: blobId('stale'), new: id }] },
        ]),
        'CONFLICT',
      );
      assert.equal(await store.hasObject(id), true);
    });
  });
});

/** A delta entry of `data` on `base` (depth 1). */
function deltaOn(base: Buffer, data: Buffer): ObjectEntry {
  const delta = createDelta(base, data)!;
  return deltaEntry(hashObject('blob', data), 'blob', data.length, hashObject('blob', base), 1, delta.length, deflateSync(delta));
}

describe('redis objects: the layout before entries, and the dependents index', () => {
  it('reads an object written as a type letter and its raw data (before entries) as an encoding 0 entry', async () => {
    const prefix = freshPrefix();
    const data = Buffer.from('written by the code before entries\n');
    const id = hashObject('blob', data);
    const shard = `{${prefix}:o:${id.slice(0, 2)}}:`;
    // Exactly what the old put script wrote: the value, the shard's id index, its byte counter.
    const admin = new Redis(server.port, '127.0.0.1');
    try {
      await admin.set(shard + id, Buffer.concat([Buffer.from('b'), data]));
      await admin.zadd(`${shard}ids`, 0, id);
      await admin.incrby(`${shard}bytes`, data.length);
    } finally {
      admin.disconnect();
    }
    await withStore(`${server.url}?prefix=${prefix}`, async (store, driver) => {
      assert.ok(Buffer.from((await store.requireObject(id)).data).equals(data));
      const entry = (await store.getEntries([id])).get(id)!;
      assert.deepEqual({ ...entry, bytes: Buffer.from(entry.bytes) }, { id, type: 'blob', size: data.length, encoding: ENCODING.raw, base: null, bytes: data });
      assert.deepEqual(await store.statObject(id), { id, type: 'blob', size: data.length });
      assert.deepEqual((await store.listObjectsPage()).items, [id]);
      assert.equal((await store.metrics()).storageBytes, data.length);
      // A put of the same object keeps it (write-once); a replace re-encodes it, as gc does.
      await store.putObject({ type: 'blob', data });
      assert.equal((await store.getEntries([id])).get(id)!.encoding, ENCODING.raw);
      const whole = wholeEntry(id, 'blob', data);
      await driver.write([{ op: 'putObject', entry: whole, replace: true }]);
      assert.equal((await store.getEntries([id])).get(id)!.encoding, ENCODING.whole);
      assert.equal((await store.metrics()).storageBytes, whole.bytes.byteLength);
      await store.deleteObject(id);
      assert.deepEqual(await store.metrics().then((m) => [m.objectCount, m.storageBytes]), [0, 0]);
    });
  });

  it('indexes each delta beside its base, moves the entry when a replace rebases it, and drops it with the delta', async () => {
    const prefix = freshPrefix();
    await withStore(`${server.url}?prefix=${prefix}`, async (store, driver) => {
      const a = Buffer.from('the first base, a line or two of text\n'.repeat(4));
      const b = Buffer.from('another base, quite unlike the first one\n'.repeat(4));
      const child = Buffer.concat([a, b]);
      const [aId, bId, childId] = [a, b, child].map((d) => hashObject('blob', d));
      await store.putObjects([{ type: 'blob', data: a }, { type: 'blob', data: b }]);
      await store.putEntries([deltaOn(a, child)]);
      const depsOf = (base: string) => driver.keys.dependents(base);
      assert.equal(depsOf(aId), `{${prefix}:o:${aId.slice(0, 2)}}:deps:${aId}`, "in the base's shard");
      assert.deepEqual(await store.listDependents(aId), [childId]);
      // Kept as it is (write-once): putting it as a delta on b indexes nothing on b.
      await store.putEntries([deltaOn(b, child)]);
      assert.deepEqual(await store.listDependents(bId), []);
      // A replace rebases it: the entry moves from a's index to b's.
      await driver.write([{ op: 'putObject', entry: deltaOn(b, child), replace: true }]);
      assert.deepEqual([await store.listDependents(aId), await store.listDependents(bId)], [[], [childId]]);
      assert.ok(Buffer.from((await store.requireObject(childId)).data).equals(child));
      await store.deleteObject(childId);
      assert.deepEqual(await store.listDependents(bId), []);
      const admin = new Redis(server.port, '127.0.0.1');
      try {
        assert.equal(await admin.exists(depsOf(bId)), 0, 'an emptied index leaves no key');
      } finally {
        admin.disconnect();
      }
    });
  });

  it('shrugs off an index entry whose delta is gone (what a write that failed half way leaves), and drops it with its base', async () => {
    const prefix = freshPrefix();
    await withStore(`${server.url}?prefix=${prefix}`, async (store, driver) => {
      const base = Buffer.from('a base with one real dependent\n'.repeat(4));
      const real = Buffer.concat([base, Buffer.from('the real one\n')]);
      const ghost = blobId('never stored');
      await store.putObject({ type: 'blob', data: base });
      await store.putEntries([deltaOn(base, real)]);
      const baseId = hashObject('blob', base);
      const admin = new Redis(server.port, '127.0.0.1');
      try {
        await admin.zadd(driver.keys.dependents(baseId), 0, ghost);
        assert.deepEqual(await store.listDependents(baseId), [hashObject('blob', real), ghost].sort());
        await store.deleteObject(baseId);
        assert.ok(Buffer.from((await store.requireObject(hashObject('blob', real))).data).equals(real));
        assert.equal(await store.hasObject(ghost), false);
        assert.equal(await admin.exists(driver.keys.dependents(baseId)), 0, "the base's index goes with the base");
      } finally {
        admin.disconnect();
      }
    });
  });
});

describe('redis features: TTL, pub/sub, streams, statistics', () => {
  it('expires sessions and cache entries after their TTL, and touch extends a session', async () => {
    await withStore(freshUri(), async (_store, driver) => {
      await driver.setSession('s1', { user: 'alice', n: 1 }, 150);
      await driver.setSession('s2', { user: 'bob' }, 150);
      await driver.setCache('c1', Buffer.from([1, 2, 3]), 150);
      assert.deepEqual(await driver.getSession('s1'), { user: 'alice', n: 1 });
      assert.deepEqual(await driver.getCache('c1'), Buffer.from([1, 2, 3]));
      const left = await driver.sessionTtlMs('s1');
      assert.ok(left !== undefined && left > 0 && left <= 150, `ttl ${left}`);
      await sleep(80);
      assert.equal(await driver.touchSession('s2', 5000), true);
      await sleep(150);
      assert.equal(await driver.getSession('s1'), undefined);
      assert.equal(await driver.getCache('c1'), undefined);
      assert.deepEqual(await driver.getSession('s2'), { user: 'bob' });
      assert.equal(await driver.touchSession('s1', 1000), false);
      await rejectsWithCode(driver.setCache('c2', 'x', 0), 'INVALID_ARGUMENT');
      await driver.setCache('c3', 'gone soon', 60_000);
      await driver.deleteCache('c3');
      await driver.deleteSession('s2');
      assert.equal(await driver.getCache('c3'), undefined);
      assert.equal(await driver.getSession('s2'), undefined);
    });
  });

  it('publishes committed ref changes and audit events to subscribers in other connections, and nothing for a failed write', async () => {
    const uri = freshUri();
    await withStore(uri, async (subscriberStore) => {
      const seen: ChangeEvent[] = [];
      const unsubscribe = await subscriberStore.subscribe((c) => seen.push(c));
      try {
        await withStore(uri, async (writer) => {
          const repo = await writer.createRepository({ name: 'watched' });
          await writer.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: blobId('1') }]);
          await rejectsWithCode(writer.updateRefs(repo.id, [{ name: 'refs/heads/main', old: blobId('x'), new: blobId('2') }]), 'CONFLICT');
          await writer.updateRefs(repo.id, [{ name: 'refs/heads/main', old: blobId('1'), new: null }]);
          const event = await writer.logEvent({ action: 'push', repositoryId: repo.id });
          for (let i = 0; i < 100 && seen.length < 3; i++) await sleep(20);
          assert.deepEqual(seen.slice(0, 2), [
            { kind: 'ref', repositoryId: repo.id, name: 'refs/heads/main', old: null, new: blobId('1') },
            { kind: 'ref', repositoryId: repo.id, name: 'refs/heads/main', old: blobId('1'), new: null },
          ]);
          assert.deepEqual(seen[2], { kind: 'audit', event });
          assert.equal(seen.length, 3);
        });
      } finally {
        await unsubscribe();
        await unsubscribe(); // a second call is a no-op
      }
    });
  });

  it('appends every audit event to a stream that pages in append order', async () => {
    await withStore(freshUri(), async (store, driver) => {
      const events = [];
      for (let i = 0; i < 5; i++) events.push(await store.logEvent({ action: `a${i}`, details: { i } }));
      const first = await driver.readAuditStream({ count: 3 });
      const rest = await driver.readAuditStream({ after: first[first.length - 1].streamId, count: 10 });
      assert.deepEqual([...first, ...rest].map((e) => e.event), events);
    });
  });

  it('counts distinct users per repository (HyperLogLog) and ranks repositories by ref updates', async () => {
    await withStore(freshUri(), async (store, driver) => {
      const busy = await store.createRepository({ name: 'busy' });
      const quiet = await store.createRepository({ name: 'quiet' });
      const users = ['u1', 'u2', 'u3'];
      for (let i = 0; i < 12; i++) await store.logEvent({ action: 'push', repositoryId: busy.id, userId: users[i % 3] });
      await store.logEvent({ action: 'push', repositoryId: quiet.id, userId: 'u1' });
      assert.equal(await driver.distinctUsers(busy.id), 3);
      assert.equal(await driver.distinctUsers(quiet.id), 1);
      for (let i = 0; i < 3; i++) await store.updateRefs(busy.id, [{ name: `refs/heads/b${i}`, new: blobId('x') }, { name: `refs/tags/t${i}`, new: blobId('y') }]);
      await store.updateRefs(quiet.id, [{ name: 'refs/heads/main', new: blobId('x') }]);
      assert.deepEqual(await driver.mostActiveRepositories(5), [
        { repositoryId: busy.id, refUpdates: 6 },
        { repositoryId: quiet.id, refUpdates: 1 },
      ]);
      await store.deleteRepository(busy.id);
      assert.deepEqual(await driver.mostActiveRepositories(5), [{ repositoryId: quiet.id, refUpdates: 1 }]);
    });
  });
});
