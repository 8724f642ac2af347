/**
 * The Redis store on a throwaway 6-node cluster (3 masters, 3 replicas): the
 * compliance suite with wait_replicas=1, where the keys land (the dependents
 * index beside its base, on another master than the delta), and a master
 * killed with SIGKILL in the middle of a stream of ref updates.
 *
 * The claim under test: with wait_replicas=1 a write is acknowledged only
 * after its master and one replica hold it, so when one master dies and its
 * replica takes over, every acknowledged ref update, object and audit event
 * is still there. Writes that failed during the failover may or may not have
 * applied.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { deflateSync } from 'node:zlib';
import { createStore, hashObject, type ChangeEvent, type DataStore, type StoreConfig } from '../../src/datastore/index.js';
import { deltaEntry } from '../../src/datastore/objects/encoding.js';
import type { RedisDriver } from '../../src/datastore/stores/redis/index.js';
import type { ObjectEntry } from '../../src/datastore/types.js';
import { createDelta } from '../../src/git/pack/delta-encode.js';
import { describeCompliance } from '../compliance/suite.js';
import { startRedisCluster } from '../../support/redis-servers.js';

const cluster = await startRedisCluster();
after(() => cluster.stop());

let counter = 0;
function freshConfig(extra: Record<string, unknown> = {}): StoreConfig {
  return {
    type: 'redis',
    connection: cluster.url,
    options: { cluster: true, prefix: `c${process.pid}-${++counter}`, wait_replicas: 1, wait_timeout: '10s', ...extra },
  };
}

describeCompliance('redis cluster', { freshConfig: async () => freshConfig() });

const blobId = (text: string) => hashObject('blob', Buffer.from(text));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every key with `prefix` on each live master, by SCAN (never KEYS). */
async function keysByMaster(prefix: string): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const node of cluster.nodes) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) continue;
    const client = new Redis(node.port, '127.0.0.1');
    try {
      if ((await client.role())[0] !== 'master') continue;
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, page] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
        keys.push(...page);
        cursor = next;
      } while (cursor !== '0');
      out.set(node.port, keys);
    } finally {
      client.disconnect();
    }
  }
  return out;
}

describe('redis cluster change events', () => {
  it('delivers ref changes published on the control slot\'s master to a subscriber connected to any node', async () => {
    const config = freshConfig();
    const subscriber = await createStore(config);
    const writer = await createStore(config);
    const seen: ChangeEvent[] = [];
    const unsubscribe = await subscriber.subscribe((c) => seen.push(c));
    try {
      const repo = await writer.createRepository({ name: 'watched' });
      await writer.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: blobId('1') }]);
      for (let i = 0; i < 100 && seen.length < 1; i++) await sleep(20);
      assert.deepEqual(seen, [{ kind: 'ref', repositoryId: repo.id, name: 'refs/heads/main', old: null, new: blobId('1') }]);
    } finally {
      await unsubscribe();
      await subscriber.close();
      await writer.close();
    }
  });
});

describe('redis cluster key layout', () => {
  it('keeps refs and metadata in one slot and spreads objects over the masters', async () => {
    const config = freshConfig();
    const prefix = config.options.prefix as string;
    const store = await createStore(config);
    try {
      const repo = await store.createRepository({ name: 'layout' });
      const ids = await store.putObjects(Array.from({ length: 300 }, (_, i) => ({ type: 'blob' as const, data: Buffer.from(`spread ${i}`) })));
      await store.updateRefs(repo.id, [{ name: 'refs/heads/main', new: ids[0] }]);
      await store.createUser({ username: 'layout-user', email: 'l@example.com' });
      await store.logEvent({ action: 'push', repositoryId: repo.id });
    } finally {
      await store.close();
    }
    const byMaster = await keysByMaster(prefix);
    const controlHolders = [...byMaster].filter(([, keys]) => keys.some((k) => k.startsWith(`{${prefix}}:`)));
    assert.equal(controlHolders.length, 1, 'every control key is on one master');
    const control = controlHolders[0][1].filter((k) => k.startsWith(`{${prefix}}:`));
    for (const kind of ['repo:', 'refs:', 'refnames:', 'user:', 'usernames', 'emails', 'events', 'event-data', 'audit']) {
      assert.ok(control.some((k) => k.startsWith(`{${prefix}}:${kind}`)), `control slot holds ${kind}`);
    }
    const objectHolders = [...byMaster].filter(([, keys]) => keys.some((k) => k.startsWith(`{${prefix}:o:`)));
    assert.equal(objectHolders.length, 3, 'objects are on all three masters');
  });
});

