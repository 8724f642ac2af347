/**
 * The raw SQLite baseline of `govc datastore bench`: the same work as each
 * bench op (same counts, same blob sizes, the same tables and indexes as the
 * sqlite store, the same pragmas: WAL, synchronous NORMAL, cache_size 10000),
 * written as a plain better-sqlite3 loop with no DataStore in between. The
 * ratio of the store's figures to these is the cost of our layer (validation,
 * async API, records, BufferedTransaction), not of SQLite.
 *
 * Each put hashes its object as git does, since the store must too: the id is
 * part of the work. Every op is timed on its own with performance.now().
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BlobSource } from '../../src/bench/blobs.js';
import { BATCH_SIZE, LIST_PAGE, opCounts, type BenchOp } from '../../src/bench/ops.js';
import { Timings } from '../../src/bench/timings.js';
import { MIGRATIONS } from '../../src/datastore/stores/sqlite/migrations.js';
import { encodeKind, ID_MATCH, idParams } from '../../src/datastore/stores/sqlite/object-rows.js';
import { type BaselineOptions, type BaselineResult, gitBlobId, shuffled } from './common.js';
import { deflateSync, inflateSync } from 'node:zlib';

/** Repositories the metadata query phase spreads events over, as in the bench. */
const QUERY_REPOSITORIES = 100;
const ACTIONS = ['push', 'fetch', 'clone', 'settings'];

function timeSync<T>(t: Timings, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  t.record(performance.now() - start);
  return result;
}

function fail(message: string): never {
  throw new Error(`sqlite raw baseline: ${message}`);
}

