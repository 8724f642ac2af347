/**
 * The CockroachDB dialect of the PostgreSQL store. No CockroachDB server can
 * run on this machine, so its SQL runs here against PostgreSQL wherever the
 * two share it: the whole compliance suite, with upsert=false (PostgreSQL has
 * no UPSERT statement), in a database whose default collation is "C" (the
 * dialect declares no COLLATE, as CockroachDB compares strings bytewise).
 * What this does not show: UPSERT itself, and anything CockroachDB does
 * differently at run time; see the README.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createStore, hashObject, type DataStore } from '../../src/datastore/index.js';
import { CockroachDialect } from '../../src/datastore/stores/cockroach/index.js';
import { withRepositoryLock, type PostgresDriver } from '../../src/datastore/stores/postgres/index.js';
import { LARGE_ENTRY_BYTES } from '../../src/datastore/stores/postgres/large-read.js';
import { describeCompliance } from '../compliance/suite.js';
import { rejectsWithCode } from '../compliance/context.js';
import { ensurePostgres, schemaFactory, TEST_URL, withAdmin, withDatabase } from './fixtures/pg-support.js';

const C_DATABASE = 'govc_test_bytewise';

ensurePostgres();
await withAdmin(async (db) => {
  const exists = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [C_DATABASE]);
  if (exists.rowCount) return;
  try {
    await db.query(`CREATE DATABASE ${C_DATABASE} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  } catch (err) {
    // another test process created it first
    if (!['42P04', '23505'].includes((err as { code?: string }).code ?? '')) throw err;
  }
});

const schemas = schemaFactory('cockroach', withDatabase(TEST_URL, C_DATABASE), 'pool_size=4&upsert=false');
after(() => schemas.cleanup());

describeCompliance('cockroach dialect on postgres', { freshConfig: schemas.freshConfig, cleanup: schemas.cleanup });

const blobId = (text: string) => hashObject('blob', Buffer.from(text));

describe('cockroach dialect specifics (run on postgres)', () => {
  let store: DataStore;
  let driver: PostgresDriver;
  let schema: string;
  before(async () => {
    const uri = await schemas.freshConfig();
    schema = new URL(uri).searchParams.get('schema')!;
    store = await createStore(uri);
    driver = store.driver as PostgresDriver;
  });
  after(() => store.close());

  it('declares what CockroachDB gives: serializable only, no change events, smaller objects', async () => {
    assert.equal(store.type, 'cockroach');
    assert.deepEqual(store.capabilities.isolationLevels, ['serializable']);
    assert.equal(store.capabilities.changeEvents, false);
    assert.equal(store.capabilities.maxObjectSize, 16 * 1024 * 1024);
    await rejectsWithCode(store.subscribe(() => undefined), 'UNSUPPORTED', /does not publish change events/);
    await rejectsWithCode(store.begin({ isolation: 'read-committed' }), 'UNSUPPORTED');
    await rejectsWithCode(store.putObject({ type: 'blob', data: Buffer.alloc(16 * 1024 * 1024 + 1) }), 'CAPACITY');
  });

  it('reads entries above the inline size with a plain SELECT (no COPY), intact', async () => {
    // Random: deflate keeps it large, so its entry takes the large-read path.
    const data = randomBytes(8 * 1024 * 1024);
    const id = await store.putObject({ type: 'blob', data });
    assert.ok((await store.getEntries([id])).get(id)!.bytes.byteLength > LARGE_ENTRY_BYTES);
    assert.ok(Buffer.from((await store.getObject(id))!.data).equals(data));
    assert.ok(Buffer.from((await store.getObjects([id])).get(id)!.data).equals(data));
  });

  it('creates the objects table without partitions, text columns without COLLATE, and the index on base', async () => {
    await withAdmin(async (db) => {
      const kind = await db.query(`SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'objects'`, [schema]);
      assert.deepEqual(kind.rows, [{ relkind: 'r' }]);
      const collated = await db.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND collation_name IS NOT NULL`, [schema]);
      assert.deepEqual(collated.rows, []);
      const baseIndex = await db.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'objects_base'`, [schema]);
      assert.match(baseIndex.rows[0]?.indexdef ?? '', /\(base, id\) WHERE \(base IS NOT NULL\)$/);
    }, withDatabase(TEST_URL, C_DATABASE));
  });

  it('retries serialization failures (40001) of contended writes until each is a clean win or a CONFLICT', async () => {
    const repo = (await store.createRepository({ name: 'contended' })).id;
    let current = blobId('0');
    await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: current }]);
    const before = (await store.healthCheck()).details.writeRetries as number;
    for (let round = 0; round < 5; round++) {
      const targets = Array.from({ length: 8 }, (_, i) => blobId(`${round}.${i}`));
      const results = await Promise.allSettled(targets.map((t) => store.updateRefs(repo, [{ name: 'refs/heads/main', old: current, new: t }])));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1);
      current = targets[winners[0]];
    }
    // serializable writes on one row collide: the driver re-ran some instead of failing them
    assert.ok(((await store.healthCheck()).details.writeRetries as number) > before);
  });

  it('locks repositories with a row lock instead of advisory locks', async () => {
    let inside = false;
    const holder = withRepositoryLock(store, 'r1', async () => {
      inside = true;
      await new Promise((r) => setTimeout(r, 200));
      inside = false;
    });
    while (!inside) await new Promise((r) => setTimeout(r, 10));
    await rejectsWithCode(withRepositoryLock(store, 'r1', async () => 1, { wait: false }), 'CONFLICT');
    assert.equal(await withRepositoryLock(store, 'r1', async () => (inside ? 'overlapped' : 'after')), 'after');
    await holder;
  });

  it('refreshes the statistics view without CONCURRENTLY', async () => {
    const repo = (await store.createRepository({ name: 'stats' })).id;
    await store.logEvent({ action: 'push', repositoryId: repo });
    await driver.refreshStatistics();
    const [s] = await driver.repositoryStatistics(repo);
    assert.equal(s.eventCount, 1);
  });

  it('writes UPSERT statements by default (text only: PostgreSQL cannot run them)', () => {
    const dialect = new CockroachDialect();
    assert.equal(dialect.upsert('config', ['key', 'value'], ['key']), 'UPSERT INTO config (key, value) VALUES ($1, $2)');
    assert.equal(
      new CockroachDialect({ upsert: false }).upsert('config', ['key', 'value'], ['key']),
      'INSERT INTO config (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
    );
    assert.equal(dialect.refreshView('v'), 'REFRESH MATERIALIZED VIEW v');
  });
});