/** A delta entry of `data` on `base` (depth 1). */
function deltaOn(base: Buffer, data: Buffer): ObjectEntry {
  const delta = createDelta(base, data)!;
  return deltaEntry(hashObject('blob', data), 'blob', data.length, hashObject('blob', base), 1, delta.length, deflateSync(delta));
}

describe('redis cluster dependents index', () => {
  it("keeps a delta's index entry on its base's master, apart from the delta, through a rebase and a delete", async () => {
    const config = freshConfig();
    const store = await createStore(config);
    const driver = store.driver as RedisDriver;
    try {
      const a = Buffer.from('the first base, a line or two of text\n'.repeat(4));
      const b = Buffer.from('another base, quite unlike the first one\n'.repeat(4));
      const [aId, bId] = [a, b].map((d) => hashObject('blob', d));
      const masterOfA = await cluster.masterFor(driver.keys.dependents(aId));
      // A child that lives on another master than a's index, so index and delta are in different slots.
      let child = Buffer.alloc(0);
      for (let i = 0; i < 100; i++) {
        child = Buffer.concat([a, Buffer.from(`child ${i}\n`), b]);
        if ((await cluster.masterFor(driver.keys.object(hashObject('blob', child)))) !== masterOfA) break;
      }
      const childId = hashObject('blob', child);
      assert.notEqual(await cluster.masterFor(driver.keys.object(childId)), masterOfA);
      await store.putObjects([{ type: 'blob', data: a }, { type: 'blob', data: b }]);
      await store.putEntries([deltaOn(a, child)]);
      const keys = await keysByMaster(config.options.prefix as string);
      assert.ok(keys.get(masterOfA.port)!.includes(driver.keys.dependents(aId)), "the index is on the base's master");
      assert.deepEqual(await store.listDependents(aId), [childId]);
      await driver.write([{ op: 'putObject', entry: deltaOn(b, child), replace: true }]);
      assert.deepEqual([await store.listDependents(aId), await store.listDependents(bId)], [[], [childId]]);
      await store.deleteObject(bId);
      assert.ok(Buffer.from((await store.requireObject(childId)).data).equals(child), 'rewritten whole before its base went');
      assert.deepEqual(await store.listDependents(bId), []);
    } finally {
      await store.close();
    }
  });
});

interface FailoverRun {
  acked: Array<{ i: number; id: string }>;
  /** Updates acknowledged while the master's replica was stalled. */
  ackedWhileStalled: Array<{ i: number; id: string }>;
  /** Targets of updates that failed: each may or may not have applied. */
  uncertain: Set<string>;
  failures: number;
  head: string | undefined;
  tags: Set<string>;
  objects: Map<string, boolean>;
  events: number;
}

/**
 * A stream of ref updates (each with an object and an audit event) while the
 * master of the control slot loses its replica's copy and dies: first 30
 * updates, then the replica is stopped (SIGSTOP) and its link to the master
 * cut for 3 updates, so they reach only the master; then the master is killed (SIGKILL) and the replica
 * resumed, is promoted, and the killed node restarts as its replica; then 30
 * more updates.
 */
