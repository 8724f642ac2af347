/** Crash recovery, persistence, backup and restore, health, metrics, lifecycle. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import type { DataStore } from '../../../src/datastore/index.js';
import { dumpStore, loadStore } from '../../../src/datastore/migration/records.js';
import { blob, blobId, collectPages, makeRepository, rejectsWithCode, type SuiteContext } from '../context.js';
import { scaled } from '../target.js';

const CRASH_WRITER = fileURLToPath(new URL('../crash-writer.js', import.meta.url));

/** Everything in a store, in a canonical form for comparison. */
async function contents(store: DataStore): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const record of dumpStore(store)) {
    out.push(record.kind === 'object' ? { ...record, entry: { ...record.entry, bytes: Buffer.from(record.entry.bytes).toString('base64') } } : record);
  }
  return out;
}

export function reliabilityCases(ctx: SuiteContext): void {
  it('keeps every acknowledged write when the writing process is killed with SIGKILL', async (t) => {
    const caps = await ctx.capabilities();
    if (!caps.durable) return t.skip('store does not claim durability across a process crash');
    const config = await ctx.target.freshConfig();
    const acked: Array<{ i: number; id: string }> = [];
    const kill = scaled(ctx.target, 150, 30);
    const child = spawn(process.execPath, [CRASH_WRITER, JSON.stringify(config), ...(ctx.target.inTransaction ? ['in-transaction'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error(`crash writer acknowledged only ${acked.length} writes in 60 s: ${stderr}`)), 60_000);
      child.stdout.on('data', (chunk) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const [, i, id] = buffered.slice(0, nl).split(' ');
          buffered = buffered.slice(nl + 1);
          acked.push({ i: Number(i), id });
        }
        if (acked.length >= kill) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') {
          clearTimeout(timer);
          reject(new Error(`crash writer exited early (${code}): ${stderr}`));
        }
      });
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.once('exit', r)));
    const store = await ctx.open(config);
    try {
      const repo = await store.getRepositoryByName('crash');
      assert.ok(repo, 'the repository created before the crash is there');
      for (const { id } of acked) assert.equal(await store.hasObject(id), true, `acknowledged object ${id} survived`);
      const last = acked[acked.length - 1];
      const head = (await store.getRef(repo.id, 'refs/heads/main'))?.target;
      // the ref is at the last acknowledged value, or at the one write that may have landed unacknowledged
      const next = blobId(`crash write ${last.i + 1}`);
      assert.ok(head === last.id || head === next, `ref is ${head}, expected ${last.id} (or ${next})`);
      assert.ok((await store.countEvents({ action: 'crash-test' })) >= acked.length);
      // each move of the ref wrote its event in the same write: one per move, none lost, none without its move
      const moves = head === last.id ? last.i + 1 : last.i + 2;
      const refEvents = (await collectPages((cursor) => store.queryEvents({ action: 'crash-ref', cursor, limit: 500 }))).flat();
      assert.deepEqual(refEvents.map((e) => e.details.i).sort((a, b) => Number(a) - Number(b)), Array.from({ length: moves }, (_, i) => i));
      // the store is usable after recovery
      await store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: head, new: blobId('after crash') }]);
    } finally {
      await store.close();
    }
  });

  it('keeps data across close and reopen', async (t) => {
    const caps = await ctx.capabilities();
    if (!caps.persistent) return t.skip('store is not persistent');
    const config = await ctx.target.freshConfig();
    let store = await ctx.open(config);
    const id = await store.putObject(blob('persisted'));
    const repo = await makeRepository(store, 'persisted');
    await store.updateRefs(repo, [{ name: 'refs/heads/main', new: id }]);
    await store.setConfig('persisted', 'yes');
    await store.close();
    store = await ctx.open(config);
    try {
      assert.equal(Buffer.from((await store.getObject(id))!.data).toString(), 'persisted');
      assert.equal((await store.getRef(repo, 'refs/heads/main'))?.target, id);
      assert.equal(await store.getConfig('persisted'), 'yes');
    } finally {
      await store.close();
    }
  });

  it('dumps everything and restores it into a fresh store that compares equal', async () => {
    await ctx.withStore(async (source) => {
      const ids = await source.putObjects([blob('one'), blob('two'), { type: 'tree', data: Buffer.alloc(0) }]);
      const repo = await source.createRepository({ name: 'backup/ü', visibility: 'private', metadata: { k: [1, 2] } });
      await source.updateRefs(repo.id, [
        { name: 'refs/heads/main', new: ids[0] },
        { name: 'refs/tags/v1', new: ids[1] },
      ]);
      await source.setSymbolicRef(repo.id, 'HEAD', 'refs/heads/main');
      await source.createUser({ username: 'backup-user', email: 'b@example.com', isAdmin: true });
      for (let i = 0; i < 5; i++) await source.logEvent({ action: 'push', repositoryId: repo.id, details: { i } });
      await source.setConfig('a.b', 'c');
      const before = await contents(source);
      await ctx.withStore(async (target) => {
        const loaded = await loadStore(target, dumpStore(source));
        assert.equal(loaded, before.length);
        assert.deepEqual(await contents(target), before);
      });
    });
  });

  it('reports health, capabilities and metrics', async () => {
    await ctx.withStore(async (store) => {
      const health = await store.healthCheck();
      assert.equal(health.healthy, true);
      assert.ok(health.latencyMs >= 0);
      assert.equal(health.details.type, store.type);
      const before = await store.metrics();
      await store.putObjects([blob('m1'), blob('m2')]);
      await store.getObject(blobId('m1'));
      await rejectsWithCode(store.updateRefs('missing', [{ name: 'refs/heads/x', new: blobId('m1') }]), 'NOT_FOUND');
      const after = await store.metrics();
      assert.equal(after.objectCount, before.objectCount + 2);
      assert.ok(after.writes >= before.writes + 2);
      assert.ok(after.reads >= before.reads + 1);
      assert.ok(after.errors >= before.errors + 1);
      assert.ok(after.latency.count > before.latency.count);
      assert.ok(after.latency.p99Ms >= after.latency.p50Ms);
      assert.ok(after.storageBytes >= 0);
      assert.ok(after.uptimeMs >= 0);
      const caps = store.capabilities;
      assert.equal(typeof caps.transactions, 'boolean');
      assert.ok(caps.maxObjectSize > 0);
    });
  });

  it('refuses operations on a closed store with CLOSED', async () => {
    const { store } = await ctx.openFresh();
    await store.close();
    await rejectsWithCode(store.getObject(blobId('x')), 'CLOSED');
    await rejectsWithCode(store.putObject(blob('x')), 'CLOSED');
    await store.close();
  });
}
