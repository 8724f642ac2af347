/** The SQLite store beyond the compliance suite: schema migrations, options, files, query plans, several processes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { deflateSync } from 'node:zlib';
import { createStore, hashObject, type DataStore } from '../../src/datastore/index.js';
import { deltaEntry, wholeEntry } from '../../src/datastore/objects/encoding.js';
import { createDelta } from '../../src/git/pack/delta-encode.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/datastore/stores/sqlite/migrations.js';
import { prefixUpperBound } from '../../src/datastore/stores/sqlite/prefix.js';
import * as queries from '../../src/datastore/stores/sqlite/queries.js';
import { GOVC_APPLICATION_ID, migrate } from '../../src/datastore/stores/sqlite/schema.js';
import { rejectsWithCode } from '../compliance/context.js';
import { withStore } from '../support/with-store.js';

const root = mkdtempSync(join(tmpdir(), 'govc-sqlite-test-'));
let counter = 0;

/** A path in a new directory that does not exist yet (the store creates it). */
function freshPath(): string {
  return join(root, `db-${++counter}`, 'nested', 'govc.db');
}

after(() => rmSync(root, { recursive: true, force: true }));

describe('sqlite schema migrations', () => {
  it('creates a new database at the latest schema version, marked as govc', async () => {
    const path = freshPath();
    await withStore(`sqlite://${path}`, async (store) => {
      assert.equal((await store.healthCheck()).details.schemaVersion, LATEST_SCHEMA_VERSION);
    });
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
      assert.equal(db.pragma('application_id', { simple: true }), GOVC_APPLICATION_ID);
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, ['audit_events', 'config', 'object_bases', 'objects', 'refs', 'repositories', 'users']);
      const indexes = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL").pluck().all();
      assert.ok(indexes.includes('audit_events_by_timestamp') && indexes.includes('audit_events_by_user'), `indexes: ${indexes.join(', ')}`);
    } finally {
      db.close();
    }
  });

  it('reads the objects of a version 1 database, whose rows hold the data as is, after migrating it', async () => {
    const path = freshPath();
    await withStore(`sqlite://${path}`, async () => undefined);
    const data = Buffer.from('written by govc before objects were encoded\n');
    const id = hashObject('blob', data);
    // Rebuild the file as version 1 left it: the objects table without encoding and base.
    rmSync(path);
    const v1 = new Database(path);
    migrate(v1, path, MIGRATIONS.slice(0, 1));
    v1.prepare('INSERT INTO objects (hash, type, size, created_at, data) VALUES (?, ?, ?, ?, ?)').run(id, 'blob', data.length, Date.now(), data);
    v1.close();
    await withStore(`sqlite://${path}`, async (store) => {
      assert.equal((await store.healthCheck()).details.schemaVersion, LATEST_SCHEMA_VERSION);
      assert.ok(Buffer.from((await store.getObject(id))!.data).equals(data));
      const entry = (await store.getEntries([id])).get(id)!;
      assert.equal(entry.encoding, 0, 'kept as it was until gc re-encodes it');
      const fresh = await store.putObject({ type: 'blob', data: Buffer.from('new\n') });
      assert.equal((await store.getEntries([fresh])).get(fresh)!.encoding, 1);
    });
  });

  it('migrates the entries of a version 4 database, deltas and their bases included, to the compact rows of version 5', async () => {
    const path = freshPath();
    await withStore(`sqlite://${path}`, async () => undefined);
    rmSync(path);
    const v4 = new Database(path);
    migrate(v4, path, MIGRATIONS.slice(0, 4));
    const base = Buffer.from('the base of a delta, long enough to be worth one: '.repeat(8));
    const data = Buffer.concat([base, Buffer.from('and one more line\n')]);
    const whole = wholeEntry(hashObject('blob', base), 'blob', base);
    const d = createDelta(base, data)!;
    const delta = deltaEntry(hashObject('blob', data), 'blob', data.length, whole.id, 1, d.length, deflateSync(d));
    const tree = wholeEntry(hashObject('tree', Buffer.alloc(0)), 'tree', Buffer.alloc(0));
    const insert = v4.prepare('INSERT INTO objects (hash, type, size, encoding, base, data) VALUES (unhex(?), ?, ?, ?, unhex(?), ?)');
    // The delta first: a row's base may have been written after it.
    for (const e of [delta, whole, tree]) insert.run(e.id, e.type, e.size, e.encoding, e.base, Buffer.from(e.bytes));
    v4.close();
    await withStore(`sqlite://${path}`, async (store) => {
      assert.equal((await store.healthCheck()).details.schemaVersion, LATEST_SCHEMA_VERSION);
      const entries = await store.getEntries([delta.id, whole.id, tree.id]);
      for (const e of [delta, whole, tree]) assert.deepEqual({ ...entries.get(e.id)!, bytes: Buffer.from(entries.get(e.id)!.bytes) }, { ...e, bytes: Buffer.from(e.bytes) });
      assert.ok(Buffer.from((await store.getObject(delta.id))!.data).equals(data));
      assert.deepEqual(await store.statObject(tree.id), { id: tree.id, type: 'tree', size: 0 });
      assert.deepEqual(await store.listDependents(whole.id), [delta.id]);
      await store.deleteObject(whole.id);
      assert.ok(Buffer.from((await store.getObject(delta.id))!.data).equals(data), 'the delta was rewritten whole before its base went');
    });
  });

  it('refuses a write that deletes a delta base and keeps the delta; keeps a delta that comes before its base', async () => {
    const path = freshPath();
    const base = Buffer.from('a base for the driver-level checks\n'.repeat(6));
    const data = Buffer.concat([base, Buffer.from('tail\n')]);
    await withStore(`sqlite://${path}`, async (store) => {
      const whole = wholeEntry(hashObject('blob', base), 'blob', base);
      const d = createDelta(base, data)!;
      const delta = deltaEntry(hashObject('blob', data), 'blob', data.length, whole.id, 1, d.length, deflateSync(d));
      // In one write the base may come after its delta.
      await store.driver.write([{ op: 'putObject', entry: delta }, { op: 'putObject', entry: whole }]);
      assert.deepEqual(await store.listDependents(whole.id), [delta.id]);
      await rejectsWithCode(store.driver.write([{ op: 'deleteObject', id: whole.id }]), 'INVALID_DATA', /delta base of/);
      assert.ok(await store.hasObject(whole.id), 'nothing was deleted');
      // Deleting the delta in the same write is fine, whatever the order.
      await store.driver.write([{ op: 'deleteObject', id: whole.id }, { op: 'deleteObject', id: delta.id }]);
      assert.deepEqual(await store.hasObjects([whole.id, delta.id]), [false, false]);
      // A store copy may write a delta before its base, in another write: its base's id waits in object_bases.
      await store.driver.write([{ op: 'putObject', entry: delta }]);
      assert.equal((await store.getEntries([delta.id])).get(delta.id)!.base, whole.id);
      assert.deepEqual(await store.listDependents(whole.id), [delta.id]);
      await store.driver.write([{ op: 'putObject', entry: whole }]);
      assert.ok(Buffer.from((await store.getObject(delta.id))!.data).equals(data));
      assert.deepEqual(await store.listDependents(whole.id), [delta.id]);
    });
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.prepare('SELECT count(*) FROM object_bases').pluck().get(), 0, 'the base came: the delta names it by row');
      assert.equal(db.prepare('SELECT back FROM objects WHERE hash = unhex(?)').pluck().get(hashObject('blob', data)), -1);
    } finally {
      db.close();
    }
  });

  it('applies only the pending migrations, in order, keeping data', () => {
    const db = new Database(':memory:');
    try {
      assert.deepEqual(migrate(db, ':memory:', MIGRATIONS), { from: 0, to: LATEST_SCHEMA_VERSION });
      db.prepare("INSERT INTO config (key, value) VALUES ('kept', 'yes')").run();
      const next = LATEST_SCHEMA_VERSION + 1;
      const later = [
        ...MIGRATIONS,
        { version: next, description: 'test column', sql: "ALTER TABLE config ADD COLUMN note TEXT NOT NULL DEFAULT 'added'" },
      ];
      assert.deepEqual(migrate(db, ':memory:', later), { from: LATEST_SCHEMA_VERSION, to: next });
      assert.deepEqual(db.prepare("SELECT value, note FROM config WHERE key = 'kept'").get(), { value: 'yes', note: 'added' });
      // Already current: nothing runs again (re-running the ALTER would throw).
      assert.deepEqual(migrate(db, ':memory:', later), { from: next, to: next });
    } finally {
      db.close();
    }
  });

  it('rolls back a failing migration as a whole, leaving the version unchanged', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, ':memory:', MIGRATIONS);
      const broken = [
        ...MIGRATIONS,
        { version: LATEST_SCHEMA_VERSION + 1, description: 'half broken', sql: 'CREATE TABLE half (x); SELECT * FROM no_such_table;' },
      ];
      assert.throws(() => migrate(db, ':memory:', broken), /no_such_table/);
      assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
      assert.equal(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half'").pluck().get(), 0);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer govc, naming both versions', async () => {
    const path = freshPath();
    await withStore(`sqlite://${path}`, async () => undefined);
    const db = new Database(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.close();
    const err = await rejectsWithCode(createStore(`sqlite://${path}`), 'UNSUPPORTED', /newer than this govc knows/);
    assert.match(err.message, new RegExp(`version ${LATEST_SCHEMA_VERSION + 5}.*\\(${LATEST_SCHEMA_VERSION}\\)`));
  });

  it("refuses another application's SQLite file and a file that is not a database", async () => {
    const foreign = join(root, `foreign-${++counter}.db`);
    const db = new Database(foreign);
    db.exec('CREATE TABLE things (x)');
    db.close();
    await rejectsWithCode(createStore(`sqlite://${foreign}`), 'CONFIG', /another application/);

    const text = join(root, `text-${++counter}.db`);
    writeFileSync(text, 'this is not an SQLite database, just some text that is long enough to have a header'.repeat(10));
    await rejectsWithCode(createStore(`sqlite://${text}`), 'CONNECTION', /cannot open SQLite database/);
  });
});

