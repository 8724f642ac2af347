/**
 * Brings a schema up to SCHEMA_VERSION. On PostgreSQL every pending migration
 * runs in one transaction under a transaction-scoped advisory lock, so two
 * processes opening the same store at once never race: the second waits, then
 * finds nothing left to do. Databases without advisory locks run idempotent
 * statements one by one (every DDL says IF NOT EXISTS).
 */
import type { ClientBase } from 'pg';
import { ConfigError } from '../../errors.js';
import type { Dialect } from './dialect.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

/** First key of every advisory lock this store takes (the second names the schema or repository). */
export const LOCK_NAMESPACE = 0x676f7663; // "govc"

/** Exported for tests that build a schema as an older govc left it. */
export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

async function appliedVersions(client: ClientBase): Promise<Set<number>> {
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  const versions = new Set(rows.map((r) => Number(r.version)));
  const newest = Math.max(0, ...versions);
  if (newest > SCHEMA_VERSION) {
    throw new ConfigError(`the database schema is at version ${newest}, newer than this govc understands (${SCHEMA_VERSION}); upgrade govc`);
  }
  return versions;
}

/** Creates the schema and bookkeeping table, then runs every migration not yet recorded; returns the versions it ran. */
async function applyPending(client: ClientBase, dialect: Dialect, schema: string): Promise<number[]> {
  const applied: number[] = [];
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.query(MIGRATIONS_TABLE);
  const done = await appliedVersions(client);
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements(dialect)) await client.query(sql);
    // ON CONFLICT: without a lock, a racing process may have recorded the same version.
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING', [m.version, m.name]);
    applied.push(m.version);
  }
  return applied;
}

/** Returns the versions it applied (empty when the schema was current). */
export async function migrate(client: ClientBase, dialect: Dialect, schema: string): Promise<number[]> {
  if (dialect.advisoryLocks) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, `migrate:${schema}`]);
      const applied = await applyPending(client, dialect, schema);
      await client.query('COMMIT');
      return applied;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
  // No lock: a process racing this one may create the same thing between IF NOT EXISTS and CREATE;
  // every statement is idempotent, so running the whole list again converges.
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyPending(client, dialect, schema);
    } catch (err) {
      if (attempt >= 5 || err instanceof ConfigError) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt * Math.random()));
    }
  }
}
