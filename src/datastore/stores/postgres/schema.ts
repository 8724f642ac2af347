/**
 * The versioned schema. A migration is applied once, in order, and recorded in
 * schema_migrations; never edit a released migration, add the next one.
 */
import { changeLogStatements, commitLogStatements } from './change-log-schema.js';
import type { Dialect } from './dialect.js';

export interface Migration {
  version: number;
  name: string;
  statements(d: Dialect): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'objects, commits, repositories, refs, users, audit events, config',
    statements(d) {
      const c = d.textCollation;
      const { tableSuffix, partitions } = d.objectsPartitioning();
      return [
        `CREATE TABLE IF NOT EXISTS objects (
          id TEXT${c} NOT NULL PRIMARY KEY,
          type TEXT NOT NULL CHECK (type IN ('blob', 'tree', 'commit', 'tag')),
          size BIGINT NOT NULL,
          data BYTEA NOT NULL,
          created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )${tableSuffix}`,
        ...partitions,
        // Commit graph for traversal queries; filled by the git layer, keyed by commit id.
        `CREATE TABLE IF NOT EXISTS commits (
          id TEXT${c} NOT NULL PRIMARY KEY,
          tree TEXT NOT NULL,
          parents TEXT[] NOT NULL DEFAULT '{}',
          author JSONB NOT NULL DEFAULT '{}',
          committer JSONB NOT NULL DEFAULT '{}',
          message TEXT NOT NULL DEFAULT '',
          committed_at TIMESTAMPTZ,
          metadata JSONB NOT NULL DEFAULT '{}'
        )`,
        `CREATE INDEX IF NOT EXISTS commits_parents ON commits USING GIN (parents)`,
        `CREATE INDEX IF NOT EXISTS commits_committed_at ON commits (committed_at)`,
        `CREATE TABLE IF NOT EXISTS repositories (
          id TEXT${c} NOT NULL PRIMARY KEY,
          name TEXT${c} NOT NULL,
          description TEXT NOT NULL DEFAULT '',
          path TEXT NOT NULL DEFAULT '',
          visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
          owner_id TEXT${c},
          metadata JSONB NOT NULL DEFAULT '{}',
          created_at TIMESTAMPTZ NOT NULL,
          updated_at TIMESTAMPTZ NOT NULL,
          CONSTRAINT repositories_name_key UNIQUE (name)
        )`,
        `CREATE INDEX IF NOT EXISTS repositories_owner ON repositories (owner_id, name)`,
        `CREATE INDEX IF NOT EXISTS repositories_visibility ON repositories (visibility, name)`,
        `CREATE INDEX IF NOT EXISTS repositories_metadata ON repositories USING GIN (metadata)`,
        `CREATE TABLE IF NOT EXISTS refs (
          repository_id TEXT${c} NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
          name TEXT${c} NOT NULL,
          type TEXT NOT NULL CHECK (type IN ('direct', 'symbolic')),
          target TEXT NOT NULL,
          updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
          PRIMARY KEY (repository_id, name)
        )`,
        `CREATE TABLE IF NOT EXISTS users (
          id TEXT${c} NOT NULL PRIMARY KEY,
          username TEXT${c} NOT NULL,
          email TEXT${c} NOT NULL,
          display_name TEXT NOT NULL DEFAULT '',
          is_admin BOOLEAN NOT NULL DEFAULT false,
          metadata JSONB NOT NULL DEFAULT '{}',
          created_at TIMESTAMPTZ NOT NULL,
          updated_at TIMESTAMPTZ NOT NULL,
          CONSTRAINT users_username_key UNIQUE (username),
          CONSTRAINT users_email_key UNIQUE (email)
        )`,
        `CREATE INDEX IF NOT EXISTS users_admin ON users (is_admin, username)`,
        `CREATE INDEX IF NOT EXISTS users_metadata ON users USING GIN (metadata)`,
        `CREATE TABLE IF NOT EXISTS audit_events (
          id TEXT${c} NOT NULL PRIMARY KEY,
          occurred_at TIMESTAMPTZ NOT NULL,
          user_id TEXT${c},
          action TEXT${c} NOT NULL,
          resource TEXT${c},
          repository_id TEXT${c},
          details JSONB NOT NULL DEFAULT '{}'
        )`,
        // One index per filter, each ending in the list order (occurred_at, id).
        `CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (occurred_at, id)`,
        `CREATE INDEX IF NOT EXISTS audit_events_user ON audit_events (user_id, occurred_at, id)`,
        `CREATE INDEX IF NOT EXISTS audit_events_action ON audit_events (action, occurred_at, id)`,
        `CREATE INDEX IF NOT EXISTS audit_events_resource ON audit_events (resource, occurred_at, id)`,
        `CREATE INDEX IF NOT EXISTS audit_events_repository ON audit_events (repository_id, action, occurred_at, id)`,
        `CREATE INDEX IF NOT EXISTS audit_events_details ON audit_events USING GIN (details)`,
        `CREATE TABLE IF NOT EXISTS config (
          key TEXT${c} NOT NULL PRIMARY KEY,
          value TEXT NOT NULL
        )`,
        // Change notices too large for a NOTIFY payload (8000 bytes); the payload carries the row id instead.
        `CREATE TABLE IF NOT EXISTS change_notices (
          id BIGSERIAL PRIMARY KEY,
          payload TEXT NOT NULL,
          created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )`,
        // Row locks for stores without advisory locks (see locks.ts).
        `CREATE TABLE IF NOT EXISTS repository_locks (
          key TEXT${c} NOT NULL PRIMARY KEY
        )`,
      ];
    },
  },
  {
    version: 2,
    name: 'repository statistics materialized view',
    statements: () => [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS repository_statistics AS
        SELECT r.id AS repository_id,
          r.name,
          (SELECT count(*) FROM refs f WHERE f.repository_id = r.id) AS ref_count,
          (SELECT max(f.updated_at) FROM refs f WHERE f.repository_id = r.id) AS last_ref_update,
          (SELECT count(*) FROM audit_events e WHERE e.repository_id = r.id) AS event_count,
          (SELECT max(e.occurred_at) FROM audit_events e WHERE e.repository_id = r.id) AS last_event_at,
          r.updated_at,
          now() AS refreshed_at
        FROM repositories r`,
      // A unique index lets REFRESH ... CONCURRENTLY keep the view readable.
      `CREATE UNIQUE INDEX IF NOT EXISTS repository_statistics_id ON repository_statistics (repository_id)`,
    ],
  },
  {
    version: 3,
    name: 'object entries: encoding and delta base',
    statements(d) {
      // A constant default adds the column without rewriting the table: rows
      // written before entries were encoded read as encoding 0 (raw data).
      // No CHECK on encoding, which would scan every existing row under the migration lock.
      return [
        `ALTER TABLE objects ADD COLUMN IF NOT EXISTS encoding SMALLINT NOT NULL DEFAULT 0`,
        `ALTER TABLE objects ADD COLUMN IF NOT EXISTS base TEXT${d.textCollation}`,
        // Deltas on a base, in id order (listDependents); whole entries stay out of it.
        `CREATE INDEX IF NOT EXISTS objects_base ON objects (base, id) WHERE base IS NOT NULL`,
      ];
    },
  },
  {
    version: 4,
    name: 'a version on repositories and users, for compare-and-swap updates',
    statements() {
      return [
        `ALTER TABLE repositories ADD COLUMN IF NOT EXISTS version INTEGER NOT NULL DEFAULT 1`,
        `ALTER TABLE users ADD COLUMN IF NOT EXISTS version INTEGER NOT NULL DEFAULT 1`,
      ];
    },
  },
  {
    version: 5,
    name: 'the commit index: commits filled, repository_commits',
    statements(d) {
      const c = d.textCollation;
      return [
        // Latin1 byte strings of the changed paths (files and their directories), for path queries.
        `ALTER TABLE commits ADD COLUMN IF NOT EXISTS paths TEXT[] NOT NULL DEFAULT '{}'`,
        `CREATE INDEX IF NOT EXISTS commits_paths ON commits USING GIN (paths)`,
        // Per repository ordering lives in repository_commits; a global time index would never be used.
        `DROP INDEX IF EXISTS commits_committed_at`,
        `CREATE TABLE IF NOT EXISTS repository_commits (
          repository_id TEXT${c} NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
          commit_id TEXT${c} NOT NULL,
          committed_at BIGINT NOT NULL,
          PRIMARY KEY (repository_id, commit_id)
        )`,
        `CREATE INDEX IF NOT EXISTS repository_commits_time ON repository_commits (repository_id, committed_at DESC, commit_id)`,
      ];
    },
  },
  {
    version: 6,
    name: 'change log for incremental migration (trigger-filled, only while a follower is registered)',
    statements: (d) => (d.notifications ? changeLogStatements() : []),
  },
  {
    version: 7,
    name: 'the change log also names commit-index rows',
    statements: (d) => (d.notifications ? commitLogStatements() : []),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
