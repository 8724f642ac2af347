/**
 * Every fixed statement, prepared once when the store opens. Queries whose
 * shape depends on the filters given are prepared on first use and kept in
 * StatementCache, so no call re-parses SQL after warm-up.
 */
import type { Database, Statement } from 'better-sqlite3';
import { DEPENDENT_ROWS, ENTRY_COLUMNS, ID_MATCH, type EntryRow } from './object-rows.js';
import { EVENT_COLUMNS, REPOSITORY_COLUMNS, USER_COLUMNS } from './rows.js';

/** The rows of the ids in a JSON array (`o`), each found through the key index. */
const EACH_ID_ROW = 'json_each(?) j CROSS JOIN objects o ON substr(o.hash, 1, 4) = substr(unhex(j.value), 1, 4) AND o.hash = unhex(j.value)';

/** The n of the base whose id bytes are :base (NULL when there is none: :base NULL, or not stored). */
const BASE_N = '(SELECT b.n FROM objects b WHERE substr(b.hash, 1, 4) = substr(:base, 1, 4) AND b.hash = :base)';

/** An entry as the parameters of insertObject and updateObject. */
export interface ObjectParams {
  hash: Buffer;
  kind: number;
  base: Buffer | null;
  data: Buffer;
}

export function prepareStatements(db: Database) {
  return {
    // Ids are stored as bytes and read back as lowercase hex; ID_MATCH takes an id's bytes twice (idParams).
    getEntry: db.prepare<[Buffer, Buffer], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM objects o WHERE ${ID_MATCH}`),
    /** Ids as one JSON array: one statement for any batch size. */
    getEntries: db.prepare<[string], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ${EACH_ID_ROW}`),
    /** Named: base (n, or -1 when the base is not stored), id (the base's bytes), after (id bytes), limit. */
    listDependents: db.prepare<[{ base: number; id: Buffer; after: Buffer; limit: number }], string>(
      `SELECT lower(hex(hash)) FROM (${DEPENDENT_ROWS} UNION ALL SELECT o.hash, o.n FROM object_bases p JOIN objects o ON o.n = p.n WHERE p.base = :id)
        WHERE hash > :after ORDER BY hash LIMIT :limit`,
    ).pluck(),
    rowNumber: db.prepare<[Buffer, Buffer], number>(`SELECT n FROM objects WHERE ${ID_MATCH}`).pluck(),
    hasObject: db.prepare<[Buffer, Buffer], number>(`SELECT 1 FROM objects WHERE ${ID_MATCH}`).pluck(),
    hasObjects: db.prepare<[string], string>(`SELECT lower(hex(o.hash)) FROM ${EACH_ID_ROW}`).pluck(),
    statObject: db.prepare<[Buffer, Buffer], number>(`SELECT kind FROM objects WHERE ${ID_MATCH}`).pluck(),
    // A plain VALUES insert: as INSERT ... SELECT (reading objects, the table it writes) SQLite put each
    // row in a temporary table first, and a 100 MB blob was copied four times (~480 MB) inside one insert.
    // Writer computes n and back and checks that the id is new (objects are write-once).
    insertObject: db.prepare<[{ n: number; hash: Buffer; kind: number; back: number | null; data: Buffer }]>(
      'INSERT INTO objects (n, hash, kind, back, data) VALUES (:n, :hash, :kind, :back, :data)',
    ),
    lastRowNumber: db.prepare<[], number>('SELECT coalesce(max(n), 0) FROM objects').pluck(),
    updateObject: db.prepare<[ObjectParams]>(
      `UPDATE objects SET kind = :kind, back = n - ${BASE_N}, data = :data WHERE substr(hash, 1, 4) = substr(:hash, 1, 4) AND hash = :hash`,
    ),
    deleteRow: db.prepare<[number]>('DELETE FROM objects WHERE n = ?'),
    backOf: db.prepare<[number], number | null>('SELECT back FROM objects WHERE n = ?').pluck(),
    insertPendingBase: db.prepare<[number, Buffer]>('INSERT OR REPLACE INTO object_bases (n, base) VALUES (?, ?)'),
    deletePendingBase: db.prepare<[number]>('DELETE FROM object_bases WHERE n = ?'),
    pendingOn: db.prepare<[Buffer], number>('SELECT n FROM object_bases WHERE base = ?').pluck(),
    anyPendingBase: db.prepare<[], number>('SELECT 1 FROM object_bases LIMIT 1').pluck(),
    /** Named: n (the waiting delta's row), base (the base's row). */
    resolvePendingBase: db.prepare<[{ n: number; base: number }]>(
      'UPDATE objects SET back = :n - :base WHERE n = :n',
    ),
    dependentOf: db.prepare<[{ base: number }], string>(`SELECT lower(hex(hash)) FROM (${DEPENDENT_ROWS}) LIMIT 1`).pluck(),
    countObjects: db.prepare<[], number>('SELECT count(*) FROM objects').pluck(),
    storageBytes: db.prepare<[], number>('SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()').pluck(),

    getRef: db.prepare<[string, string], { name: string; type: string; target: string }>(
      'SELECT name, type, target FROM refs WHERE repository_id = ? AND name = ?',
    ),
    upsertRef: db.prepare<[string, string, string, string]>(
      'INSERT INTO refs (repository_id, name, type, target) VALUES (?, ?, ?, ?) ON CONFLICT (repository_id, name) DO UPDATE SET type = excluded.type, target = excluded.target',
    ),
    deleteRef: db.prepare<[string, string]>('DELETE FROM refs WHERE repository_id = ? AND name = ?'),
    deleteRepositoryRefs: db.prepare<[string]>('DELETE FROM refs WHERE repository_id = ?'),

    getRepository: db.prepare(`SELECT ${REPOSITORY_COLUMNS} FROM repositories WHERE id = ?`),
    getRepositoryByName: db.prepare(`SELECT ${REPOSITORY_COLUMNS} FROM repositories WHERE name = ?`),
    repositoryVersion: db.prepare<[string], number>('SELECT version FROM repositories WHERE id = ?').pluck(),
    upsertRepository: db.prepare(
      `INSERT INTO repositories (${REPOSITORY_COLUMNS}) VALUES (@id, @name, @description, @path, @visibility, @owner_id, @metadata, @created_at, @updated_at, @version)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, path = excluded.path,
         visibility = excluded.visibility, owner_id = excluded.owner_id, metadata = excluded.metadata,
         created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version`,
    ),
    deleteRepository: db.prepare<[string]>('DELETE FROM repositories WHERE id = ?'),

    getUser: db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`),
    userVersion: db.prepare<[string], number>('SELECT version FROM users WHERE id = ?').pluck(),
    getUserByUsername: db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`),
    getUserByEmail: db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`),
    upsertUser: db.prepare(
      `INSERT INTO users (${USER_COLUMNS}) VALUES (@id, @username, @email, @display_name, @is_admin, @metadata, @created_at, @updated_at, @version)
       ON CONFLICT (id) DO UPDATE SET username = excluded.username, email = excluded.email, display_name = excluded.display_name,
         is_admin = excluded.is_admin, metadata = excluded.metadata, created_at = excluded.created_at, updated_at = excluded.updated_at,
         version = excluded.version`,
    ),
    deleteUser: db.prepare<[string]>('DELETE FROM users WHERE id = ?'),

    insertEvent: db.prepare(
      `INSERT INTO audit_events (${EVENT_COLUMNS}) VALUES (@id, @timestamp, @user_id, @action, @resource, @repository_id, @details)`,
    ),

    getConfig: db.prepare<[string], string>('SELECT value FROM config WHERE key = ?').pluck(),
    upsertConfig: db.prepare<[string, string]>('INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    deleteConfig: db.prepare<[string]>('DELETE FROM config WHERE key = ?'),
    deleteConfigBetween: db.prepare<[string, string]>('DELETE FROM config WHERE key >= ? AND key < ?'),
    deleteConfigFrom: db.prepare<[string]>('DELETE FROM config WHERE key >= ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

/** Statements keyed by their SQL text (and whether they pluck the first column), prepared on first use. */
export class StatementCache {
  private readonly rows = new Map<string, Statement>();
  private readonly plucked = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  get(sql: string, mode: 'rows' | 'pluck' = 'rows'): Statement {
    const cache = mode === 'pluck' ? this.plucked : this.rows;
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (mode === 'pluck') stmt.pluck();
      cache.set(sql, stmt);
    }
    return stmt;
  }
}