describe('sqlite options and connection', () => {
  it('defaults to WAL, synchronous NORMAL and applies the options given', async () => {
    await withStore(`sqlite://${freshPath()}`, async (store) => {
      const d = (await store.healthCheck()).details;
      assert.equal(d.journalMode, 'wal');
      assert.equal(d.synchronous, 'NORMAL');
      assert.equal(store.capabilities.durable, true);
      assert.equal(store.capabilities.multiProcess, true);
    });
    // Values that differ from SQLite's own defaults, so each one shows it was applied.
    const uri = `sqlite://${freshPath()}?journal_mode=truncate&synchronous=EXTRA&cache_size=-8000&busy_timeout=2s`;
    await withStore(uri, async (store) => {
      const d = (await store.healthCheck()).details;
      assert.equal(d.journalMode, 'truncate');
      assert.equal(d.synchronous, 'EXTRA');
      assert.equal(d.cacheSize, -8000);
      assert.equal(d.busyTimeoutMs, 2000);
    });
    await withStore(`sqlite://${freshPath()}?synchronous=full`, async (store) => {
      const d = (await store.healthCheck()).details;
      assert.equal(d.journalMode, 'wal');
      assert.equal(d.synchronous, 'FULL');
    });
  });

  it('takes options from a YAML-shaped config object', async () => {
    const config = { type: 'sqlite', connection: freshPath(), options: { journal_mode: 'WAL', synchronous: 'NORMAL', cache_size: 10000 } };
    const store = await createStore(config);
    try {
      assert.equal((await store.healthCheck()).details.cacheSize, 10000);
    } finally {
      await store.close();
    }
  });

  it('refuses bad and unknown options, naming the key', async () => {
    await rejectsWithCode(createStore(`sqlite://${freshPath()}?journal_mode=sideways`), 'CONFIG', /journal_mode must be one of WAL/);
    await rejectsWithCode(createStore(`sqlite://${freshPath()}?journal_mode=OFF`), 'CONFIG', /journal_mode/);
    await rejectsWithCode(createStore(`sqlite://${freshPath()}?synchronous=sometimes`), 'CONFIG', /synchronous/);
    await rejectsWithCode(createStore(`sqlite://${freshPath()}?cache_size=lots`), 'CONFIG', /cache_size must be an integer/);
    await rejectsWithCode(createStore(`sqlite://${freshPath()}?busy_timeout=soon`), 'CONFIG', /busy_timeout/);
    await rejectsWithCode(createStore(`sqlite://${freshPath()}?journal=WAL`), 'CONFIG', /unknown sqlite option journal.*known options: .*journal_mode/);
  });

  it('opens :memory: as a store that is neither persistent nor shared', async () => {
    await withStore('sqlite://:memory:', async (store) => {
      assert.equal(store.capabilities.persistent, false);
      assert.equal(store.capabilities.durable, false);
      assert.equal(store.capabilities.multiProcess, false);
      const id = await store.putObject({ type: 'blob', data: Buffer.from('in memory') });
      assert.equal(await store.hasObject(id), true);
    });
  });

  it('fails with CONNECTION, saying what to check, when the path cannot be created', async () => {
    const file = join(root, `plain-file-${++counter}`);
    writeFileSync(file, 'x');
    await rejectsWithCode(createStore(`sqlite://${join(file, 'sub', 'govc.db')}`), 'CONNECTION', /check that the path/);
  });

  it('persists across reopen and shares one file between two open stores', async () => {
    const uri = `sqlite://${freshPath()}`;
    const a = await createStore(uri);
    const b = await createStore(uri);
    try {
      const repo = await a.createRepository({ name: 'shared' });
      const id = await a.putObject({ type: 'blob', data: Buffer.from('seen by b') });
      assert.equal(await b.hasObject(id), true);
      await b.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: id }]);
      await rejectsWithCode(a.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: id }]), 'CONFLICT');
    } finally {
      await a.close();
      await b.close();
    }
    await withStore(uri, async (store) => {
      const repo = await store.getRepositoryByName('shared');
      assert.ok(repo);
      assert.equal((await store.getRef(repo.id, 'refs/heads/main'))?.type, 'direct');
      assert.ok((await store.metrics()).storageBytes > 0);
    });
  });
});

