/**
 * Every fixed statement, prepared once when the store opens. Queries whose
 * shape depends on the filters given are prepared on first use and kept in
 * StatementCache, so no call re-parses SQL after warm-up.
 */
import type { Database, Statement } from 'better-sqlite3';
import { ENTRY_COLUMNS, EVENT_COLUMNS, REPOSITORY_COLUMNS, USER_COLUMNS, type EntryRow } from './rows.js';

export function prepareStatements(db: Database) {
  return {
    // Ids are stored as bytes (unhex) and read back as lowercase hex.
    getEntry: db.prepare<[string], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM objects WHERE hash = unhex(?)`),
    /** Ids as one JSON array: one statement for any batch size. */
    getEntries: db.prepare<[string], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM objects WHERE hash IN (SELECT unhex(value) FROM json_each(?))`),
    listDependents: db.prepare<[string, string, number], string>(
      'SELECT lower(hex(hash)) FROM objects WHERE base = unhex(?) AND hash > unhex(?) ORDER BY hash LIMIT ?',
    ).pluck(),
    hasObject: db.prepare<[string], number>('SELECT 1 FROM objects WHERE hash = unhex(?)').pluck(),
    hasObjects: db.prepare<[string], string>('SELECT lower(hex(hash)) FROM objects WHERE hash IN (SELECT unhex(value) FROM json_each(?))').pluck(),
    statObject: db.prepare<[string], { type: string; size: number }>('SELECT type, size FROM objects WHERE hash = unhex(?)'),
    insertObject: db.prepare<[string, string, number, Buffer, number, string | null]>(
      'INSERT OR IGNORE INTO objects (hash, type, size, data, encoding, base) VALUES (unhex(?), ?, ?, ?, ?, unhex(?))',
    ),
    replaceObject: db.prepare<[string, string, number, Buffer, number, string | null]>(
      `INSERT INTO objects (hash, type, size, data, encoding, base) VALUES (unhex(?), ?, ?, ?, ?, unhex(?))
       ON CONFLICT (hash) DO UPDATE SET type = excluded.type, size = excluded.size, data = excluded.data, encoding = excluded.encoding, base = excluded.base`,
    ),
    deleteObject: db.prepare<[string]>('DELETE FROM objects WHERE hash = unhex(?)'),
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
