/**
 * The Redis cache tier on a Redis Cluster (6 nodes, 3 masters, from
 * support/redis-servers.ts): the compliance suite through it (reduced
 * scale: the store below is SQLite, which runs the suite at full size), a
 * write in one process retiring values for another, and each namespace's
 * values spread over more than one master.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createStore } from '../../src/datastore/index.js';
import { describeCompliance } from '../compliance/suite.js';
import { blobId, rejectsWithCode } from '../compliance/context.js';
import { startRedisCluster } from '../../support/redis-servers.js';

const root = mkdtempSync(join(tmpdir(), 'govc-cache-cluster-'));
const cluster = await startRedisCluster();
after(async () => {
  await cluster.stop();
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const cacheUri = (path: string, prefix: string) =>
  `sqlite://${path}?${new URLSearchParams({ 'cache.type': 'redis', 'cache.connection': cluster.url, 'cache.cluster': 'true', 'cache.prefix': prefix, 'cache.ttl': '1h' })}`;

describeCompliance('sqlite + redis cluster cache', {
  manyObjects: 2_000,
  largeObjectBytes: 2 * 1024 ** 2,
  freshConfig: async () => cacheUri(join(root, `c-${++n}.db`), `cc${n}`),
});

describe('redis cluster cache tier', () => {
  it('retires values across processes and spreads a namespace over the masters', async () => {
    const prefix = `sh${++n}`;
    const uri = cacheUri(join(root, `${prefix}.db`), prefix);
    const [a, b] = [await createStore(uri), await createStore(uri)];
    try {
      const repo = (await a.createRepository({ name: 'clustered' })).id;
      await a.updateRefs(repo, [{ name: 'refs/heads/main', new: blobId('1') }]);
      const ids = [];
      for (let i = 0; i < 64; i++) ids.push(await a.putObject({ type: 'blob', data: Buffer.from(`object ${i}`) }));
      await a.getObjects(ids);
      assert.equal((await b.getRef(repo, 'refs/heads/main'))?.target, blobId('1'));
      const before = (await b.metrics()).cache!;
      await b.getObjects(ids);
      assert.equal((await b.metrics()).cache!.hits - before.hits, 64, 'b read every object a cached');

      await b.updateRefs(repo, [{ name: 'refs/heads/main', old: blobId('1'), new: blobId('2') }]);
      assert.equal((await a.getRef(repo, 'refs/heads/main'))?.target, blobId('2'), "b's write retired a's cached ref");
      await b.deleteObject(ids[0]);
      assert.equal(await a.hasObject(ids[0]), false, "b's delete retired the object a cached");
      assert.equal(await a.hasObject(ids[1]), true);

      // The cached objects sit on more than one master (a single hash tag would put them all on one).
      const masters = (await Promise.all(cluster.nodes.map(async (node) => {
        const client = new Redis({ port: node.port, lazyConnect: true });
        try {
          await client.connect();
          if (!/role:master/.test(await client.info('replication'))) return undefined;
          return (await client.keys(`{${prefix}:o:*}:v:*`)).length;
        } finally {
          client.disconnect();
        }
      }))).filter((count): count is number => count !== undefined && count > 0);
      assert.ok(masters.length >= 2, `cached objects on ${masters.length} master(s)`);
      assert.equal((await a.healthCheck()).healthy, true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a cluster cache with a bad seed list, naming the option', async () => {
    await rejectsWithCode(createStore(`memory://?cache.type=redis&cache.connection=${encodeURIComponent(cluster.url)}&cache.cluster=true&cache.nodes=nohost`), 'CONFIG', /cache\.nodes must list host:port/);
  });
});