describe('sqlite literal prefixes', () => {
  it('computes the smallest string above every string with a prefix', () => {
    assert.equal(prefixUpperBound('abc'), 'abd');
    assert.equal(prefixUpperBound('a%'), 'a&');
    assert.equal(prefixUpperBound('\u{d7ff}'), '\u{e000}');
    assert.equal(prefixUpperBound('a\u{10ffff}'), 'b');
    assert.equal(prefixUpperBound('\u{10ffff}\u{10ffff}'), undefined);
    assert.equal(prefixUpperBound('x😀'), 'x😁');
  });

  it('matches `%`, `_` and case literally, and names at the top of the code point range', async () => {
    await withStore('sqlite://:memory:', async (store) => {
      for (const name of ['a_b', 'A_b', 'axb', 'a%c', 'ab', '\u{10ffff}x', '\u{10ffff}', 'zz']) await store.createRepository({ name });
      const names = async (namePrefix: string) => (await store.listRepositories({ namePrefix })).items.map((r) => r.name);
      assert.deepEqual(await names('a_'), ['a_b']);
      assert.deepEqual(await names('a%'), ['a%c']);
      assert.deepEqual(await names('A'), ['A_b']);
      assert.deepEqual(await names('\u{10ffff}'), ['\u{10ffff}', '\u{10ffff}x']);
    });
  });
});

