/**
 * Through every wrapper (cache, compression, encryption, hybrid, migrating,
 * lazy) PostgreSQL keeps the commit index in its own tables: a ref update
 * with commits, in and out of a transaction, lands in repository_commits
 * (queried here) and nothing in config keys; queries and counts read it
 * back. Encryption keeps its rows sealed in config keys instead (the tables
 * hold text in the clear).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore, parseStoreUri, type DataStore } from '../../src/datastore/index.js';
import type { StoreConfig } from '../../src/datastore/config.js';
import { KEYSPACE } from '../../src/datastore/keyspace.js';
import { tempDir } from '../../support/temp-dir.js';
import { history } from '../support/commit-rows.js';
import { schemaFactory, withAdmin } from '../stores/fixtures/pg-support.js';

const pg = schemaFactory('postgres');
const tmp = tempDir('govc-native-index-');
after(async () => {
  await pg.cleanup();
  tmp.remove();
});

const key = join(tmp.path, 'key');
writeFileSync(key, `k1:${randomBytes(32).toString('base64')}`);
const sqlite = (name: string) => `sqlite://${join(tmp.path, `${name}.db`)}`;
const schemaOf = (uri: string) => new URL(uri).searchParams.get('schema')!;

/** Each wrapper over a fresh PostgreSQL schema: its config, and whether rows should land natively. */
const WRAPPERS: Array<{ name: string; native: boolean; make: (pgUri: string) => string | StoreConfig }> = [
  { name: 'memory cache', native: true, make: (uri) => `${uri}&cache.type=memory&cache.ttl=1s` },
  { name: 'compression', native: true, make: (uri) => `${uri}&compression.type=gzip&compression.threshold=1` },
  { name: 'cache + compression', native: true, make: (uri) => `${uri}&layers=cache,compression&cache.type=memory&cache.ttl=1s&compression.type=brotli` },
  { name: 'encryption (sealed config keys)', native: false, make: (uri) => `${uri}&encryption.type=aes-256-gcm&encryption.key_file=${key}` },
  {
    name: 'hybrid (sqlite objects, postgres metadata)',
    native: true,
    make: (uri) => ({ type: 'hybrid', connection: '', options: {}, roles: { objects: { type: 'sqlite', connection: join(tmp.path, `objects-${schemaOf(uri)}.db`), options: {} }, metadata: parseStoreUri(uri, new Set(['postgres'])) } }) as StoreConfig,
  },
  { name: 'migrating (postgres source)', native: true, make: (uri) => ({ type: 'migrating', connection: '', options: { source: uri, target: sqlite(`mt-${schemaOf(uri)}`) } }) },
  { name: 'migrating (postgres target)', native: true, make: (uri) => ({ type: 'migrating', connection: '', options: { source: sqlite(`ms-${schemaOf(uri)}`), target: uri } }) },
  { name: 'lazy_from sqlite', native: true, make: (uri) => `${uri}&lazy_from=${encodeURIComponent(sqlite(`lazy-${schemaOf(uri)}`))}&lazy_copy=false` },
];

async function tableCounts(schema: string, repositoryId: string): Promise<{ native: number; configKeys: number }> {
  return withAdmin(async (client) => {
    const native = await client.query(`SELECT count(*)::int AS n FROM ${schema}.repository_commits WHERE repository_id = $1`, [repositoryId]);
    const keys = await client.query(`SELECT count(*)::int AS n FROM ${schema}.config WHERE key LIKE $1`, [`${KEYSPACE.commitIndex}%`]);
    return { native: native.rows[0].n as number, configKeys: keys.rows[0].n as number };
  });
}

async function writeBothWays(store: DataStore, repositoryId: string): Promise<void> {
  const rows = history(10, 'w');
  await store.updateRefs(repositoryId, [{ name: 'refs/heads/main', old: null, new: rows[5].id }], { commits: rows.slice(0, 6) });
  await store.transaction(async (tx) => {
    await tx.updateRefs(repositoryId, [{ name: 'refs/heads/main', old: rows[5].id, new: rows[9].id }], { commits: rows.slice(6) });
  });
}

describe('wrappers forward the native commit index (PostgreSQL)', () => {
  for (const w of WRAPPERS) {
    it(`${w.name}: rows land ${w.native ? 'in repository_commits' : 'in sealed config keys'} and read back`, async () => {
      const uri = await pg.freshConfig();
      const store = await createStore(w.make(uri));
      try {
        const repo = await store.createRepository({ name: 'indexed' });
        await writeBothWays(store, repo.id);
        const counts = await tableCounts(schemaOf(uri), repo.id);
        if (w.native) assert.deepEqual(counts, { native: 10, configKeys: 0 });
        else {
          assert.equal(counts.native, 0);
          assert.ok(counts.configKeys >= 10, `expected sealed rows in config keys, found ${counts.configKeys}`);
          const raw = await withAdmin((c) => c.query(`SELECT value FROM ${schemaOf(uri)}.config WHERE key LIKE $1`, [`${KEYSPACE.commitIndex}%/c/%`]));
          for (const { value } of raw.rows as Array<{ value: string }>) assert.ok(!value.includes('ünïcode'), 'a commit row is stored in the clear');
        }
        assert.deepEqual(await store.countIndexedCommits(repo.id), { commits: 10, contributors: 2 });
        const newest = await store.queryIndexedCommits(repo.id, { limit: 3 });
        assert.deepEqual(newest.map((c) => c.summary), ['commit 9 ünïcode', 'commit 8 ünïcode', 'commit 7 ünïcode']);
        assert.equal((await store.queryIndexedCommits(repo.id, { path: 'src' })).length, 4);
      } finally {
        await store.close();
      }
    });
  }
});
