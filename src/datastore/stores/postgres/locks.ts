/**
 * Per-repository coordination across processes (maintenance, imports): only
 * one holder of a repository's lock runs at a time, in any process using the
 * same database and schema.
 *
 * PostgreSQL: a session advisory lock, pg_advisory_lock(LOCK_NAMESPACE,
 * hashtext('<schema>:<repository id>')), held on a dedicated pooled connection
 * while `fn` runs; if the process dies the connection closes and the lock goes
 * with it. Two repository ids may share a hash: they then serialize, never
 * run unsafely.
 * Databases without advisory locks (CockroachDB): a row of repository_locks,
 * locked FOR UPDATE by a transaction held open while `fn` runs.
 */
import type { Pool } from 'pg';
import { ConflictError } from '../../errors.js';
import type { Dialect } from './dialect.js';
import { LOCK_NAMESPACE } from './migrate.js';

export interface LockOptions {
  /** false: fail at once with ConflictError when another holder has the lock. Default true: wait. */
  wait?: boolean;
}

export async function runWithRepositoryLock<T>(
  pool: Pool,
  dialect: Dialect,
  schema: string,
  repositoryId: string,
  fn: () => Promise<T>,
  options: LockOptions,
  mapError: (err: unknown) => unknown,
): Promise<T> {
  const key = `${schema}:${repositoryId}`;
  const wait = options.wait ?? true;
  const busy = () => new ConflictError(`repository ${repositoryId} is locked by another process; try again later`, { repositoryId });
  let client;
  try {
    client = await pool.connect();
  } catch (err) {
    throw mapError(err);
  }
  let broken = false;
  try {
    if (dialect.advisoryLocks) {
      try {
        if (wait) await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_NAMESPACE, key]);
        else {
          const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_NAMESPACE, key]);
          if (!rows[0].ok) throw busy();
        }
      } catch (err) {
        throw mapError(err);
      }
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, key]).catch(() => (broken = true));
      }
    }
    try {
      await client.query('INSERT INTO repository_locks (key) VALUES ($1) ON CONFLICT (key) DO NOTHING', [key]);
      await client.query('BEGIN');
      await client.query(`SELECT key FROM repository_locks WHERE key = $1 FOR UPDATE${wait ? '' : ' NOWAIT'}`, [key]);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      if ((err as { code?: string }).code === '55P03') throw busy();
      throw mapError(err);
    }
    try {
      return await fn();
    } finally {
      await client.query('COMMIT').catch(() => (broken = true));
    }
  } finally {
    client.release(broken);
  }
}
