/**
 * The SQLite store over better-sqlite3. better-sqlite3 is synchronous, so each
 * call runs to completion without yielding. Every write() is atomic: one
 * IMMEDIATE transaction, or a lone op that is a single statement. There is no
 * begin(): one connection cannot hold an interactive transaction across awaits
 * while other callers use it, so DataStore gives this store a
 * BufferedTransaction over write().
 */
import Database from 'better-sqlite3';
import type {
  DriverStats,
  EventCountQuery,
  EventQuery,
  KeyRange,
  RepositoryQuery,
  StoreDriver,
  UserQuery,
  WriteOp,
} from '../../driver.js';
import { ClosedError, ConnectionError, DataStoreError } from '../../errors.js';
import { ensureParentDirectory } from '../../fs-paths.js';
import type { AuditEvent, Capabilities, ObjectEntry, ObjectStat, Ref, Repository, User } from '../../types.js';
import { MEMORY_PATH, SYNCHRONOUS_MODES, type SqliteSettings } from './options.js';
import {
  countEventsQuery,
  listConfigQuery,
  listObjectIdsQuery,
  listRefsQuery,
  listRepositoriesQuery,
  listUsersQuery,
  queryEventsQuery,
  type SqlQuery,
} from './queries.js';
import { decodeKind, entryFromRow, idParams } from './object-rows.js';
import {
  eventFromRow,
  refFromRow,
  repositoryFromRow,
  userFromRow,
  type EventRow,
  type RefRow,
  type RepositoryRow,
  type UserRow,
} from './rows.js';
import { migrate } from './schema.js';
import { translateSqliteError } from './sqlite-errors.js';
import { prepareStatements, StatementCache, type Statements } from './statements.js';
import { Writer } from './writer.js';

/** SQLite's default SQLITE_MAX_LENGTH (1e9 bytes) bounds a row; leave room for the other columns. */
const MAX_OBJECT_SIZE = 1_000_000_000 - 64 * 1024;

/** Pages of 8 KiB: the objects table's leaves waste less at their ends than with 4 KiB (bench/pack-storage: 1.321 -> 1.313x the pack). */
const PAGE_SIZE = 8192;

/** Ops that Writer applies with exactly one statement (an object's put also looks at the deltas waiting for it). */
const SINGLE_STATEMENT_OPS: ReadonlySet<WriteOp['op']> = new Set(['deleteUser', 'appendEvent', 'setConfig']);

interface OpenState {
  db: Database.Database;
  statements: Statements;
  cache: StatementCache;
  write: (ops: WriteOp[]) => void;
  schemaVersion: number;
}

export class SqliteDriver implements StoreDriver {
  readonly type = 'sqlite';
  readonly capabilities: Capabilities;
  private state: OpenState | undefined;

  constructor(readonly settings: SqliteSettings) {
    const onDisk = settings.path !== MEMORY_PATH;
    this.capabilities = {
      transactions: true,
      isolationLevels: ['read-committed'],
      persistent: onDisk,
      // A commit returns only after its pages are in the WAL (or the database file) through write(2),
      // so they are in the OS page cache: a SIGKILL of this process loses no acknowledged write, even
      // with synchronous=NORMAL. Only an OS crash or power loss can drop the last commits (use
      // synchronous=FULL against that). A MEMORY journal lives in this process and dies with it.
      durable: onDisk && settings.journalMode !== 'MEMORY',
      // WAL and busy_timeout let other processes read and write the same file.
      multiProcess: onDisk,
      maxObjectSize: MAX_OBJECT_SIZE,
      changeEvents: false,
      ttl: false,
      // Each commit rewrites the index pages its random ids touched: for 150,000 objects, writes of
      // 1,000 entries took 32 s, of 50,000 12 s.
      bulkWriteEntries: 50_000,
    };
  }

  private get live(): OpenState {
    if (!this.state) throw new ClosedError('sqlite store is not open');
    return this.state;
  }

