/**
 * The PostgreSQL store against a real server (scripts/ensure-postgres.sh
 * starts it): the compliance suite, then what is PostgreSQL-specific —
 * processes racing one ref, change events across processes, the schema and
 * its migrations, COPY batches, isolation levels, advisory locks, the
 * statistics view, and options.
 */
import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { createStore, hashObject, type ChangeEvent, type DataStore } from '../../src/datastore/index.js';
import type { WriteOp } from '../../src/datastore/driver.js';
import { ENCODING, wholeEntry } from '../../src/datastore/objects/encoding.js';
import { PostgresDialect } from '../../src/datastore/stores/postgres/dialect.js';
import { LARGE_ENTRY_BYTES } from '../../src/datastore/stores/postgres/large-read.js';
import { MIGRATIONS_TABLE } from '../../src/datastore/stores/postgres/migrate.js';
import { MIGRATIONS } from '../../src/datastore/stores/postgres/schema.js';
import { withRepositoryLock, type PostgresDriver } from '../../src/datastore/stores/postgres/index.js';
import { withStore as withAnyStore } from '../support/with-store.js';
import { describeCompliance } from '../compliance/suite.js';
import { rejectsWithCode } from '../compliance/context.js';
import { ensurePostgres, schemaFactory, TEST_URL, withAdmin, withDatabase } from './fixtures/pg-support.js';

ensurePostgres();
const schemas = schemaFactory('postgres');
after(() => schemas.cleanup());

describeCompliance('postgres', { freshConfig: schemas.freshConfig, cleanup: schemas.cleanup });

const RACER = fileURLToPath(new URL('./fixtures/pg-cas-racer.js', import.meta.url));
const CHANGE_WRITER = fileURLToPath(new URL('./fixtures/pg-change-writer.js', import.meta.url));
const blobId = (text: string) => hashObject('blob', Buffer.from(text));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The schema named in a store URI. */
const schemaOf = (uri: string) => new URL(uri).searchParams.get('schema')!;

const withStore = <T>(uri: string, fn: (store: DataStore, driver: PostgresDriver) => Promise<T>) => withAnyStore<T, PostgresDriver>(uri, fn);

describe('postgres across processes', () => {
  it('lets exactly one of several processes win each compare-and-swap round', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (store) => {
      const repositoryId = (await store.createRepository({ name: 'raced' })).id;
      let current = blobId('start');
      await store.updateRefs(repositoryId, [{ name: 'refs/heads/raced', old: null, new: current }]);
      const processes = 3;
      const rounds = 40;
      const children = Array.from({ length: processes }, () => fork(RACER, [uri], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
      try {
        await Promise.all(children.map((c) => new Promise((resolve, reject) => {
          c.once('message', resolve);
          c.once('exit', (code) => reject(new Error(`racer exited with ${code} before it was ready`)));
        })));
        for (let round = 0; round < rounds; round++) {
          const targets = children.map((_, i) => blobId(`round ${round} process ${i}`));
          const replies = await Promise.all(
            children.map((child, i) => new Promise<{ won: boolean; code?: string; message?: string }>((resolve) => {
              child.once('message', resolve as (m: unknown) => void);
              child.send({ round, repositoryId, old: current, new: targets[i] });
            })),
          );
          const winners = replies.flatMap((r, i) => (r.won ? [i] : []));
          assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
          for (const r of replies) if (!r.won) assert.equal(r.code, 'CONFLICT', r.message);
          current = targets[winners[0]];
          assert.equal((await store.getRef(repositoryId, 'refs/heads/raced'))?.target, current);
        }
      } finally {
        for (const c of children) if (c.connected) c.send('exit');
        await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
      }
    });
  });

  it('delivers a ref update and an audit event made by another process to a subscriber', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (store) => {
      const repositoryId = (await store.createRepository({ name: 'watched' })).id;
      await store.updateRefs(repositoryId, [{ name: 'refs/heads/main', new: blobId('v1') }]);
      const seen: ChangeEvent[] = [];
      const unsubscribe = await store.subscribe((c) => seen.push(c));
      const child = spawn(process.execPath, [CHANGE_WRITER, uri, repositoryId, blobId('v1'), blobId('v2')], { stdio: 'inherit' });
      const code = await new Promise((r) => child.once('exit', r));
      assert.equal(code, 0);
      for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(50);
      await unsubscribe();
      assert.deepEqual(seen[0], { kind: 'ref', repositoryId, name: 'refs/heads/main', old: blobId('v1'), new: blobId('v2') });
      assert.equal(seen[1]?.kind, 'audit');
      const event = (seen[1] as Extract<ChangeEvent, { kind: 'audit' }>).event;
      assert.equal(event.action, 'push');
      assert.equal(event.repositoryId, repositoryId);
      assert.equal(event.details.from, 'child');
      assert.equal(seen.length, 2);
    });
  });

  it('notifies at commit only, nothing for a rollback, nothing after unsubscribe, and carries oversize payloads', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (store) => {
      const repositoryId = (await store.createRepository({ name: 'tx-watched' })).id;
      const seen: ChangeEvent[] = [];
      const unsubscribe = await store.subscribe((c) => seen.push(c));
      const rolledBack = await store.begin();
      await rolledBack.updateRefs(repositoryId, [{ name: 'refs/heads/never', new: blobId('x') }]);
      await rolledBack.rollback();
      const tx = await store.begin();
      await tx.updateRefs(repositoryId, [{ name: 'refs/heads/committed', old: null, new: blobId('y') }]);
      await sleep(200);
      assert.deepEqual(seen, [], 'nothing is delivered before commit');
      await tx.commit();
      // A symbolic ref whose name and target are long non-ASCII strings: the payload is over 8000 bytes.
      const long = `refs/heads/${'ü'.repeat(1000)}`;
      const longTarget = `refs/heads/${'é'.repeat(1000)}`;
      await store.updateRefs(repositoryId, [{ name: long, new: longTarget, symbolic: true }]);
      for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(50);
      assert.deepEqual(seen, [
        { kind: 'ref', repositoryId, name: 'refs/heads/committed', old: null, new: blobId('y') },
        { kind: 'ref', repositoryId, name: long, old: null, new: longTarget },
      ]);
      await unsubscribe();
      await store.updateRefs(repositoryId, [{ name: 'refs/heads/after', new: blobId('z') }]);
      await sleep(300);
      assert.equal(seen.length, 2);
    });
  });
});

