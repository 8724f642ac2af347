/**
 * The raw PostgreSQL baseline of `govc datastore bench`: the same work as each
 * bench op (same counts, same blob sizes) with plain `pg` and the postgres
 * store's own statements, taken from its modules so the text cannot drift:
 * the same schema (migrations), named prepared statements, COPY for the
 * 1000-object batch, SELECT ... FOR UPDATE compare-and-swap, NOTIFY of ref
 * changes and events, BEGIN/SAVEPOINT around transaction writes. No DataStore
 * in between: the ratio of the store's figures to these is the cost of our
 * layer (validation, records, async API), not of PostgreSQL.
 *
 * It runs in a new schema of the database at `url`, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { BlobSource } from '../../src/bench/blobs.js';
import { BATCH_SIZE, LIST_PAGE, opCounts, type BenchOp } from '../../src/bench/ops.js';
import { Timings } from '../../src/bench/timings.js';
import { wholeEntry } from '../../src/datastore/objects/encoding.js';
import { binaryCopyRows, COPY_SQL } from '../../src/datastore/stores/postgres/copy.js';
import { ENTRY_SQL } from '../../src/datastore/stores/postgres/entry-writer.js';
import { entryParams } from '../../src/datastore/stores/postgres/rows.js';
import { PostgresDialect } from '../../src/datastore/stores/postgres/dialect.js';
import { statementName } from '../../src/datastore/stores/postgres/executor.js';
import { channelName, NOTICE_SQL } from '../../src/datastore/stores/postgres/notices.js';
import { SQL } from '../../src/datastore/stores/postgres/reader.js';
import { MIGRATIONS } from '../../src/datastore/stores/postgres/schema.js';
import { writeStatements } from '../../src/datastore/stores/postgres/writer.js';
import { type BaselineResult, gitBlobId, shuffled } from './common.js';

export interface PostgresBaselineOptions {
  objects: number;
  size: number;
  /** postgres://user@host:port/database (a scratch database: a schema is created and dropped in it). */
  url?: string;
  /** The store URI, as bench/compare.ts passes it; its query (schema, pool_size...) is ignored. */
  connection?: string;
}

/** The database of `url` or of the store URI, without store options. */
function databaseUrl(options: PostgresBaselineOptions): string {
  const given = options.url ?? options.connection;
  if (!given) fail('needs url (postgres://user@host:port/database)');
  const u = new URL(given);
  u.search = '';
  return u.toString().replace(/^[a-z]+:/, 'postgres:');
}

const QUERY_REPOSITORIES = 100;
const ACTIONS = ['push', 'fetch', 'clone', 'settings'];
const EVENT_CHUNK = 1000;
const dialect = new PostgresDialect();
const W = writeStatements(dialect);
/** The statements the store builds for these lists (reader.ts), written out. */
const LIST_FIRST = 'SELECT id FROM objects ORDER BY id LIMIT $1';
const LIST_AFTER = 'SELECT id FROM objects WHERE id > $1 ORDER BY id LIMIT $2';
const NEWEST_EVENTS = 'SELECT * FROM audit_events WHERE repository_id = $1 AND action = $2 ORDER BY occurred_at DESC, id DESC OFFSET $3 LIMIT $4';

type Queryable = pg.Pool | pg.PoolClient;
const q = (db: Queryable, text: string, values: unknown[] = []) => db.query({ name: statementName(text), text, values });

function fail(message: string): never {
  throw new Error(`postgres raw baseline: ${message}`);
}

