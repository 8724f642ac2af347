/**
 * Every "already exists / is taken / changed since you read it" error a store
 * gives, written once. Drivers name the case (`recordError({kind: ...})`), so
 * every store says the same words; Redis's write script returns the same kinds.
 */
import type { PutMode } from './driver.js';
import { ConflictError, DataStoreError, NotFoundError } from './errors.js';

export type RecordName = 'repository' | 'user';

export type RecordConflict =
  | { kind: 'refs-repo-missing'; id: string }
  | { kind: 'repo-missing'; id: string }
  | { kind: 'repo-exists'; id: string }
  | { kind: 'repo-name'; name: string }
  | { kind: 'user-missing'; id: string }
  | { kind: 'user-exists'; id: string }
  | { kind: 'username'; username: string }
  | { kind: 'email'; email: string }
  | { kind: 'event-exists'; id: string }
  | { kind: 'stale-version'; record: RecordName; id: string; expected: number; actual: number };

export function recordError(c: RecordConflict): DataStoreError {
  switch (c.kind) {
    case 'refs-repo-missing':
      return new NotFoundError(`repository ${c.id} does not exist; create it before writing refs`, { id: c.id });
    case 'repo-missing':
      return new NotFoundError(`repository ${c.id} does not exist`, { id: c.id });
    case 'repo-exists':
      return new ConflictError(`repository ${c.id} already exists`, { id: c.id });
    case 'repo-name':
      return new ConflictError(`a repository named ${c.name} already exists`, { name: c.name });
    case 'user-missing':
      return new NotFoundError(`user ${c.id} does not exist`, { id: c.id });
    case 'user-exists':
      return new ConflictError(`user ${c.id} already exists`, { id: c.id });
    case 'username':
      return new ConflictError(`username ${c.username} is taken`, { username: c.username });
    case 'email':
      return new ConflictError(`email ${c.email} is taken`, { email: c.email });
    case 'event-exists':
      return new ConflictError(`audit event ${c.id} already exists; event ids are unique`, { id: c.id });
    case 'stale-version':
      return new ConflictError(
        `${c.record} ${c.id} is at version ${c.actual}, not ${c.expected}: it changed since it was read; re-read it and apply the change again`,
        { id: c.id, reason: 'stale-version', expected: c.expected, actual: c.actual },
      );
  }
}

/** Whether an error is a version check that failed (and the write can be retried on a fresh read). */
export function isStaleVersion(err: unknown): boolean {
  return err instanceof ConflictError && err.details.reason === 'stale-version';
}

/**
 * The put rules, for drivers that read the stored record inside the write:
 * create = must not exist, update = must exist, and `ifVersion` (when given)
 * must equal the stored version.
 */
export function checkPut(
  record: RecordName,
  id: string,
  stored: { version: number } | undefined,
  mode: PutMode,
  ifVersion: number | undefined,
): void {
  const r = record === 'repository' ? 'repo' : 'user';
  if (mode === 'create' && stored) throw recordError({ kind: `${r}-exists`, id });
  if (mode === 'update' && !stored) throw recordError({ kind: `${r}-missing`, id });
  if (ifVersion !== undefined) {
    const actual = stored?.version ?? 0;
    if (actual !== ifVersion) throw recordError({ kind: 'stale-version', record, id, expected: ifVersion, actual });
  }
}
