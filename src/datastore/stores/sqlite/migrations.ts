/**
 * The schema as an ordered list of migrations. A database records the last
 * one applied in `PRAGMA user_version`; opening applies the rest, each in its
 * own transaction with the version bump, so a crash leaves a whole version.
 * Never edit a released migration: append a new one.
 */

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'repositories, objects, refs, users, audit_events, config',
    sql: `
      CREATE TABLE repositories (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        path        TEXT NOT NULL DEFAULT '',
        visibility  TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
        owner_id    TEXT,
        metadata    TEXT NOT NULL DEFAULT '{}',
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
      CREATE INDEX repositories_by_owner ON repositories (owner_id, name);
      CREATE INDEX repositories_by_visibility ON repositories (visibility, name);

      -- data last: stat and has read the row's first page, never the blob's overflow pages.
      CREATE TABLE objects (
        hash       TEXT PRIMARY KEY,
        type       TEXT NOT NULL CHECK (type IN ('blob', 'tree', 'commit', 'tag')),
        size       INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        data       BLOB NOT NULL
      );

      CREATE TABLE refs (
        repository_id TEXT NOT NULL,
        name          TEXT NOT NULL,
        type          TEXT NOT NULL CHECK (type IN ('direct', 'symbolic')),
        target        TEXT NOT NULL,
        PRIMARY KEY (repository_id, name)
      ) WITHOUT ROWID;

      CREATE TABLE users (
        id           TEXT PRIMARY KEY,
        username     TEXT NOT NULL UNIQUE,
        email        TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL DEFAULT '',
        is_admin     INTEGER NOT NULL DEFAULT 0,
        metadata     TEXT NOT NULL DEFAULT '{}',
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      );
      CREATE INDEX users_by_admin ON users (is_admin, username);

      CREATE TABLE audit_events (
        id            TEXT PRIMARY KEY,
        timestamp     INTEGER NOT NULL,
        user_id       TEXT,
        action        TEXT NOT NULL,
        resource      TEXT,
        repository_id TEXT,
        details       TEXT NOT NULL DEFAULT '{}'
      );
      -- Every filter column leads an index ending in the list order (timestamp, id).
      CREATE INDEX audit_events_by_timestamp ON audit_events (timestamp, id);
      CREATE INDEX audit_events_by_user ON audit_events (user_id, timestamp, id);
      CREATE INDEX audit_events_by_repository ON audit_events (repository_id, timestamp, id);
      -- "the pushes of this repository": the common audit query, without scanning the repository's other events.
      CREATE INDEX audit_events_by_repository_action ON audit_events (repository_id, action, timestamp, id);
      CREATE INDEX audit_events_by_action ON audit_events (action, timestamp, id);
      CREATE INDEX audit_events_by_resource ON audit_events (resource, timestamp, id);

      CREATE TABLE config (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'objects as encoded entries, compactly: binary ids, no rowid, an index of deltas by base',
    // Objects are most of a database and most entries are tens of bytes: ids as 20 (or 32) bytes, not
    // 40 hex characters, and the id as the table's key, not beside a rowid. Rows of version 1 are copied
    // with encoding 0: their data is the object as is, read as it is until `govc repo gc` re-encodes it.
    sql: `
      CREATE TABLE objects_v2 (
        hash     BLOB PRIMARY KEY,
        type     TEXT NOT NULL CHECK (type IN ('blob', 'tree', 'commit', 'tag')),
        size     INTEGER NOT NULL,
        encoding INTEGER NOT NULL CHECK (encoding IN (0, 1, 2)),
        base     BLOB,
        data     BLOB NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO objects_v2 (hash, type, size, encoding, base, data) SELECT unhex(hash), type, size, 0, NULL, data FROM objects;
      DROP TABLE objects;
      ALTER TABLE objects_v2 RENAME TO objects;
      CREATE INDEX objects_by_base ON objects (base) WHERE base IS NOT NULL;
    `,
  },
  {
    version: 3,
    description: 'a version on repositories and users, for compare-and-swap updates',
    sql: `
      ALTER TABLE repositories ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 4,
    description: 'objects in a rowid table, the binary id as a unique key beside it',
    // WITHOUT ROWID keeps whole rows in the b-tree, interior cells included: one large object as a
    // divider key made every lookup below it read the object's overflow pages (a 5.8 MB blob: 1,429
    // pages per lookup, 500 ids took 4 s instead of 10 ms). A rowid table keeps the id index small.
    sql: `
      CREATE TABLE objects_v4 (
        hash     BLOB NOT NULL PRIMARY KEY,
        type     TEXT NOT NULL CHECK (type IN ('blob', 'tree', 'commit', 'tag')),
        size     INTEGER NOT NULL,
        encoding INTEGER NOT NULL CHECK (encoding IN (0, 1, 2)),
        base     BLOB,
        data     BLOB NOT NULL
      );
      INSERT INTO objects_v4 (hash, type, size, encoding, base, data) SELECT hash, type, size, encoding, base, data FROM objects ORDER BY hash;
      DROP TABLE objects;
      ALTER TABLE objects_v4 RENAME TO objects;
      CREATE INDEX objects_by_base ON objects (base) WHERE base IS NOT NULL;
    `,
  },
  {
    version: 5,
    description: 'objects in fewer bytes: found by a 4-byte key index, the delta base by how many rows back it is, size, type and encoding in one integer',
    // Most entries are deltas of tens of bytes, so per-row bytes were half of the overhead over the pack:
    // the id twice (row and unique index), the base as a 20-byte id, the type as text, an index of 20-byte
    // bases. See object-rows.ts. Row numbers are kept (n = the old rowid), so bases translate one to one.
    sql: `
      CREATE TABLE objects_v5 (
        n    INTEGER PRIMARY KEY,
        hash BLOB NOT NULL,
        kind INTEGER NOT NULL,
        back INTEGER,
        data BLOB NOT NULL,
        CHECK (kind >= 0 AND (kind & 3) < 3 AND (back IS NULL OR (kind & 3) = 2) AND back <> 0)
      );
      -- Deltas whose base is not stored (yet): the base's id, until it comes.
      CREATE TABLE object_bases (
        n    INTEGER PRIMARY KEY,
        base BLOB NOT NULL
      );
      INSERT INTO objects_v5 (n, hash, kind, back, data)
        SELECT o.rowid, o.hash,
               o.size * 16 + (CASE o.type WHEN 'blob' THEN 0 WHEN 'tree' THEN 1 WHEN 'commit' THEN 2 ELSE 3 END) * 4 + o.encoding,
               o.rowid - (SELECT b.rowid FROM objects b WHERE b.hash = o.base), o.data
          FROM objects o ORDER BY o.rowid;
      INSERT INTO object_bases (n, base) SELECT o.rowid, o.base FROM objects o WHERE o.base IS NOT NULL AND NOT EXISTS (SELECT 1 FROM objects b WHERE b.hash = o.base);
      DROP TABLE objects;
      ALTER TABLE objects_v5 RENAME TO objects;
      CREATE INDEX objects_by_key ON objects (substr(hash, 1, 4));
      CREATE INDEX objects_by_base ON objects (n - back) WHERE back <> 1;
      CREATE INDEX object_bases_by_base ON object_bases (base);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