describe('sqlite event filters', () => {
  it('treats an empty resourcePrefix as "has a resource", as filters.ts does', async () => {
    await withStore('sqlite://:memory:', async (store) => {
      await store.logEvent({ action: 'login' });
      await store.logEvent({ action: 'push', resource: 'repo/a' });
      await store.logEvent({ action: 'push', resource: 'repo/b' });
      const page = await store.queryEvents({ resourcePrefix: '' });
      assert.deepEqual(page.items.map((e) => e.resource), ['repo/a', 'repo/b']);
      assert.equal(await store.countEvents({ resourcePrefix: '' }), 2);
      assert.equal(await store.countEvents({}), 3);
    });
  });
});

describe('sqlite query plans', () => {
  /** Each list query, with its filters present, must be an index search: never a full table scan, never LIKE. */
  const cases: Array<[string, queries.SqlQuery]> = [
    ['object ids by prefix', queries.listObjectIdsQuery({ prefix: 'ab', after: 'ab12', limit: 10 })],
    ['refs by prefix', queries.listRefsQuery('repo', { prefix: 'refs/heads/', limit: 10 })],
    ['config by prefix', queries.listConfigQuery({ prefix: 'a.', limit: 10 })],
    ['repositories by name prefix', queries.listRepositoriesQuery({ namePrefix: 'a_', offset: 0, limit: 10 })],
    ['repositories by owner', queries.listRepositoriesQuery({ ownerId: 'u1', offset: 0, limit: 10 })],
    ['users by username prefix', queries.listUsersQuery({ usernamePrefix: 'a%', offset: 0, limit: 10 })],
    ['events after a cursor, newest first', queries.queryEventsQuery({ order: 'desc', after: { timestamp: 5, id: 'x' }, offset: 0, limit: 10 })],
    ['events of a user since a time', queries.queryEventsQuery({ userId: 'u', since: 5, order: 'asc', offset: 0, limit: 10 })],
    ['events by resource prefix', queries.queryEventsQuery({ resourcePrefix: 'repo/', order: 'asc', offset: 0, limit: 10 })],
    ['pushes of a repository', queries.queryEventsQuery({ repositoryId: 'r', action: 'push', order: 'desc', offset: 0, limit: 20 })],
    ['count of an action', queries.countEventsQuery({ action: 'push' })],
  ];
  const db = new Database(':memory:');
  for (const m of MIGRATIONS) db.exec(m.sql);
  after(() => db.close());
  for (const [what, q] of cases) {
    it(`searches an index for ${what}`, () => {
      assert.doesNotMatch(q.sql, /\bLIKE\b/i);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
      assert.match(plan, /^SEARCH \w+ USING (COVERING )?(INDEX|PRIMARY KEY)/, plan);
    });
  }
});

