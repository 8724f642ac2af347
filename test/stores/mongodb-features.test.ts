/**
 * What is MongoDB-specific in the mongodb store, on FerretDB 1.24: the
 * commit log under a large pool and after an abandoned commit, what the
 * server offers (detected, and UnsupportedError where it lacks it), the
 * change feed across processes' stores, GridFS for large entries, the
 * options' errors and URI forms, and each analytics pipeline pinned against
 * TypeScript. TLS and authentication: mongodb-security.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createStore, hashObject, type ChangeEvent } from '../../src/datastore/index.js';
import { parseStoreUri } from '../../src/datastore/config.js';
import type { MongoDriver } from '../../src/datastore/stores/mongodb/index.js';
import { CommitLog } from '../../src/datastore/stores/mongodb/commit-log.js';
import { rejectsWithCode } from '../compliance/context.js';
import { startFerretDB } from '../../support/ferretdb-servers.js';
import { withStore as withAnyStore } from '../support/with-store.js';
import { zeroId } from '../../src/datastore/hash.js';

const server = await startFerretDB();
after(() => server.stop());

let counter = 0;
const freshUri = (extra = '') => `mongodb://127.0.0.1:${server.port}/f${process.pid}_${++counter}${extra}`;
const withStore = <T>(uri: string, fn: Parameters<typeof withAnyStore<T, MongoDriver>>[1]) => withAnyStore<T, MongoDriver>(uri, fn);
const blobId = (text: string) => hashObject('blob', Buffer.from(text));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mongodb commit log', () => {
  it('lets exactly one of 32 compare-and-swap updates win on a 32-connection pool', async () => {
    await withStore(freshUri('?pool_size=32'), async (store) => {
      const repo = (await store.createRepository({ name: 'race' })).id;
      let current = blobId('start');
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: current }]);
      for (let round = 0; round < 3; round++) {
        const targets = Array.from({ length: 32 }, (_, i) => blobId(`r${round} ${i}`));
        const results = await Promise.allSettled(targets.map((t) => store.updateRefs(repo, [{ name: 'refs/heads/main', old: current, new: t }])));
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(winners.length, 1, `round ${round}`);
        current = targets[winners[0]];
        assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, current);
      }
    });
  });

  it('applies a commit whose writer died before applying it, and keeps later ones correct', async () => {
    await withStore(freshUri(), async (store, driver) => {
      const repo = (await store.createRepository({ name: 'abandoned' })).id;
      await store.updateRefs(repo, [{ name: 'refs/heads/a', old: null, new: blobId('a1') }]);
      // What a writer killed between taking a sequence and applying it leaves: the log entry alone.
      const c = driver.collections;
      const head = (await c.log.find({}, { sort: { _id: -1 }, limit: 1 }).next())!;
      const prev = (await c.records.findOne({ c: 'r', g: repo, k: 'refs/heads/a', sup: Number.MAX_SAFE_INTEGER }))!;
      const v = JSON.stringify({ type: 'direct', target: blobId('a2') });
      await c.log.insertOne({ _id: head._id + 1, muts: [{ c: 'r', g: repo, k: 'refs/heads/a', prev: prev._id, v, f: { kx: Buffer.from('refs/heads/a').toString('hex') }, old: blobId('a1') }], done: false, at: Date.now() - 5000 });
      // A reader taking a snapshot (a list) finds it abandoned and applies it; a writer then builds on it.
      assert.deepEqual((await store.listRefsPage(repo, { limit: 10 })).items.map((r) => r.target), [blobId('a2')]);
      assert.equal((await store.getRef(repo, 'refs/heads/a'))?.target, blobId('a2'));
      await store.updateRefs(repo, [{ name: 'refs/heads/a', old: blobId('a2'), new: blobId('a3') }]);
      assert.equal((await store.getRef(repo, 'refs/heads/a'))?.target, blobId('a3'));
      assert.equal(await c.records.countDocuments({ c: 'r', g: repo, k: 'refs/heads/a', sup: Number.MAX_SAFE_INTEGER }), 1, 'one current version');
      // Applying it again (a late helper) changes nothing.
      await new CommitLog(c, 60_000).apply((await c.log.findOne({ _id: head._id + 1 }))!);
      assert.equal((await store.getRef(repo, 'refs/heads/a'))?.target, blobId('a3'));
    });
  });

  // A document holds 16 MiB; a push's commit index can be far larger than that.
  it('commits a write larger than one document atomically, in parts, and races it fairly', async () => {
    const uri = freshUri('?poll_interval=20');
    await withStore(uri, async (store, driver) => {
      const c = driver.collections;
      const repo = (await store.createRepository({ name: 'large' })).id;
      await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: blobId('l0') }]);
      const seen: ChangeEvent[] = [];
      const stop = await store.subscribe((e) => seen.push(e));
      const mib = (tag: string) => tag.repeat(1024 * 1024);
      // Two writers race the same compare-and-swap, each with 12 MiB of config beside it: one wins whole.
      const write = (tag: string) => store.transaction(async (tx) => {
        for (let i = 0; i < 12; i++) await tx.setConfig(`large/${tag}/${i}`, mib(tag));
        await tx.updateRefs(repo, [{ name: 'refs/heads/main', old: blobId('l0'), new: blobId(tag) }]);
      });
      const results = await Promise.allSettled([write('a'), write('b')]);
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? ['ab'[i]] : []));
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status === 'rejected' && String(r.reason))));
      const [winner, loser] = won[0] === 'a' ? ['a', 'b'] : ['b', 'a'];
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, blobId(winner));
      for (let i = 0; i < 12; i++) {
        assert.equal((await store.getConfig(`large/${winner}/${i}`))?.length, 1024 * 1024);
        assert.equal(await store.getConfig(`large/${loser}/${i}`), undefined);
      }
      const entry = (await c.log.find({ parts: { $gt: 0 } }).toArray()).at(-1)!;
      assert.ok(entry.parts! >= 3, `12 MiB in parts of at most 4 MiB: ${entry.parts}`);
      assert.equal(await c.logParts.countDocuments({}), entry.parts, "the loser's parts are gone");
      for (let i = 0; i < 100 && !seen.some((e) => e.kind === 'ref'); i++) await sleep(20);
      await stop();
      assert.deepEqual(seen.filter((e) => e.kind === 'ref').map((e) => e.kind === 'ref' && e.new), [blobId(winner)]);
      // Parts no entry names (a writer killed before taking a sequence) go at the log's trim once old.
      await c.logParts.insertOne({ _id: 'dead:0', w: 'dead', i: 0, muts: [], at: Date.now() - 2 * 3600_000 });
      await c.logParts.insertOne({ _id: 'young:0', w: 'young', i: 0, muts: [], at: Date.now() });
      await new CommitLog(c, 0).trim();
      assert.deepEqual((await c.logParts.find({ w: { $in: ['dead', 'young'] } }).toArray()).map((p) => p.w), ['young']);
    });
  });
});

describe('mongodb server features', () => {
  it('detects what FerretDB lacks and says so in health details', async () => {
    await withStore(freshUri(), async (store, driver) => {
      const f = driver.features;
      assert.notEqual(f.ferretdb, null);
      assert.equal(f.replicaSet, null);
      assert.equal(f.transactions, false);
      assert.equal(f.changeStreams, false);
      assert.equal(f.ttlIndexes, false);
      const health = await store.healthCheck();
      assert.equal(health.healthy, true);
      assert.equal(health.details.transactions, false);
      assert.equal(store.capabilities.ttl, false);
      // Transactions and change events come from the commit log, on every server.
      assert.equal(store.capabilities.transactions, true);
      assert.equal(store.capabilities.changeEvents, true);
    });
  });

  it('delivers ref changes and audit events from another store on the same database', async () => {
    const uri = freshUri('?poll_interval=20');
    await withStore(uri, async (watcher) => {
      const seen: ChangeEvent[] = [];
      const stop = await watcher.subscribe((c) => seen.push(c));
      try {
        await withStore(uri, async (writer) => {
          const repo = (await writer.createRepository({ name: 'watched' })).id;
          await writer.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: blobId('w1') }]);
          await writer.updateRefs(repo, [{ name: 'refs/heads/main', old: blobId('w1'), new: blobId('w2') }]);
          await writer.logEvent({ action: 'watched', details: { n: 1 } });
          for (let i = 0; i < 200 && seen.length < 3; i++) await sleep(20);
          const refs = seen.filter((c) => c.kind === 'ref');
          assert.deepEqual(refs.map((c) => [c.old, c.new]), [[null, blobId('w1')], [blobId('w1'), blobId('w2')]]);
          assert.ok(seen.some((c) => c.kind === 'audit' && c.event.action === 'watched'));
        });
      } finally {
        await stop();
      }
    });
  });
});

describe('mongodb GridFS and options', () => {
  it('keeps an entry above the threshold in GridFS and reads it back whole', async () => {
    await withStore(freshUri('?gridfs_threshold=65536'), async (store, driver) => {
      const data = randomBytes(3 * 1024 * 1024 + 17); // incompressible: the entry stays above the threshold
      const id = await store.putObject({ type: 'blob', data });
      await store.putObject({ type: 'blob', data }); // a second put uploads nothing
      assert.equal(await driver.collections.db.collection('entries.files').countDocuments({}), 1);
      assert.ok(Buffer.from((await store.getObject(id))!.data).equals(data));
      await store.deleteObject(id);
      assert.equal(await store.hasObject(id), false);
      assert.equal(await driver.collections.db.collection('entries.files').countDocuments({}), 0);
    });
  });

  it('refuses bad options with CONFIG, naming the option', async () => {
    await rejectsWithCode(withStore(freshUri('?write_concern=most'), async () => undefined), 'CONFIG', /write_concern/);
    await rejectsWithCode(withStore(freshUri('?read_preference=secondary'), async () => undefined), 'CONFIG', /read_preference must be primary/);
    await rejectsWithCode(withStore(freshUri('?pool=3'), async () => undefined), 'CONFIG', /unknown mongodb option pool/);
    await rejectsWithCode(withStore(`mongodb://127.0.0.1:1/x?server_selection_timeout=300`, async () => undefined), 'CONNECTION', /cannot reach MongoDB/);
  });

  it('takes a mongodb+srv:// URI as it is to the driver (here its SRV lookup fails), and several hosts in one URI', async () => {
    // No DNS here serves SRV records: the driver's lookup of _mongodb._tcp.<host> is what fails, so the URI reached it whole.
    const srv = await rejectsWithCode(createStore('mongodb+srv://user:secret@cluster0.govc-test.invalid/app?pool_size=2&authSource=admin'), 'CONNECTION', /cannot look up the DNS records of mongodb\+srv:\/\/\*\*\*@cluster0\.govc-test\.invalid\/app/);
    assert.match(srv.message, /_mongodb\._tcp\.cluster0\.govc-test\.invalid/);
    assert.deepEqual(parseStoreUri('mongodb+srv://h.example.com/app?pool_size=2', new Set(['mongodb'])), { type: 'mongodb', connection: 'mongodb+srv://h.example.com/app', options: { pool_size: '2' } });
    assert.deepEqual(parseStoreUri('mongodb://a:27017,b:27018/app?replicaSet=rs0', new Set(['mongodb'])), { type: 'mongodb', connection: 'mongodb://a:27017,b:27018/app', options: { replicaSet: 'rs0' } });
    // Both hosts reach the driver, which drops this FerretDB (a standalone server cannot be one of several seeds) and says so.
    await rejectsWithCode(createStore(`mongodb://127.0.0.1:${server.port},127.0.0.1:1/m${process.pid}?server_selection_timeout=1500`), 'CONNECTION', /cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:1\//);
  });
});

describe('mongodb analytics pipelines, pinned against TypeScript', () => {
  it('counts objects by type, events by action and refs by kind as the TypeScript count does', async () => {
    await withStore(freshUri(), async (store, driver) => {
      const repo = (await store.createRepository({ name: 'stats' })).id;
      const objects = [
        ...Array.from({ length: 23 }, (_, i) => ({ type: 'blob' as const, data: Buffer.from(`blob ${i}`) })),
        ...Array.from({ length: 5 }, (_, i) => ({ type: 'commit' as const, data: Buffer.from(`tree ${zeroId()}\nauthor a <a@b> ${i} +0000\ncommitter a <a@b> ${i} +0000\n\nc${i}\n`) })),
      ];
      const ids = await store.putObjects(objects);
      const refs = ['refs/heads/main', 'refs/heads/dev', 'refs/tags/v1', 'refs/tags/v2', 'refs/tags/v3', 'refs/notes/x'];
      await store.updateRefs(repo, refs.map((name, i) => ({ name, old: null, new: ids[i] })));
      await store.updateRefs(repo, [{ name: 'refs/heads/dev', old: ids[1], new: null }]);
      const actions = ['push', 'push', 'push', 'clone', 'delete'];
      for (const action of actions) await store.logEvent({ action, repositoryId: repo, details: {} });
      await store.logEvent({ action: 'push', details: {} });

      const byType: Record<string, number> = { blob: 0, tree: 0, commit: 0, tag: 0 };
      for (const o of objects) byType[o.type]++;
      assert.deepEqual(await driver.objectsByType(), byType);

      const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
      assert.deepEqual(await driver.eventsByAction(repo), count(actions));
      assert.deepEqual(await driver.eventsByAction(), count([...actions, 'push']));

      // FerretDB 1.24 has no $arrayElemAt: the pipeline is refused, not answered wrongly.
      if (driver.features.ferretdb !== null) await rejectsWithCode(driver.refsByKind(repo), 'UNSUPPORTED', /\$arrayElemAt/);
      else {
        const live = (await store.listRefsPage(repo, { limit: 100 })).items.map((r) => r.name);
        assert.deepEqual(await driver.refsByKind(repo), count(live.map((n) => n.split('/')[1])));
      }
    });
  });
});
