/**
 * The fault test of the scylla store: a 3-node Apache Cassandra cluster on
 * 127.0.0.1-3, the keyspace at replication factor 3, reads and writes at
 * QUORUM. Writers push (an object, then a compare-and-swap of their branch,
 * each writer in its own repository, so the repositories' partitions, and so
 * the coordinators of their LWTs, spread over the nodes) in a stream; one
 * node is SIGKILLed in the middle. Every acknowledged push
 * must be there afterwards, read by a fresh client with the node still down,
 * and the store must have kept acknowledging pushes after the kill.
 *
 * It starts three JVMs (about a minute on two cores), so it runs only with
 * GOVC_CASSANDRA_CLUSTER=1: `GOVC_CASSANDRA_CLUSTER=1 node scripts/run-tests.js scylla-cluster`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStore, hashObject, type DataStore } from '../../src/datastore/index.js';
import { startCassandraCluster, type CassandraCluster } from '../../support/cassandra-nodes.js';

const ENABLED = process.env.GOVC_CASSANDRA_CLUSTER === '1';
const WRITERS = 8;
const BEFORE_KILL = 15;
const AFTER_KILL = 15;

interface Acked {
  repo: string;
  ref: string;
  id: string;
}

/** One writer's stream of pushes on its own branch; resolves an uncertain push by reading the branch back. */
async function pushStream(store: DataStore, repo: string, writer: number, stopAt: () => boolean, acked: Acked[], errors: string[]): Promise<void> {
  const ref = `refs/heads/w${writer}`;
  let tip: string | null = null;
  for (let seq = 0; !stopAt(); seq++) {
    const data = Buffer.from(`writer ${writer} push ${seq}`);
    const id = hashObject('blob', data);
    for (let attempt = 0; ; attempt++) {
      try {
        await store.putObject({ type: 'blob', data });
        await store.updateRefs(repo, [{ name: ref, old: tip, new: id }]);
        break;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code !== 'CONNECTION' && code !== 'CONFLICT') || attempt > 20) throw err;
        errors.push(`${ref} push ${seq}: ${code}`);
        // The push may have landed (a timeout after the write): the branch says.
        const now = await store.getRef(repo, ref).catch(() => undefined);
        if (now?.target === id) break;
        if (now !== undefined && now.target !== tip) throw new Error(`${ref} moved to ${now.target} behind its only writer`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    tip = id;
    acked.push({ repo, ref, id });
  }
}

describe('scylla on a 3-node cluster, RF=3 at QUORUM, one node SIGKILLed mid-stream', { skip: !ENABLED && 'set GOVC_CASSANDRA_CLUSTER=1 to start a 3-node cluster' }, () => {
  let cluster: CassandraCluster;
  let uri: string;
  before(async () => {
    cluster = await startCassandraCluster();
    const [first, ...rest] = cluster.contactPoints;
    uri = `scylla://${first}/govc_fault?hosts=${rest.join(',')}&replication=simple:3&consistency=quorum`;
  });
  after(async () => {
    await cluster?.stop();
  });

  it('loses no acknowledged push and keeps serving', async () => {
    const store = await createStore(uri);
    const acked: Acked[] = [];
    const errors: string[] = [];
    let killedAt = -1;
    try {
      assert.equal(store.capabilities.durable, true);
      const repos = await Promise.all(Array.from({ length: WRITERS }, async (_, w) => (await store.createRepository({ name: `fault-${w}` })).id));
      const victim = cluster.nodes[1];
      const done = () => killedAt >= 0 && acked.length >= killedAt + AFTER_KILL * WRITERS;
      const writers = repos.map((repo, w) => pushStream(store, repo, w, done, acked, errors));
      const killer = (async () => {
        while (acked.length < BEFORE_KILL * WRITERS) await new Promise((r) => setTimeout(r, 20));
        killedAt = acked.length;
        await victim.kill('SIGKILL');
      })();
      await Promise.all([...writers, killer]);
      assert.ok(acked.length - killedAt >= AFTER_KILL * WRITERS, `only ${acked.length - killedAt} pushes acknowledged after the kill`);

      // A fresh client, the node still down: every acknowledged push is there.
      const check = await createStore(uri);
      try {
        const ids = acked.map((a) => a.id);
        assert.deepEqual((await check.hasObjects(ids)).filter((x) => !x).length, 0, 'every acknowledged object is stored');
        const last = new Map<string, Acked>();
        for (const a of acked) last.set(a.repo, a);
        for (const a of last.values()) assert.equal((await check.getRef(a.repo, a.ref))?.target, a.id, `${a.ref} is at its last acknowledged push`);
        const sample = await check.getObjects(ids.slice(-20));
        assert.equal(sample.size, 20);
        await check.updateRefs(repos[0], [{ name: 'refs/heads/after-kill', old: null, new: ids[0] }]);
      } finally {
        await check.close();
      }
      process.stderr.write(`fault test: ${acked.length} pushes acknowledged (${killedAt} before the kill), ${errors.length} retried: ${errors.slice(0, 8).join('; ')}\n`);
    } finally {
      await store.close();
    }
  });
});