describe('postgres schema and migrations', () => {
  it('creates the planned schema: partitions, GIN indexes, cascading refs, byte-order collation', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async () => {
      const schema = schemaOf(uri);
      await withAdmin(async (db) => {
        const partitions = await db.query(
          `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'objects' ORDER BY 1`,
          [schema],
        );
        assert.deepEqual(partitions.rows.map((r) => r.relname), ['objects_0', 'objects_1', 'objects_2', 'objects_3']);
        const gin = await db.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%USING gin%' ORDER BY 1`, [schema]);
        assert.deepEqual(gin.rows.map((r) => r.indexname), ['audit_events_details', 'commits_parents', 'commits_paths', 'repositories_metadata', 'users_metadata']);
        const fk = await db.query(
          `SELECT confdeltype FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.contype = 'f' AND c.conrelid::regclass::text LIKE '%refs'`,
          [schema],
        );
        assert.deepEqual(fk.rows.map((r) => r.confdeltype), ['c']);
        const uncollated = await db.query(
          `SELECT table_name || '.' || column_name AS col FROM information_schema.columns
           WHERE table_schema = $1 AND (table_name, column_name) IN (('objects','id'),('refs','name'),('repositories','name'),('users','username'),('users','email'),('audit_events','id'),('audit_events','resource'),('config','key'))
           AND collation_name IS DISTINCT FROM 'C'`,
          [schema],
        );
        assert.deepEqual(uncollated.rows, []);
        const versions = await db.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY 1`);
        assert.deepEqual(versions.rows.map((r) => r.version), [1, 2, 3, 4, 5, 6, 7]);
        // The partial index on base reaches every partition, and listDependents' query can use it.
        const baseIndexes = await db.query(`SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%(base, id) WHERE (base IS NOT NULL)' ORDER BY 1`, [schema]);
        assert.deepEqual(baseIndexes.rows.map((r) => r.tablename), ['objects', 'objects_0', 'objects_1', 'objects_2', 'objects_3']);
        await db.query(`SET search_path TO ${schema}`);
        await db.query('SET enable_seqscan = off');
        const plan = await db.query(`EXPLAIN SELECT id FROM objects WHERE base = 'x' AND base IS NOT NULL AND id > 'a' ORDER BY id LIMIT 10`);
        assert.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /Index (Only )?Scan using objects_\d_base_id_idx/);
      });
    });
  });

  it('migrates a schema of version 2: its raw object rows read as they are, as encoding 0', async () => {
    const uri = await schemas.freshConfig();
    const schema = schemaOf(uri);
    const small = Buffer.from('an object written before entries were encoded\n');
    const large = randomBytes(LARGE_ENTRY_BYTES + 4096); // read back by COPY
    await withAdmin(async (db) => {
      // The schema as govc left it at version 2: released migrations are never edited.
      await db.query(`CREATE SCHEMA ${schema}`);
      await db.query(`SET search_path TO ${schema}`);
      await db.query(MIGRATIONS_TABLE);
      for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
        for (const sql of m.statements(new PostgresDialect())) await db.query(sql);
        await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
      for (const data of [small, large]) {
        await db.query('INSERT INTO objects (id, type, size, data) VALUES ($1, $2, $3, $4)', [hashObject('blob', data), 'blob', data.length, data]);
      }
    });
    await withStore(uri, async (store) => {
      for (const data of [small, large]) {
        const id = hashObject('blob', data);
        assert.ok(Buffer.from((await store.getObject(id))!.data).equals(data));
        const { bytes, ...fields } = (await store.getEntries([id])).get(id)!;
        assert.deepEqual(fields, { id, type: 'blob', size: data.length, encoding: ENCODING.raw, base: null });
        assert.ok(Buffer.from(bytes).equals(data));
      }
      const fresh = await store.putObject({ type: 'blob', data: Buffer.from('written after the migration') });
      assert.equal((await store.getEntries([fresh])).get(fresh)!.encoding, ENCODING.whole);
      await withAdmin(async (db) => {
        const versions = await db.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY 1`);
        assert.deepEqual(versions.rows.map((r) => r.version), [1, 2, 3, 4, 5, 6, 7]);
      });
    });
  });

  it('migrates once when several processes open a new schema at the same moment', async () => {
    const uri = await schemas.freshConfig();
    const stores = await Promise.all(Array.from({ length: 6 }, () => createStore(uri)));
    try {
      await stores[0].setConfig('k', 'v');
      for (const s of stores) assert.equal(await s.getConfig('k'), 'v');
      const applied = await withAdmin((db) => db.query(`SELECT count(*)::int AS n FROM ${schemaOf(uri)}.schema_migrations`));
      assert.equal(applied.rows[0].n, MIGRATIONS.length);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses a schema migrated by a newer govc', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async () => undefined);
    await withAdmin((db) => db.query(`INSERT INTO ${schemaOf(uri)}.schema_migrations (version, name) VALUES (999, 'future')`));
    await rejectsWithCode(createStore(uri), 'CONFIG', /newer than this govc/);
  });
});

describe('postgres writes', () => {
  const objectOps = (n: number, tag: string): Array<WriteOp & { op: 'putObject' }> =>
    Array.from({ length: n }, (_, i) => {
      const data = Buffer.from(`${tag} ${i}`);
      return { op: 'putObject', entry: wholeEntry(hashObject('blob', data), 'blob', data) };
    });

  it('writes a COPY batch atomically with the rest of the write', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (store, driver) => {
      const ops = objectOps(1000, 'copied');
      await rejectsWithCode(driver.write([...ops, { op: 'updateRefs', repositoryId: 'missing', updates: [{ name: 'refs/heads/x', new: blobId('x') }] }]), 'NOT_FOUND');
      assert.equal((await store.metrics()).objectCount, 0, 'nothing of the failed batch is stored');
      // duplicates inside the batch and objects already stored are skipped, not errors
      await driver.write(ops.slice(0, 10));
      await driver.write([...ops, ...ops.slice(0, 100)]);
      assert.equal((await store.metrics()).objectCount, 1000);
      // put, delete, put again in one write: groups around the delete do not replay each other
      const [a, b] = objectOps(2, 'ordered');
      const idA = a.entry.id;
      await driver.write([...objectOps(100, 'group one'), a, { op: 'deleteObject', id: idA }, ...objectOps(100, 'group two'), b]);
      assert.equal(await store.hasObject(idA), false);
      assert.equal((await store.metrics()).objectCount, 1201);
      const got = await store.getObjects(ops.slice(0, 3).map((o) => o.entry.id));
      assert.equal(Buffer.from(got.get(ops[1].entry.id)!.data).toString(), 'copied 1');
    });
  });

  it('replaces entries in batches (COPY and multi-row), the last of repeated replaces winning', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (store, driver) => {
      for (const n of [100, 3]) {
        const ops = objectOps(n, `replaced ${n}`);
        await driver.write(ops);
        const raw = ops.map(({ entry }): WriteOp => ({ op: 'putObject', entry: { ...entry, encoding: ENCODING.raw, bytes: inflateSync(entry.bytes) }, replace: true }));
        // Repeated: raw first, then whole again for the first id; the whole one is what stays.
        await driver.write([...raw, { ...ops[0], replace: true }]);
        const ids = ops.map((o) => o.entry.id);
        const entries = await store.getEntries(ids);
        assert.equal(entries.get(ids[0])!.encoding, ENCODING.whole);
        for (const id of ids.slice(1)) assert.equal(entries.get(id)!.encoding, ENCODING.raw);
        const got = await store.getObjects(ids);
        assert.equal(Buffer.from(got.get(ids[n - 1])!.data).toString(), `replaced ${n} ${n - 1}`);
      }
      assert.equal((await store.metrics()).objectCount, 103);
    });
  });

  it('runs native transactions at each isolation level', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (store) => {
      assert.deepEqual(store.capabilities.isolationLevels, ['read-committed', 'repeatable-read', 'serializable']);
      await store.setConfig('k', 'v1');
      const committed = await store.begin({ isolation: 'read-committed' });
      const snapshot = await store.begin({ isolation: 'repeatable-read' });
      assert.equal(await committed.getConfig('k'), 'v1');
      assert.equal(await snapshot.getConfig('k'), 'v1');
      await store.setConfig('k', 'v2');
      assert.equal(await committed.getConfig('k'), 'v2', 'read committed sees the new commit');
      assert.equal(await snapshot.getConfig('k'), 'v1', 'repeatable read keeps its snapshot');
      await committed.rollback();
      await snapshot.rollback();

      // write skew: each serializable transaction reads both keys and writes one; one must fail
      await store.setConfig('a', '0');
      await store.setConfig('b', '0');
      const t1 = await store.begin({ isolation: 'serializable' });
      const t2 = await store.begin({ isolation: 'serializable' });
      await t1.getConfig('a');
      await t1.getConfig('b');
      await t2.getConfig('a');
      await t2.getConfig('b');
      await t1.setConfig('a', '1');
      await t2.setConfig('b', '1');
      await t1.commit();
      const err = await rejectsWithCode(t2.commit(), 'CONFLICT', /run the whole transaction again/);
      assert.equal((err as unknown as { details: { retry: boolean } }).details.retry, true);
      assert.equal(await store.getConfig('b'), '0');
    });
  });

  it('keeps a transaction usable after one of its writes fails', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (store) => {
      const repo = (await store.createRepository({ name: 'r' })).id;
      const tx = await store.begin();
      await tx.setConfig('before', 'yes');
      await rejectsWithCode(tx.createRepository({ name: 'r' }), 'CONFLICT');
      await rejectsWithCode(tx.updateRefs(repo, [{ name: 'refs/heads/m', old: blobId('wrong'), new: blobId('x') }]), 'CONFLICT');
      await tx.setConfig('after', 'yes');
      await tx.commit();
      assert.equal(await store.getConfig('before'), 'yes');
      assert.equal(await store.getConfig('after'), 'yes');
    });
  });
});

describe('postgres coordination and analytics', () => {
  it('holds a repository lock across store instances until the holder finishes', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (a) => {
      await withStore(uri, async (b) => {
        let release: () => void = () => undefined;
        const held = new Promise<void>((r) => (release = r));
        let entered!: () => void;
        const inside = new Promise<void>((r) => (entered = r));
        const holder = withRepositoryLock(a, 'repo-1', async () => {
          entered();
          await held;
          return 'a done';
        });
        await inside;
        const order: string[] = [];
        try {
          await rejectsWithCode(withRepositoryLock(b, 'repo-1', async () => 'b', { wait: false }), 'CONFLICT', /locked by another process/);
          assert.equal(await withRepositoryLock(b, 'repo-2', async () => 'other repository', { wait: false }), 'other repository');
          const waiter = withRepositoryLock(b, 'repo-1', async () => order.push('b'));
          await sleep(100);
          order.push('a releases');
          release();
          await waiter;
        } finally {
          release();
          assert.equal(await holder, 'a done');
        }
        assert.deepEqual(order, ['a releases', 'b']);
      });
    });
    const memory = await createStore('memory://');
    await rejectsWithCode(withRepositoryLock(memory, 'r', async () => 1), 'UNSUPPORTED');
    await memory.close();
  });

  it('refreshes repository statistics on demand', async () => {
    const uri = await schemas.freshConfig();
    await withStore(uri, async (store, driver) => {
      const repo = (await store.createRepository({ name: 'stats' })).id;
      await store.updateRefs(repo, [
        { name: 'refs/heads/main', new: blobId('1') },
        { name: 'refs/tags/v1', new: blobId('2') },
      ]);
      for (let i = 0; i < 3; i++) await store.logEvent({ action: 'push', repositoryId: repo });
      assert.deepEqual(await driver.repositoryStatistics(repo), [], 'the view shows the last refresh, not live data');
      await driver.refreshStatistics();
      const [s] = await driver.repositoryStatistics(repo);
      assert.equal(s.name, 'stats');
      assert.equal(s.refCount, 2);
      assert.equal(s.eventCount, 3);
      assert.ok(s.lastRefUpdate instanceof Date && s.lastEventAt instanceof Date);
      assert.equal((await driver.repositoryStatistics()).length, 1);
    });
  });
});

describe('postgres options and connections', () => {
  it('sizes the pool from pool_size and reports it', async () => {
    const uri = (await schemas.freshConfig()).replace('pool_size=4', 'pool_size=2');
    await withStore(uri, async (store, driver) => {
      await Promise.all(Array.from({ length: 10 }, () => store.getConfig('x')));
      const details = (await store.healthCheck()).details;
      assert.equal(details.poolSize, 2);
      assert.ok((details.connections as number) <= 2);
      assert.equal(driver.settings.poolSize, 2);
    });
  });

  it('connects with ssl_mode=require when the server offers TLS, and refuses bad TLS settings', async (t) => {
    const ssl = await withAdmin((db) => db.query<{ ssl: string }>('SHOW ssl'));
    await rejectsWithCode(createStore(`${await schemas.freshConfig()}&ssl_mode=sometimes`), 'CONFIG', /ssl_mode must be one of/);
    await rejectsWithCode(createStore(`${await schemas.freshConfig()}&sslmode=prefer`), 'CONFIG', /prefer and allow are not supported/);
    await rejectsWithCode(createStore(`${await schemas.freshConfig()}&ssl_root_cert=/nonexistent/ca.pem&ssl_mode=verify-full`), 'CONFIG', /ssl_root_cert/);
    if (ssl.rows[0].ssl !== 'on') return t.skip('the test server has ssl off');
    await withStore(`${await schemas.freshConfig()}&ssl_mode=require`, async (store) => {
      await store.setConfig('tls', 'yes');
      const encrypted = await withAdmin((db) =>
        db.query(`SELECT bool_or(s.ssl) AS any FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.application_name = 'govc'`),
      );
      assert.equal(encrypted.rows[0].any, true);
    });
    // the server's certificate is self-signed: verify-full must refuse it
    await rejectsWithCode(createStore(`${await schemas.freshConfig()}&ssl_mode=verify-full`), 'CONNECTION');
  });

  it('claims durability only when the server syncs commits', async () => {
    await withStore(await schemas.freshConfig(), async (store) => assert.equal(store.capabilities.durable, true));
    const database = 'govc_test_nosync';
    await withAdmin(async (db) => {
      await db.query(`DROP DATABASE IF EXISTS ${database}`);
      await db.query(`CREATE DATABASE ${database}`);
      await db.query(`ALTER DATABASE ${database} SET synchronous_commit = off`);
    });
    try {
      await withStore(withDatabase(TEST_URL, database).replace(/^postgres(ql)?:/, 'postgres:'), async (store) => assert.equal(store.capabilities.durable, false));
    } finally {
      await withAdmin((db) => db.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    }
  });

  it('says what to check when the server cannot be reached, and refuses unknown options', async () => {
    const err = await rejectsWithCode(createStore('postgres://postgres@127.0.0.1:1/test?connect_timeout=2s'), 'CONNECTION');
    assert.match(err.message, /cannot reach PostgreSQL at 127\.0\.0\.1:1\/test .*check that the server is running/);
    await rejectsWithCode(createStore(`${await schemas.freshConfig()}&pool_sise=3`), 'CONFIG', /unknown postgres option pool_sise/);
    await rejectsWithCode(createStore(`${TEST_URL}?schema=Bad-Name`), 'CONFIG', /schema must be a lowercase SQL identifier/);
  });
});
