/**
 * The scylla store on a throwaway single-node Apache Cassandra (the CQL
 * server standing in for ScyllaDB, from Maven Central): the compliance suite,
 * then what is CQL-specific — options and errors, namespaces, the data model
 * (id-prefix partitions, refs in one partition, no filtering scans), chunked
 * entries, interrupted writes, and a buffered commit undone on conflict.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import cassandra from 'cassandra-driver';
import { createStore, hashObject, type DataStore } from '../../src/datastore/index.js';
import { describeCompliance } from '../compliance/suite.js';
import { rejectsWithCode } from '../compliance/context.js';
import { startCassandraNode } from '../../support/cassandra-nodes.js';
import { withStore } from '../support/with-store.js';
import { decodeHeader } from '../../src/datastore/stores/scylla/entry-cell.js';
import { INLINE_BYTES } from '../../src/datastore/stores/scylla/objects.js';

const node = await startCassandraNode();
after(() => node.stop());

let counter = 0;
const freshNamespace = () => `t${process.pid}_${++counter}`;
const freshUri = (extra = '') => `scylla://${node.node.contactPoint}/govc_test?namespace=${freshNamespace()}${extra}`;

// 10,000 small objects and 16 MiB (16 chunks) instead of 100,000 and 64 MiB: the CI budget of these tests.
describeCompliance('scylla', { freshConfig: async () => freshUri(), manyObjects: 10_000, largeObjectBytes: 16 * 1024 * 1024 });

/** createStore that closes a store which opened when it should not have. */
async function openExpectingFailure(uri: string): Promise<DataStore> {
  const store = await createStore(uri);
  await store.close();
  return store;
}

const blobId = (text: string) => hashObject('blob', Buffer.from(text));

