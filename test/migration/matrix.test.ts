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