async function inTransaction<T>(pool: pg.Pool, begin: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const iso = () => new Date().toISOString();

async function createRepository(pool: pg.Pool, name: string): Promise<string> {
  const id = randomBytes(16).toString('hex');
  const now = iso();
  await q(pool, W.insertRepository, [id, name, '', '', 'public', null, '{}', now, now]);
  return id;
}

/** One CAS move of a ref, as the store's write() does it: lock, check, write, notify, commit. */
async function casRef(client: pg.PoolClient, channel: string, repositoryId: string, name: string, old: string | null, next: string): Promise<void> {
  const repo = await q(client, W.lockRepository, [repositoryId]);
  if (!repo.rowCount) fail('repository vanished');
  const { rows } = await q(client, W.lockRefs, [repositoryId, [name]]);
  const actual = rows[0]?.target ?? null;
  if (actual !== old) fail(`ref is ${actual}, expected ${old}`);
  if (old === null) await q(client, W.insertRef, [repositoryId, name, 'direct', next]);
  else await q(client, W.upsertRef, [repositoryId, name, 'direct', next, iso()]);
  await q(client, NOTICE_SQL.notify, [channel, [JSON.stringify({ k: 'r', s: 0, r: repositoryId, n: name, o: old, v: next })]]);
}

async function appendEvent(client: Queryable, channel: string, repositoryId: string, action: string): Promise<void> {
  const id = randomBytes(12).toString('hex');
  await q(client, W.appendEvent, [id, iso(), null, action, 'refs/heads/main', repositoryId, '{}']);
  await q(client, NOTICE_SQL.notify, [channel, [JSON.stringify({ k: 'a', s: 0, id })]]);
}

export async function runPostgresBaseline(options: PostgresBaselineOptions): Promise<BaselineResult[]> {
  const schema = `bench_raw_${randomBytes(4).toString('hex')}`;
  const channel = channelName(schema);
  const pool = new pg.Pool({ connectionString: databaseUrl(options), max: 10, options: `-c search_path=${schema}`, application_name: 'govc-baseline' });
  pool.on('error', () => undefined);
  try {
    await inTransaction(pool, 'BEGIN', async (c) => {
      await c.query(`CREATE SCHEMA ${schema}`);
      for (const m of MIGRATIONS) for (const sql of m.statements(dialect)) await c.query(sql);
    });
    return await runPhases(pool, channel, options);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

async function runPhases(pool: pg.Pool, channel: string, options: PostgresBaselineOptions): Promise<BaselineResult[]> {
  const counts = opCounts(options.objects);
  const blobs = new BlobSource(options.size);
  const ids: string[] = [];
  const results: BaselineResult[] = [];
  const record = (op: BenchOp, t: Timings) => {
    const s = t.summary();
    results.push({ op, opsPerSec: s.opsPerSec, p50Ms: s.p50Ms, p99Ms: s.p99Ms });
  };

  let t = new Timings(counts.put);
  for (let i = 0; i < counts.put; i++) {
    const data = blobs.next();
    await t.time(async () => {
      const id = gitBlobId(data);
      await q(pool, ENTRY_SQL.insert, entryParams(wholeEntry(id, 'blob', data)));
      ids.push(id);
    });
  }
  record('put', t);

  t = new Timings(counts.get);
  for (const i of shuffled(ids.length)) {
    const data = await t.time(async () => {
      const { rows } = await q(pool, SQL.getEntries, [[ids[i]]]);
      return rows[0]?.data ? inflateSync(rows[0].data) : undefined;
    });
    if (data?.byteLength !== options.size) fail(`get of ${ids[i]} returned the wrong data`);
  }
  record('get', t);

  t = new Timings(counts.has);
  for (const i of shuffled(ids.length)) {
    const { rows } = await t.time(() => q(pool, SQL.hasObjects, [[ids[i]]]));
    if (rows.length !== 1) fail(`has of ${ids[i]} said false`);
  }
  record('has', t);

  t = new Timings(counts.batch_put_1000);
  for (let b = 0; b < counts.batch_put_1000; b++) {
    const batch = Array.from({ length: BATCH_SIZE }, () => blobs.next());
    await t.time(async () => {
      const entries = batch.map((data) => wholeEntry(gitBlobId(data), 'blob', data));
      await inTransaction(pool, dialect.writeBegin, async (c) => {
        await q(c, COPY_SQL.createLoadTable);
        await pipeline(Readable.from(binaryCopyRows(entries)), c.query(copyStreams.from(COPY_SQL.copy)));
        await q(c, COPY_SQL.keep);
        await q(c, COPY_SQL.clear);
      });
    });
  }
  record('batch_put_1000', t);

  t = new Timings(counts.list);
  let after: string | undefined;
  for (let i = 0; i < counts.list; i++) {
    const { rows } = await t.time(() => (after === undefined ? q(pool, LIST_FIRST, [LIST_PAGE + 1]) : q(pool, LIST_AFTER, [after, LIST_PAGE + 1])));
    if (rows.length === 0) fail('list returned nothing');
    after = rows.length > LIST_PAGE ? rows[LIST_PAGE - 1].id : undefined;
  }
  record('list', t);

  const casRepo = await createRepository(pool, 'raw-cas');
  let current = ids[0];
  await inTransaction(pool, dialect.writeBegin, (c) => casRef(c, channel, casRepo, 'refs/heads/main', null, current));
  t = new Timings(counts.ref_cas);
  for (let i = 0; i < counts.ref_cas; i++) {
    const next = ids[(i + 1) % ids.length];
    const old = current;
    await t.time(() => inTransaction(pool, dialect.writeBegin, (c) => casRef(c, channel, casRepo, 'refs/heads/main', old, next)));
    current = next;
  }
  record('ref_cas', t);

  const repositories: string[] = [];
  for (let r = 0; r < QUERY_REPOSITORIES; r++) repositories.push(await createRepository(pool, `raw-query-${r}`));
  for (let start = 0; start < counts.metadata_query; start += EVENT_CHUNK) {
    const end = Math.min(counts.metadata_query, start + EVENT_CHUNK);
    await inTransaction(pool, 'BEGIN ISOLATION LEVEL READ COMMITTED', async (c) => {
      for (let e = start; e < end; e++) await appendEvent(c, channel, repositories[e % repositories.length], ACTIONS[e % ACTIONS.length]);
    });
  }
  t = new Timings(counts.metadata_query);
  for (let i = 0; i < counts.metadata_query; i++) {
    const repositoryId = repositories[Math.floor(Math.random() * repositories.length)];
    const { rows } = await t.time(() => q(pool, NEWEST_EVENTS, [repositoryId, 'push', 0, 21]));
    if (rows.some((e) => e.repository_id !== repositoryId || e.action !== 'push')) fail('metadata query returned events outside its filter');
  }
  record('metadata_query', t);

  const txRepo = await createRepository(pool, 'raw-tx');
  let head: string | null = null;
  t = new Timings(counts.transaction);
  for (let i = 0; i < counts.transaction; i++) {
    const data = blobs.next();
    const old: string | null = head;
    head = await t.time(() =>
      inTransaction(pool, 'BEGIN ISOLATION LEVEL READ COMMITTED', async (c) => {
        const id = gitBlobId(data);
        await q(c, 'SAVEPOINT govc_write');
        await q(c, ENTRY_SQL.insert, entryParams(wholeEntry(id, 'blob', data)));
        await q(c, 'RELEASE SAVEPOINT govc_write');
        await q(c, 'SAVEPOINT govc_write');
        await casRef(c, channel, txRepo, 'refs/heads/main', old, id);
        await q(c, 'RELEASE SAVEPOINT govc_write');
        await q(c, 'SAVEPOINT govc_write');
        await appendEvent(c, channel, txRepo, 'push');
        await q(c, 'RELEASE SAVEPOINT govc_write');
        return id;
      }),
    );
  }
  record('transaction', t);
  return results;
}