describe('scylla store specifics', () => {
  let raw: cassandra.Client;
  before(async () => {
    raw = new cassandra.Client({ contactPoints: [node.node.contactPoint], localDataCenter: 'datacenter1', keyspace: 'govc_test' });
    // The compliance suite made the keyspace; make sure it exists when this suite runs alone.
    await withStore(freshUri(), async () => undefined);
    await raw.connect();
  });
  after(() => raw.shutdown());

  const rows = async (query: string, params: unknown[]) => (await raw.execute(query, params, { prepare: true })).rows;

  it('opens as cassandra:// too, and reports the server, consistency and durability', async () => {
    await withStore(`cassandra://${node.node.contactPoint}/govc_test?namespace=${freshNamespace()}`, async (store) => {
      assert.equal(store.type, 'scylla');
      const health = await store.healthCheck();
      assert.equal(health.healthy, true);
      assert.match(String(health.details.release), /^5\.0\./);
      assert.equal(health.details.consistency, 'local_quorum');
      assert.equal(health.details.commitlogSync, 'batch');
      assert.equal(store.capabilities.durable, true);
      assert.equal(store.capabilities.transactions, true);
      assert.deepEqual(store.capabilities.isolationLevels, ['read-committed']);
    });
  });

  it('refuses bad options naming the key, and says what to check when nothing listens', async () => {
    await rejectsWithCode(openExpectingFailure(freshUri('&consistancy=one')), 'CONFIG', /unknown scylla option consistancy.*known options: .*consistency/);
    await rejectsWithCode(openExpectingFailure(freshUri('&consistency=most')), 'CONFIG', /consistency must be one of/);
    await rejectsWithCode(openExpectingFailure(freshUri('&replication=three')), 'CONFIG', /replication must be simple:<factor>/);
    await rejectsWithCode(openExpectingFailure(`scylla://${node.node.contactPoint}/bad-keyspace`), 'CONFIG', /keyspace/);
    await rejectsWithCode(openExpectingFailure('scylla://127.0.0.1:1/govc_test?connect_timeout=500'), 'CONNECTION', /cannot reach CQL at 127\.0\.0\.1:1.*nodes are running/);
  });

  it('keeps the object shard width a namespace was made with', async () => {
    const ns = freshNamespace();
    const base = `scylla://${node.node.contactPoint}/govc_test?namespace=${ns}`;
    await withStore(`${base}&object_shards=3`, async (store) => {
      const id = await store.putObject({ type: 'blob', data: Buffer.from('three hex') });
      assert.equal((await rows('SELECT id FROM objects WHERE ns = ? AND shard = ?', [ns, id.slice(0, 3)])).length, 1);
    });
    await rejectsWithCode(openExpectingFailure(base), 'CONFIG', /created with object_shards=3/);
  });

  it('keeps stores of different namespaces apart in one keyspace', async () => {
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

  it('lays data out as designed: id-prefix partitions, one partition per repository, day partitions, chunks', async () => {
    const ns = freshNamespace();
    await withStore(`scylla://${node.node.contactPoint}/govc_test?namespace=${ns}`, async (store) => {
      const ids = await store.putObjects(['x', 'y', 'z'].map((t) => ({ type: 'blob' as const, data: Buffer.from(t) })));
      for (const id of ids) assert.equal((await rows('SELECT id FROM objects WHERE ns = ? AND shard = ? AND id = ?', [ns, id.slice(0, 2), id])).length, 1);
      const repo = await store.createRepository({ name: 'layout' });
      await store.updateRefs(repo.id, [
        { name: 'refs/heads/a', old: null, new: ids[0] },
        { name: 'refs/heads/b', old: null, new: ids[1] },
      ]);
      const refRows = await rows('SELECT ref, target FROM repositories WHERE ns = ? AND id = ?', [ns, repo.id]);
      assert.deepEqual(refRows.filter((r) => r.ref).map((r) => (r.ref as Buffer).toString()), ['refs/heads/a', 'refs/heads/b']);
      const day = Math.floor(Date.UTC(2026, 5, 1, 12) / 86_400_000);
      await store.logEvent({ action: 'push', timestamp: new Date(Date.UTC(2026, 5, 1, 12)) });
      assert.deepEqual((await rows('SELECT day FROM event_days WHERE ns = ?', [ns])).map((r) => r.day), [day]);
      assert.equal((await rows('SELECT id FROM events WHERE ns = ? AND day = ?', [ns, day])).length, 1);
      // An entry above 1 MiB is kept in 1 MiB chunks, named by its row.
      const data = randomBytes(3 * 1024 * 1024);
      const bigId = await store.putObject({ type: 'blob', data });
      const stored = (await store.getEntries([bigId])).get(bigId)!;
      const [cell] = await rows('SELECT entry FROM objects WHERE ns = ? AND shard = ? AND id = ?', [ns, bigId.slice(0, 2), bigId]);
      const { header } = decodeHeader(bigId, cell.entry as Buffer);
      assert.equal(header.chunks, Math.ceil(stored.bytes.byteLength / INLINE_BYTES));
      const chunks = await rows('SELECT seq FROM object_chunks WHERE ns = ? AND id = ? AND version = ?', [ns, bigId, new cassandra.types.Uuid(header.chunkVersion!)]);
      assert.equal(chunks.length, header.chunks);
      assert.ok(Buffer.from((await store.getObject(bigId))!.data).equals(data));
      await store.deleteObject(bigId);
      assert.equal((await rows('SELECT seq FROM object_chunks WHERE ns = ? AND id = ? AND version = ?', [ns, bigId, new cassandra.types.Uuid(header.chunkVersion!)])).length, 0);
    });
  });

  it('ignores what an interrupted write left behind, and takes over only claims older than the grace period', async () => {
    const ns = freshNamespace();
    await withStore(`scylla://${node.node.contactPoint}/govc_test?namespace=${ns}`, async (store) => {
      const claim = 'INSERT INTO claims (ns, kind, value, owner) VALUES (?, ?, ?, ?) USING TIMESTAMP ?';
      const micros = (msAgo: number) => cassandra.types.Long.fromNumber((Date.now() - msAgo) * 1000);
      // A writer that died after claiming a name and listing it, before its record: the name is free after the grace period.
      await raw.execute(claim, [ns, 'repo-name', 'abandoned', 'ghost-1', micros(120_000)], { prepare: true });
      await raw.execute('INSERT INTO listing (ns, kind, key, owner) VALUES (?, ?, ?, ?)', [ns, 'repo', Buffer.from('abandoned'), 'ghost-1'], { prepare: true });
      assert.deepEqual((await store.listRepositories()).items, []);
      assert.equal(await store.getRepositoryByName('abandoned'), undefined);
      const taken = await store.createRepository({ name: 'abandoned' });
      assert.deepEqual((await store.listRepositories()).items.map((r) => r.id), [taken.id]);
      // A claim of a write still in progress (fresh) is not taken over.
      await raw.execute(claim, [ns, 'username', 'in-flight', 'ghost-2', micros(0)], { prepare: true });
      await rejectsWithCode(store.createUser({ username: 'in-flight', email: 'f@example.com' }), 'CONFLICT', /in-flight/);
      assert.equal(await store.getUserByEmail('f@example.com'), undefined, 'the email claimed on the way was released');
      await store.createUser({ username: 'other', email: 'f@example.com' });
    });
  });

  it('undoes the applied steps of a buffered commit when a later step fails', async () => {
    const ns = freshNamespace();
    await withStore(`scylla://${node.node.contactPoint}/govc_test?namespace=${ns}`, async (store) => {
      const repo = await store.createRepository({ name: 'undo' });
      await store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: blobId('a') }]);
      // A username being claimed by a write in progress: the commit's check passes (no user has it), its claim fails.
      await raw.execute('INSERT INTO claims (ns, kind, value, owner) VALUES (?, ?, ?, ?)', [ns, 'username', 'racing', 'ghost'], { prepare: true });
      const tx = await store.begin();
      await tx.updateRefs(repo.id, [{ name: 'refs/heads/main', old: blobId('a'), new: blobId('b') }]);
      await tx.createRepository({ name: 'made-in-tx' });
      await tx.createUser({ username: 'racing', email: 'r@example.com' });
      await tx.setConfig('tx.written', 'yes');
      await rejectsWithCode(tx.commit(), 'CONFLICT', /racing/);
      assert.equal((await store.getRef(repo.id, 'refs/heads/main'))?.target, blobId('a'), 'the ref update was undone');
      assert.equal(await store.getRepositoryByName('made-in-tx'), undefined, 'the repository was undone');
      assert.deepEqual((await store.listRepositories()).items.map((r) => r.name), ['undo']);
      assert.equal(await store.getConfig('tx.written'), undefined);
      await store.createRepository({ name: 'made-in-tx' });
    });
  });

  it('never sends ALLOW FILTERING', () => {
    const dir = fileURLToPath(new URL('../../../src/datastore/stores/scylla/', import.meta.url));
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.ts')) continue;
      // In a string literal, that is in CQL (comments may say it is never used).
      assert.doesNotMatch(readFileSync(dir + file, 'utf8'), /['"`][^'"`\n]*ALLOW\s+FILTERING/i, file);
    }
  });
});