  /** Runs a synchronous database call, turning SQLite failures into typed errors. */
  private run<T>(fn: (s: OpenState) => T): Promise<T> {
    try {
      return Promise.resolve(fn(this.live));
    } catch (err) {
      return Promise.reject(translateSqliteError(err, this.settings.path));
    }
  }

  private all<T>(q: SqlQuery): T[] {
    return this.live.cache.get(q.sql).all(...q.params) as T[];
  }

  async open(): Promise<void> {
    if (this.state) return;
    const { path, journalMode, synchronous, cacheSize, busyTimeoutMs } = this.settings;
    let db: Database.Database | undefined;
    try {
      if (path !== MEMORY_PATH) ensureParentDirectory(path);
      db = new Database(path, { timeout: busyTimeoutMs });
      // A new file only (an existing one keeps its page size): fewer, fuller pages for the objects' rows.
      db.pragma(`page_size = ${PAGE_SIZE}`);
      db.pragma(`journal_mode = ${journalMode}`);
      db.pragma(`synchronous = ${synchronous}`);
      db.pragma(`cache_size = ${cacheSize}`);
      db.pragma('temp_store = MEMORY');
      const { to } = migrate(db, path);
      const statements = prepareStatements(db);
      const writer = new Writer(statements);
      const applyAll = (ops: WriteOp[]) => {
        const now = Date.now();
        writer.begin();
        for (const op of ops) writer.apply(op, now);
        writer.finish();
      };
      const tx = db.transaction(applyAll);
      this.state = {
        db,
        statements,
        cache: new StatementCache(db),
        write: (ops) => {
          // One single-statement op is atomic on its own: skip BEGIN/COMMIT (the bench's put path).
          if (ops.length === 1 && SINGLE_STATEMENT_OPS.has(ops[0].op)) applyAll(ops);
          // IMMEDIATE takes the write lock up front: no deadlock upgrading a read lock under concurrency.
          else tx.immediate(ops);
        },
        schemaVersion: to,
      };
    } catch (err) {
      db?.close();
      if (err instanceof DataStoreError && err.code !== 'INVALID_DATA') throw err;
      throw new ConnectionError(
        `cannot open SQLite database ${path}: ${(err as Error).message}; check that the path is a writable file in a writable directory (or :memory:) and is a govc SQLite database`,
        { path },
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    const state = this.state;
    this.state = undefined;
    if (!state) return;
    // Refreshes the planner's statistics where they went stale; cheap, and bounded by analysis_limit.
    try {
      state.db.pragma('analysis_limit = 400');
      state.db.pragma('optimize');
    } catch {
      // An optimisation only (a read-only or busy file may refuse it); closing matters.
    }
    state.db.close();
  }

  /** A real round trip, reporting the settings SQLite actually applied (WAL can fall back, e.g. on :memory:). */
  async ping(): Promise<Record<string, unknown>> {
    return this.run((s) => ({
      sqliteVersion: s.db.prepare('SELECT sqlite_version()').pluck().get(),
      journalMode: s.db.pragma('journal_mode', { simple: true }),
      synchronous: SYNCHRONOUS_MODES[s.db.pragma('synchronous', { simple: true }) as number] ?? 'unknown',
      cacheSize: s.db.pragma('cache_size', { simple: true }),
      busyTimeoutMs: s.db.pragma('busy_timeout', { simple: true }),
      schemaVersion: s.schemaVersion,
      path: this.settings.path,
    }));
  }

  async stats(): Promise<DriverStats> {
    return this.run((s) => ({
      objectCount: s.statements.countObjects.get() as number,
      storageBytes: s.statements.storageBytes.get() as number,
    }));
  }

  async write(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    return this.run((s) => s.write(ops));
  }

  // ---- objects ----

  async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    return this.run((s) => {
      const out = new Map<string, ObjectEntry>();
      if (ids.length === 1) {
        const row = s.statements.getEntry.get(...idParams(ids[0]));
        if (row) out.set(row.hash, entryFromRow(row));
        return out;
      }
      for (const row of s.statements.getEntries.iterate(JSON.stringify(ids))) out.set(row.hash, entryFromRow(row));
      return out;
    });
  }

  async listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    return this.run((s) => {
      const [id] = idParams(baseId);
      // -1: no row is a base of n -1; the deltas waiting for a base not stored are found by its id.
      const base = s.statements.rowNumber.get(id, id) ?? -1;
      return s.statements.listDependents.all({ base, id, after: Buffer.from(range.after ?? '', 'hex'), limit: range.limit });
    });
  }