export async function runSqliteBaseline(options: BaselineOptions): Promise<BaselineResult[]> {
  const path = join(options.dir, `sqlite-raw-baseline-${randomBytes(4).toString('hex')}.db`);
  const db = new Database(path, { timeout: 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = 10000');
    db.pragma('temp_store = MEMORY');
    for (const m of MIGRATIONS) db.exec(m.sql);
    return runPhases(db, options);
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  }
}

function runPhases(db: Database.Database, options: BaselineOptions): BaselineResult[] {
  const counts = opCounts(options.objects);
  const blobs = new BlobSource(options.size);
  const results: BaselineResult[] = [];
  const measure = (op: BenchOp, body: (t: Timings) => void) => {
    const t = new Timings(counts[op]);
    body(t);
    const s = t.summary();
    results.push({ op, opsPerSec: s.opsPerSec, p50Ms: s.p50Ms, p99Ms: s.p99Ms });
  };

  // The store's own layout (binary ids, deflated entries): the same work govc does, without its layers.
  const insertObject = db.prepare<[Buffer, number, Buffer, Buffer, Buffer]>(
    `INSERT INTO objects (hash, kind, back, data) SELECT ?, ?, NULL, ? WHERE NOT EXISTS (SELECT 1 FROM objects WHERE ${ID_MATCH})`,
  );
  const getObject = db.prepare<[Buffer, Buffer], { kind: number; data: Buffer }>(`SELECT kind, data FROM objects WHERE ${ID_MATCH}`);
  const hasObject = db.prepare<[Buffer, Buffer], number>(`SELECT 1 FROM objects WHERE ${ID_MATCH}`).pluck();
  const listPage = db
    .prepare<[Buffer, Buffer, number], string>('SELECT lower(hex(hash)) FROM objects WHERE substr(hash, 1, 4) >= substr(?, 1, 4) AND hash > ? ORDER BY substr(hash, 1, 4), hash LIMIT ?')
    .pluck();
  const insertRepository = db.prepare(
    "INSERT INTO repositories (id, name, visibility, created_at, updated_at) VALUES (?, ?, 'public', ?, ?)",
  );
  const insertRef = db.prepare("INSERT INTO refs (repository_id, name, type, target) VALUES (?, ?, 'direct', ?)");
  const casRef = db.prepare('UPDATE refs SET target = ? WHERE repository_id = ? AND name = ? AND target = ?');
  const insertEvent = db.prepare(
    'INSERT INTO audit_events (id, timestamp, user_id, action, resource, repository_id, details) VALUES (?, ?, NULL, ?, ?, ?, ?)',
  );
  const queryEvents = db.prepare(
    `SELECT id, timestamp, user_id, action, resource, repository_id, details FROM audit_events
     WHERE repository_id = ? AND action = ? ORDER BY timestamp DESC, id DESC LIMIT ?`,
  );
  let eventSeq = 0;
  const eventId = (now: number) => `${now.toString(16).padStart(12, '0')}${(eventSeq++).toString(16).padStart(14, '0')}`;
  const putOne = (data: Buffer): string => {
    const id = gitBlobId(data);
    const raw = Buffer.from(id, 'hex');
    insertObject.run(raw, encodeKind('blob', data.byteLength, 1), deflateSync(data), raw, raw);
    return id;
  };
  const newRepository = (name: string): string => {
    const id = randomBytes(16).toString('hex');
    const now = Date.now();
    insertRepository.run(id, `baseline-${name}-${id.slice(0, 8)}`, now, now);
    return id;
  };

  const ids: string[] = [];
  measure('put', (t) => {
    for (let i = 0; i < counts.put; i++) {
      const data = blobs.next();
      ids.push(timeSync(t, () => putOne(data)));
    }
  });

  measure('get', (t) => {
    for (const i of shuffled(ids.length)) {
      const data = timeSync(t, () => {
        const row = getObject.get(...idParams(ids[i]));
        return row && inflateSync(row.data);
      });
      if (!data || data.byteLength !== options.size) fail(`get of ${ids[i]} did not return its blob`);
    }
  });

  measure('has', (t) => {
    for (const i of shuffled(ids.length)) {
      if (timeSync(t, () => hasObject.get(...idParams(ids[i]))) !== 1) fail(`has of ${ids[i]} said no`);
    }
  });

  const putBatch = db.transaction((batch: Buffer[]) => batch.map(putOne));
  measure('batch_put_1000', (t) => {
    for (let i = 0; i < counts.batch_put_1000; i++) {
      const batch = Array.from({ length: BATCH_SIZE }, () => blobs.next());
      if (timeSync(t, () => putBatch.immediate(batch)).length !== BATCH_SIZE) fail('batch put lost objects');
    }
  });

  measure('list', (t) => {
    let after = '';
    for (let i = 0; i < counts.list; i++) {
      // One more than the page, as a cursor-paged list asks, to know whether more follow.
      // x'00' sorts before every id (substr of an empty blob would be NULL).
      const from = after ? Buffer.from(after, 'hex') : Buffer.alloc(1);
      const page = timeSync(t, () => listPage.all(from, from, LIST_PAGE + 1));
      if (page.length === 0) fail('list returned nothing');
      after = page.length > LIST_PAGE ? page[LIST_PAGE - 1] : '';
    }
  });

  measure('ref_cas', (t) => {
    const repositoryId = newRepository('cas');
    const name = 'refs/heads/main';
    let current = ids[0];
    insertRef.run(repositoryId, name, current);
    for (let i = 0; i < counts.ref_cas; i++) {
      const next = ids[(i + 1) % ids.length];
      const old = current;
      if (timeSync(t, () => casRef.run(next, repositoryId, name, old)).changes !== 1) fail('compare-and-swap lost');
      current = next;
    }
  });

  measure('metadata_query', (t) => {
    const repositories = Array.from({ length: QUERY_REPOSITORIES }, (_, r) => newRepository(`query-${r}`));
    const logEvents = db.transaction((from: number, to: number) => {
      for (let e = from; e < to; e++) {
        const now = Date.now();
        insertEvent.run(eventId(now), now, ACTIONS[e % ACTIONS.length], 'refs/heads/main', repositories[e % repositories.length], '{}');
      }
    });
    for (let start = 0; start < counts.metadata_query; start += 1000) logEvents(start, Math.min(counts.metadata_query, start + 1000));
    for (let i = 0; i < counts.metadata_query; i++) {
      const repositoryId = repositories[Math.floor(Math.random() * repositories.length)];
      const rows = timeSync(t, () => queryEvents.all(repositoryId, 'push', 21)) as Array<{ repository_id: string }>;
      if (rows.some((r) => r.repository_id !== repositoryId)) fail('metadata query returned events outside its filter');
    }
  });

  measure('transaction', (t) => {
    const repositoryId = newRepository('tx');
    const name = 'refs/heads/main';
    let current: string | null = null;
    const step = db.transaction((data: Buffer, old: string | null): string => {
      const id = putOne(data);
      if (old === null) insertRef.run(repositoryId, name, id);
      else if (casRef.run(id, repositoryId, name, old).changes !== 1) fail('transaction compare-and-swap lost');
      const now = Date.now();
      insertEvent.run(eventId(now), now, 'push', name, repositoryId, '{}');
      return id;
    });
    for (let i = 0; i < counts.transaction; i++) {
      const data = blobs.next();
      const old: string | null = current;
      current = timeSync(t, (): string => step.immediate(data, old));
    }
  });

  return results;
}
