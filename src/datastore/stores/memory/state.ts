/** The memory store's data: plain maps with secondary indexes, and an undo log for atomic writes. */
import type { AuditEvent, ObjectEntry, Ref, Repository, User } from '../../types.js';

export interface MemoryState {
  /** Map order is recency order: a read moves an object to the end (LRU). */
  objects: Map<string, ObjectEntry>;
  /** Delta base id -> ids of the entries kept as deltas on it. Rebuilt on load, never saved. */
  dependents: Map<string, Set<string>>;
  refs: Map<string, Map<string, Ref>>;
  repositories: Map<string, Repository>;
  repositoryIdsByName: Map<string, string>;
  users: Map<string, User>;
  userIdsByUsername: Map<string, string>;
  userIdsByEmail: Map<string, string>;
  events: AuditEvent[];
  eventIds: Set<string>;
  config: Map<string, string>;
}

export function emptyState(): MemoryState {
  return {
    objects: new Map(),
    dependents: new Map(),
    refs: new Map(),
    repositories: new Map(),
    repositoryIdsByName: new Map(),
    users: new Map(),
    userIdsByUsername: new Map(),
    userIdsByEmail: new Map(),
    events: [],
    eventIds: new Set(),
    config: new Map(),
  };
}

/** Sets `key` in `map`, remembering how to put the old value back. */
export function setWithUndo<K, V>(map: Map<K, V>, key: K, value: V | undefined, undo: Array<() => void>): void {
  const had = map.has(key);
  const old = map.get(key);
  if (value === undefined) map.delete(key);
  else map.set(key, value);
  undo.push(() => {
    if (had) map.set(key, old as V);
    else map.delete(key);
  });
}
