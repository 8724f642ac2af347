/**
 * Every pair of store types: migrate (copyStore) from each into each other,
 * then verify equal, deltas still deltas; and an archive from each type
 * imported into the next. Real PostgreSQL and Redis servers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStore, type DataStore } from '../../src/datastore/index.js';
import { ENCODING } from '../../src/datastore/objects/encoding.js';
import { copyStore } from '../../src/datastore/migration/copy.js';
import { exportArchive } from '../../src/datastore/migration/archive/write-archive.js';
import { importArchive } from '../../src/datastore/migration/archive/import-archive.js';
import { verifyStores } from '../../src/datastore/migration/verify.js';
import { populate, STORE_TYPES, TestStores, type StoreType } from './stores.js';

const stores = new TestStores();
const sources = new Map<StoreType, DataStore>();
after(async () => {
  for (const s of sources.values()) await s.close();
  await stores.cleanup();
});

async function deltaCount(store: DataStore): Promise<number> {
  let n = 0;
  const ids: string[] = [];
  for await (const id of store.listObjects()) ids.push(id);
  for (const e of (await store.getEntries(ids)).values()) if (e.encoding === ENCODING.delta) n++;
  return n;
}

async function assertEqual(source: DataStore, target: DataStore): Promise<void> {
  const report = await verifyStores(source, target);
  assert.deepEqual(report.first, [], `${source.type} → ${target.type}: ${JSON.stringify(report.first.slice(0, 5))}`);
  assert.equal(report.equal, true);
  assert.equal(report.compared.object, (await source.metrics()).objectCount);
  assert.equal(await deltaCount(target), await deltaCount(source), 'deltas are copied as deltas');
}

describe('migration between every pair of stores', () => {
  before(async () => {
    for (const type of STORE_TYPES) {
      const store = await createStore(await stores.uri(type));
      await populate(store, 1, type);
      sources.set(type, store);
    }
  });

  for (const from of STORE_TYPES) {
    it(`migrates ${from} into every other store`, async () => {
      const source = sources.get(from)!;
      for (const to of STORE_TYPES) {
        if (to === from) continue;
        const target = await createStore(await stores.uri(to));
        try {
          const summary = await copyStore(source, target, `${from}-source`, { batchSize: 7, parallel: 3 });
          assert.equal(summary.copied.object, (await source.metrics()).objectCount);
          assert.equal(summary.copied.event, 10);
          await assertEqual(source, target);
        } finally {
          await target.close();
        }
      }
    });
  }

  it('sqlite -> postgres -> sqlite keeps repo commits equal; verify reports a missing commit row', async () => {
    const sqlite = sources.get('sqlite')!;
    const commitsOf = async (store: DataStore) => {
      const out: Record<string, unknown> = {};
      for (const repo of (await store.listRepositories()).items) {
        out[repo.name] = { list: await store.queryIndexedCommits(repo.id, { limit: 1000 }), stats: await store.countIndexedCommits(repo.id), src: await store.queryIndexedCommits(repo.id, { path: 'src' }) };
      }
      return out;
    };
    const postgres = await createStore(await stores.uri('postgres'));
    const back = await createStore(await stores.uri('sqlite'));
    try {
      const there = await copyStore(sqlite, postgres, 'sqlite-source');
      assert.equal(there.copied.commit, 6);
      const repo = (await postgres.listRepositories()).items[0];
      assert.equal((await postgres.countIndexedCommits(repo.id)).commits, 3, 'rows are in PostgreSQL');
      assert.deepEqual(await commitsOf(postgres), await commitsOf(sqlite));
      await copyStore(postgres, back, 'postgres-source');
      assert.deepEqual(await commitsOf(back), await commitsOf(sqlite));
      await assertEqual(postgres, back);

      // one row gone from the target: a difference, and a second migrate puts it back
      const [row] = await postgres.getIndexedRows(repo.id, [(await postgres.queryIndexedCommits(repo.id, { limit: 1 }))[0].id]);
      await back.pruneCommitIndex(repo.id, (id) => id !== row.id);
      const report = await verifyStores(postgres, back);
      assert.equal(report.equal, false);
      assert.deepEqual(report.first, [{ kind: 'commit', key: `${repo.name} ${row.id}`, problem: 'missing in target' }]);
      const again = await copyStore(postgres, back, 'postgres-source');
      assert.equal(again.copied.commit, 1);
      await assertEqual(postgres, back);
    } finally {
      await Promise.all([postgres.close(), back.close()]);
    }
  });

  it('exports each store to an archive and imports it into the next', async () => {
    for (let i = 0; i < STORE_TYPES.length; i++) {
      const from = STORE_TYPES[i];
      const to = STORE_TYPES[(i + 1) % STORE_TYPES.length];
      const source = sources.get(from)!;
      const file = stores.file(`${from}.tar.gz`);
      const exported = await exportArchive(source, file);
      const target = await createStore(await stores.uri(to));
      try {
        const imported = await importArchive(target, file, { batchSize: 9 });
        assert.equal(imported.written, exported.records);
        await assertEqual(source, target);
      } finally {
        await target.close();
      }
    }
  });
});