/** A child process that increments a counter held in a ref by compare-and-swap, retrying on conflict. */
const INCREMENTER = `
  const { createStore } = await import(process.env.GOVC_INDEX);
  const store = await createStore(process.env.GOVC_URI);
  const repo = (await store.getRepositoryByName('counter')).id;
  for (let done = 0; done < Number(process.env.GOVC_ROUNDS); ) {
    const ref = await store.getRef(repo, 'refs/heads/counter');
    const n = Number(Buffer.from((await store.getObject(ref.target)).data).toString());
    const next = await store.putObject({ type: 'blob', data: Buffer.from(String(n + 1)) });
    try {
      await store.updateRefs(repo, [{ name: 'refs/heads/counter', old: ref.target, new: next }]);
      done++;
    } catch (err) {
      if (err.code !== 'CONFLICT') throw err;
    }
  }
  await store.close();
`;

describe('sqlite across processes', () => {
  it('loses no compare-and-swap increment when several processes share one file', async () => {
    const uri = `sqlite://${freshPath()}`;
    const rounds = 1000;
    const processes = 3;
    await withStore(uri, async (store) => {
      const repo = await store.createRepository({ name: 'counter' });
      const zero = await store.putObject({ type: 'blob', data: Buffer.from('0') });
      await store.updateRefs(repo.id, [{ name: 'refs/heads/counter', old: null, new: zero }]);
    });
    const index = new URL('../../src/datastore/index.js', import.meta.url).href;
    const runs = Array.from({ length: processes }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', INCREMENTER], {
        env: { ...process.env, GOVC_INDEX: index, GOVC_URI: uri, GOVC_ROUNDS: String(rounds) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      return new Promise<void>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`incrementer exited ${code}: ${stderr}`)))),
      );
    });
    await Promise.all(runs);
    await withStore(uri, async (store) => {
      const repo = (await store.getRepositoryByName('counter'))!;
      const ref = (await store.getRef(repo.id, 'refs/heads/counter'))!;
      assert.equal(Buffer.from((await store.getObject(ref.target))!.data).toString(), String(rounds * processes));
    });
  });
});

