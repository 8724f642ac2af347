/**
 * `withRepositoryLock(store, repositoryId, fn)`: run `fn` while no other
 * process holds the same repository's lock (PostgreSQL advisory lock, or a
 * row lock on CockroachDB). For maintenance and imports that must not overlap.
 *
 *   await withRepositoryLock(store, repo.id, async () => { ...gc, import... });
 *   await withRepositoryLock(store, repo.id, fn, { wait: false }); // ConflictError if held
 */
import { UnsupportedError } from '../../errors.js';
import type { DataStore } from '../../store.js';
import { PostgresDriver } from './driver.js';
import type { LockOptions } from './locks.js';

export function withRepositoryLock<T>(store: DataStore, repositoryId: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  if (!(store.driver instanceof PostgresDriver)) {
    return Promise.reject(new UnsupportedError(`${store.type} store has no repository locks; they exist on postgres and cockroach`));
  }
  return store.driver.withRepositoryLock(repositoryId, fn, options);
}
