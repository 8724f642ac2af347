/**
 * Hybrid stores beyond the compliance suite: a process killed between the
 * objects write and the metadata write leaves only unreferenced objects,
 * which gc removes; what a transaction guarantees across the two stores;
 * health, capabilities and metrics merged from the parts; config errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { createStore, parseStoreUri, defaultRegistry } from '../../src/datastore/index.js';
import { parseStoreConfig } from '../../src/datastore/config.js';
import { pruneStore } from '../../src/git/index.js';
import { rejectsWithCode } from '../compliance/context.js';
import { commitBytes, objectId, treeBytes } from '../../support/pack-builder.js';
import { startStandaloneRedis } from '../../support/redis-servers.js';

const root = mkdtempSync(join(tmpdir(), 'govc-hybrid-'));
after(() => rmSync(root, { recursive: true, force: true }));
const CRASH_WRITER = fileURLToPath(new URL('./fixtures/hybrid-crash-writer.js', import.meta.url));
let n = 0;
const sqliteHybrid = () => {
  const dir = join(root, `h${++n}`);
  return { objects: { type: 'sqlite', connection: join(dir, 'objects.db') }, metadata: { type: 'sqlite', connection: join(dir, 'meta.db') } };
};

describe('hybrid: a crash between the two writes', () => {
  it('leaves the ref where it was and only unreferenced objects, which gc removes', async () => {
    const config = sqliteHybrid();
    let store = await createStore(config);
    const blob = Buffer.from('the first version\n');
    const tree = treeBytes([['100644', 'file.txt', objectId('blob', blob)]]);
    const repo = await store.createRepository({ name: 'crashed' });
    await store.putObject({ type: 'blob', data: blob });
    await store.putObject({ type: 'tree', data: tree });
    const first = await store.putObject({ type: 'commit', data: commitBytes(objectId('tree', tree), [], 'first\n') });
    await store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: first }]);
    await store.close();

    const child = spawn(process.execPath, [CRASH_WRITER, JSON.stringify(config), repo.id, first], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('objects stored') && resolve());
      child.once('exit', (code) => reject(new Error(`writer exited (${code}) before storing its objects`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    store = await createStore(config);
    try {
      assert.equal((await store.getRef(repo.id, 'refs/heads/main'))?.target, first, 'the ref did not move');
      assert.equal((await store.metrics()).objectCount, 6, 'three objects of each commit: the second are leftovers');
      const gc = await pruneStore(store, { graceMs: 0 });
      assert.equal(gc.removed, 3);
      assert.equal((await store.metrics()).objectCount, 3);
      for (const id of [first, objectId('tree', tree), objectId('blob', blob)]) assert.ok(await store.getObject(id), `${id} is readable`);
      await store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: first, new: first }]);
    } finally {
      await store.close();
    }
  });
});

describe('hybrid: transactions and merged reports', () => {
  it('commits a transaction all-or-nothing in the metadata store; objects of a refused one stay for gc', async () => {
    const store = await createStore(sqliteHybrid());
    try {
      const repo = await store.createRepository({ name: 'tx' });
      const A = objectId('blob', Buffer.from('a'));
      await store.updateRefs(repo.id, [{ name: 'refs/heads/main', new: A }]);
      const tx = await store.begin();
      const kept = await tx.putObject({ type: 'blob', data: Buffer.from('written before the metadata failed') });
      await tx.setConfig('from.tx', 'yes');
      await tx.updateRefs(repo.id, [{ name: 'refs/heads/main', old: A, new: kept }]);
      await store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: A, new: objectId('blob', Buffer.from('b')) }]);
      await rejectsWithCode(tx.commit(), 'CONFLICT');
      assert.equal(await store.getConfig('from.tx'), undefined, 'no metadata op of the transaction applied');
      assert.equal(await store.hasObject(kept), true, 'its objects were stored first and stay until gc');
      assert.deepEqual(store.capabilities.isolationLevels, ['read-committed']);
    } finally {
      await store.close();
    }
  });

  it('merges capabilities, health and metrics from the parts, and names the part that fails', async () => {
    const redis = await startStandaloneRedis();
    try {
      const store = await createStore({ objects: { type: 'sqlite', connection: join(root, `m${++n}.db`) }, metadata: { type: 'memory' } } as never);
      try {
        assert.equal(store.type, 'hybrid');
        assert.equal(store.capabilities.persistent, false, 'memory metadata is not persistent, so the pair is not');
        await store.putObject({ type: 'blob', data: Buffer.from('one') });
        const health = await store.healthCheck();
        assert.equal(health.healthy, true);
        assert.equal((health.details.objects as { type: string }).type, 'sqlite');
        assert.equal((health.details.metadata as { type: string }).type, 'memory');
        assert.equal((await store.metrics()).objectCount, 1);
      } finally {
        await store.close();
      }
      const withRedis = await createStore({ objects: { type: 'memory' }, metadata: { type: 'redis', connection: `${redis.url}`, options: { prefix: 'h' } } } as never);
      try {
        await redis.node.kill();
        const health = await withRedis.healthCheck();
        assert.equal(health.healthy, false);
        assert.match(health.error!, /^metadata store \(redis\): /);
      } finally {
        await withRedis.close().catch(() => undefined);
      }
    } finally {
      await redis.stop();
    }
  });
});

describe('hybrid and layer config', () => {
  it('reads the plan\'s production block from YAML and the same from a URI', () => {
    const yaml = parseStoreConfig({
      objects: { type: 'rocksdb', connection: '/var/lib/govc/objects' },
      metadata: { type: 'postgres', connection: 'postgres://govc@db.example.com/govc', options: { pool_size: 25 } },
      cache: { type: 'redis', connection: 'redis://cache.example.com:6379', options: { max_retries: 3, pool_size: 10 } },
    });
    const q = new URLSearchParams({
      objects: 'rocksdb:///var/lib/govc/objects',
      metadata: 'postgres://govc@db.example.com/govc?pool_size=25',
      'cache.type': 'redis',
      'cache.connection': 'redis://cache.example.com:6379',
      'cache.max_retries': '3',
      'cache.pool_size': '10',
    });
    const uri = parseStoreUri(`hybrid://?${q}`, new Set(['postgres', 'redis']));
    const normalize = (c: unknown) => JSON.parse(JSON.stringify(c, (_, v) => (typeof v === 'number' ? String(v) : v)));
    assert.deepEqual(normalize(uri), normalize(yaml));
    assert.equal(yaml.roles?.metadata.type, 'postgres');
    assert.equal(yaml.layers?.[0].kind, 'cache');
  });

  it('refuses bad combinations, saying what to change', async () => {
    await rejectsWithCode(createStore({ objects: { type: 'memory' } } as never), 'CONFIG', /datastore.metadata is missing: a hybrid store needs objects: and metadata:/);
    await rejectsWithCode(createStore({ objects: { type: 'memory' }, metadata: { type: 'memory' }, connection: 'x' } as never), 'CONFIG', /unknown key datastore.connection/);
    await rejectsWithCode(
      createStore({ objects: { type: 'memory' }, metadata: { type: 'memory', options: { object_format: 'sha256' } } } as never),
      'CONFIG',
      /give both the same object_format/,
    );
    await rejectsWithCode(
      createStore({ type: 'memory', compression: 'gzip', encryption: { type: 'aes-256-gcm', options: { key_env: 'X' } }, layers: ['encryption', 'compression'] } as never),
      'CONFIG',
      /ciphertext does not compress. List compression before encryption/,
    );
    await rejectsWithCode(
      createStore('memory://?cache.type=redis&cache.connection=redis://127.0.0.1:1&encryption.type=aes-256-gcm&encryption.key_env=X'),
      'CONFIG',
      /keep plaintext in Redis/,
    );
    await rejectsWithCode(createStore('memory://?cache.type=redis'), 'CONFIG', /cache.connection is required/);
    await rejectsWithCode(createStore({ type: 'memory', layers: ['cache'] } as never), 'CONFIG', /lists cache but datastore.cache is not configured/);
    await rejectsWithCode(createStore('memory://?compression.type=zstd'), 'CONFIG', /use brotli or gzip/);
    await rejectsWithCode(createStore('memory://?cache.type=memory&cache.sise=1MB'), 'CONFIG', /unknown cache layer option sise/);
    await rejectsWithCode(createStore(`sqlite://${join(root, `ttl${++n}.db`)}?cache.type=memory`), 'CONFIG', /may be written by others.*Set cache.options.ttl/);
    await rejectsWithCode(createStore('memory://?__proto__.type=x&constructor.polluted=1'), 'CONFIG', /unknown key store URI.__proto__/);
    assert.equal(({} as Record<string, unknown>).type, undefined, 'no parameter reaches a prototype');
    assert.ok(defaultRegistry.types().includes('sqlite'));
  });
});
