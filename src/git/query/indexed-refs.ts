/**
 * Moving refs with the commit index in the same atomic write: what every ref
 * update of the git layer calls (push, import, branch commands and the REST
 * ref API), so `repo commits` and `repo stats` are never stale and a refused
 * compare-and-swap writes no rows either. An audit event given goes in the
 * same write.
 */
import type { DataStore } from '../../datastore/store.js';
import type { EventInput } from '../../datastore/inputs.js';
import type { RefUpdate } from '../../datastore/types.js';
import { indexAhead } from './commit-index.js';

export async function updateRefsIndexed(store: DataStore, repositoryId: string, updates: RefUpdate[], event?: EventInput): Promise<void> {
  const targets = updates.filter((u) => !u.symbolic && u.new !== null).map((u) => u.new as string);
  const { rows } = targets.length > 0 ? await indexAhead(store, repositoryId, targets, { keep: Infinity }) : { rows: [] };
  await store.updateRefs(repositoryId, updates, { commits: rows, event });
}