  async hasObjects(ids: string[]): Promise<boolean[]> {
    return this.run((s) => {
      if (ids.length === 1) return [s.statements.hasObject.get(...idParams(ids[0])) !== undefined];
      const found = new Set(s.statements.hasObjects.all(JSON.stringify(ids)));
      return ids.map((id) => found.has(id));
    });
  }

  async statObject(id: string): Promise<ObjectStat | undefined> {
    return this.run((s) => {
      const kind = s.statements.statObject.get(...idParams(id));
      if (kind === undefined) return undefined;
      const { type, size } = decodeKind(kind, id);
      return { id, type, size };
    });
  }

  async listObjectIds(range: KeyRange): Promise<string[]> {
    return this.run((s) => {
      const q = listObjectIdsQuery(range);
      return s.cache.get(q.sql, 'pluck').all(...q.params) as string[];
    });
  }

  // ---- refs ----

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    return this.run((s) => {
      const row = s.statements.getRef.get(repositoryId, name);
      return row && refFromRow(row);
    });
  }

  async listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    return this.run(() => this.all<RefRow>(listRefsQuery(repositoryId, range)).map(refFromRow));
  }

  // ---- repositories ----

  async getRepository(id: string): Promise<Repository | undefined> {
    return this.run((s) => {
      const row = s.statements.getRepository.get(id) as RepositoryRow | undefined;
      return row && repositoryFromRow(row);
    });
  }

  async getRepositoryByName(name: string): Promise<Repository | undefined> {
    return this.run((s) => {
      const row = s.statements.getRepositoryByName.get(name) as RepositoryRow | undefined;
      return row && repositoryFromRow(row);
    });
  }

  async listRepositories(query: RepositoryQuery): Promise<Repository[]> {
    return this.run(() => this.all<RepositoryRow>(listRepositoriesQuery(query)).map(repositoryFromRow));
  }

  // ---- users ----

  private user(stmt: keyof Pick<Statements, 'getUser' | 'getUserByUsername' | 'getUserByEmail'>, key: string): Promise<User | undefined> {
    return this.run((s) => {
      const row = s.statements[stmt].get(key) as UserRow | undefined;
      return row && userFromRow(row);
    });
  }

  async getUser(id: string): Promise<User | undefined> {
    return this.user('getUser', id);
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    return this.user('getUserByUsername', username);
  }

  async getUserByEmail(email: string): Promise<User | undefined> {
    return this.user('getUserByEmail', email);
  }

  async listUsers(query: UserQuery): Promise<User[]> {
    return this.run(() => this.all<UserRow>(listUsersQuery(query)).map(userFromRow));
  }

  // ---- audit events ----

  async queryEvents(query: EventQuery): Promise<AuditEvent[]> {
    return this.run(() => this.all<EventRow>(queryEventsQuery(query)).map(eventFromRow));
  }

  async countEvents(query: EventCountQuery): Promise<number> {
    return this.run((s) => {
      const q = countEventsQuery(query);
      return s.cache.get(q.sql, 'pluck').get(...q.params) as number;
    });
  }

  // ---- config ----

  async getConfig(key: string): Promise<string | undefined> {
    return this.run((s) => s.statements.getConfig.get(key));
  }

  async listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    return this.run(() => this.all<{ key: string; value: string }>(listConfigQuery(range)).map((r): [string, string] => [r.key, r.value]));
  }
}
