/** Compare-and-swap planning for ref updates, shared by every store. */
import { ConflictError } from './errors.js';
import type { Ref, RefUpdate } from './types.js';

export interface RefChange {
  name: string;
  /** The ref after the update, or null when it is deleted. */
  ref: Ref | null;
}

function refFromUpdate(update: RefUpdate): Ref | null {
  if (update.new === null) return null;
  return { name: update.name, type: update.symbolic ? 'symbolic' : 'direct', target: update.new };
}

/**
 * Checks every update's expected old value against `current` and returns the
 * changes to apply. Throws ConflictError naming the first stale ref; then the
 * caller must apply nothing.
 */
export function planRefUpdates(
  repositoryId: string,
  updates: readonly RefUpdate[],
  current: ReadonlyMap<string, Ref | undefined>,
): RefChange[] {
  for (const update of updates) {
    if (update.old === undefined) continue;
    const found = current.get(update.name);
    const actual = found ? found.target : null;
    if (actual !== update.old) {
      throw new ConflictError(
        `ref ${update.name} in repository ${repositoryId} is ${actual ?? 'absent'}, expected ${update.old ?? 'absent'}; re-read it and retry`,
        { repositoryId, ref: update.name, expected: update.old, actual },
      );
    }
  }
  return updates.map((update) => ({ name: update.name, ref: refFromUpdate(update) }));
}