async function runFailover(waitReplicas: number): Promise<FailoverRun> {
  await cluster.waitHealthy();
  const config = freshConfig({ wait_replicas: waitReplicas, wait_timeout: '1s' });
  const controlKey = `{${config.options.prefix as string}}:repos`;
  const writer: DataStore = await createStore(config);
  const repo = await writer.createRepository({ name: 'failover' });
  const victim = await cluster.masterFor(controlKey);
  const replica = await cluster.replicaOf(victim);
  const run: FailoverRun = { acked: [], ackedWhileStalled: [], uncertain: new Set(), failures: 0, head: undefined, tags: new Set(), objects: new Map(), events: 0 };
  let phase: 'before' | 'stalled' | 'after' = 'before';
  let stalledAttempts = 0;
  let afterFrom = 0;
  let restarted = false;
  let current: string | null = null;
  const deadline = Date.now() + 60_000;
  try {
    for (let i = 0; Date.now() < deadline; i++) {
      if (phase === 'before' && run.acked.length === 30) {
        // Stop the replica and cut its link (bytes already in its socket would still arrive after SIGCONT).
        replica.process.kill('SIGSTOP');
        const admin = new Redis(victim.port, '127.0.0.1');
        try {
          await admin.call('CLIENT', 'KILL', 'TYPE', 'replica');
        } finally {
          admin.disconnect();
        }
        phase = 'stalled';
      } else if (phase === 'stalled' && stalledAttempts === 3) {
        await victim.kill('SIGKILL');
        replica.process.kill('SIGCONT');
        phase = 'after';
        afterFrom = run.acked.length;
      } else if (phase === 'after' && run.acked.length >= afterFrom + 30) break;
      if (phase === 'stalled') stalledAttempts++;
      const id = blobId(`failover ${i}`);
      try {
        await writer.putObject({ type: 'blob', data: Buffer.from(`failover ${i}`) });
        await writer.updateRefs(repo.id, [
          { name: 'refs/heads/main', old: current, new: id },
          { name: `refs/tags/t${i}`, old: null, new: id },
        ]);
        await writer.logEvent({ action: 'failover-test', repositoryId: repo.id, details: { i } });
        const ack = { i, id };
        run.acked.push(ack);
        if (phase === 'stalled') run.ackedWhileStalled.push(ack);
        current = id;
      } catch {
        run.failures++;
        run.uncertain.add(id);
        // Once a replica took over, bring the killed node back (it rejoins as the new
        // master's replica), as an operator would: until then WAIT 1 cannot succeed.
        if (phase === 'after' && !restarted && (await cluster.masterFor(controlKey).catch(() => victim)) !== victim) {
          await victim.restart();
          restarted = true;
        }
        await sleep(100);
        // The outcome is unknown: continue from whatever the store now holds.
        current = (await writer.getRef(repo.id, 'refs/heads/main').catch(() => undefined))?.target ?? current;
      }
    }
    if (!restarted) await victim.restart();
  } finally {
    replica.process.kill('SIGCONT');
    await writer.close();
  }
  assert.equal(phase, 'after', 'the master was killed mid-stream');
  assert.ok(run.acked.length >= afterFrom + 30, `writes resumed after the failover (${run.acked.length} acknowledged, ${run.failures} failed)`);
  assert.notEqual(await cluster.masterFor(controlKey), victim, 'the replica took over');

  const reader = await createStore({ ...config, options: { ...config.options, wait_replicas: 0 } });
  try {
    run.head = (await reader.getRef(repo.id, 'refs/heads/main'))?.target;
    run.tags = new Set((await reader.listRefsPage(repo.id, { prefix: 'refs/tags/', limit: 1000 })).items.map((r) => r.target));
    for (const { id } of run.acked) run.objects.set(id, await reader.hasObject(id));
    run.events = await reader.countEvents({ action: 'failover-test' });
  } finally {
    await reader.close();
  }
  return run;
}

describe('redis cluster failover', () => {
  it('with wait_replicas=1: keeps every acknowledged ref update, object and event when the master is killed', async () => {
    const run = await runFailover(1);
    assert.equal(run.ackedWhileStalled.length, 0, 'nothing is acknowledged while no replica can copy it');
    assert.ok(run.failures >= 3, 'the writes without a replica copy failed instead');
    const last = run.acked[run.acked.length - 1];
    assert.ok(run.head === last.id || (run.head !== undefined && run.uncertain.has(run.head)), `main is ${run.head}, the last acknowledged is ${last.id}`);
    for (const { i, id } of run.acked) {
      assert.ok(run.tags.has(id), `tag t${i} of acknowledged update ${i} survived`);
      assert.equal(run.objects.get(id), true, `object of update ${i} survived`);
    }
    assert.ok(run.events >= run.acked.length, 'every acknowledged event survived');
  });

  it('with wait_replicas=0 (the default): updates acknowledged by the master alone are lost when it dies before copying them', async () => {
    const run = await runFailover(0);
    assert.equal(run.ackedWhileStalled.length, 3, 'the master acknowledged the writes its replica never saw');
    for (const { i, id } of run.ackedWhileStalled) assert.ok(!run.tags.has(id), `tag t${i} was lost, as documented`);
    // Everything the replica had copied before the failover is there.
    for (const { i, id } of run.acked.filter((a) => !run.ackedWhileStalled.includes(a))) assert.ok(run.tags.has(id), `tag t${i} survived`);
  });
});
