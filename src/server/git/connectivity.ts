/**
 * After a push's pack is stored: every object the new ref values reach must
 * be in the pack or already reachable from this repository's refs. Objects
 * are global in a store, so without this a push could point a ref at another
 * repository's objects (or a thin pack could delta against them) and then
 * fetch them through this repository.
 */
import type { DataStore } from '../../datastore/store.js';
import type { ExternalBases } from '../../git/pack/index.js';
import type { ObjectType } from '../../datastore/types.js';
import { entryKind } from '../../git/objects/modes.js';
import { parseCommit } from '../../git/objects/commit.js';
import { parseTag } from '../../git/objects/tag.js';
import { parseTree } from '../../git/objects/tree.js';
import { BATCH } from './object-cache.js';
import type { Walker } from './walk.js';

export interface ConnectivityResult {
  /** Objects referenced but absent from the store. */
  missing: string[];
  /** Objects that exist but are not reachable from this repository (nor in the pack). */
  foreign: string[];
}

/**
 * The delta bases a push's thin pack may use: objects reachable from the
 * repository's refs. Others, whether in another repository or nowhere, are
 * refused unread, with the same words.
 */
export function repositoryBases(store: DataStore, walker: Walker, tips: ReadonlySet<string>): ExternalBases {
  return {
    async admit(ids) {
      const unreachable = await walker.unreachable([...tips], ids);
      return new Set(ids.filter((id) => !unreachable.has(id)));
    },
    read: (id) => store.getObject(id),
  };
}

/**
 * `inPack`: ids (and types) the push sent. `newTips`: the new ref values. `oldTips`: the
 * repository's ref values (and peeled tags) before the push.
 */
export async function checkConnectivity(
  store: DataStore,
  walker: Walker,
  inPack: ReadonlyMap<string, ObjectType>,
  newTips: readonly string[],
  oldTips: ReadonlySet<string>,
): Promise<ConnectivityResult> {
  const external = new Set<string>();
  const seen = new Set<string>();
  let level: string[] = [];
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const type = inPack.get(id);
    // Blobs of the pack need no reading: they reference nothing.
    if (type === undefined) external.add(id);
    else if (type !== 'blob') level.push(id);
  };
  for (const tip of newTips) visit(tip);
  while (level.length > 0) {
    const next: string[] = [];
    const current = level;
    level = next;
    for (let i = 0; i < current.length; i += BATCH) {
      const found = await store.getObjects(current.slice(i, i + BATCH));
      for (const [, obj] of found) {
        if (obj.type === 'commit') {
          const c = parseCommit(obj.data);
          visit(c.tree);
          c.parents.forEach(visit);
        } else if (obj.type === 'tree') {
          for (const e of parseTree(obj.data, store.objectFormat)) if (entryKind(e.mode) !== 'gitlink') visit(e.id);
        } else if (obj.type === 'tag') {
          visit(parseTag(obj.data).object);
        }
      }
    }
  }
  for (const id of oldTips) external.delete(id);
  if (external.size === 0) return { missing: [], foreign: [] };
  const ids = [...external];
  const present = await store.hasObjects(ids);
  const missing = ids.filter((_, i) => !present[i]);
  const existing = ids.filter((_, i) => present[i]);
  const foreign = existing.length ? [...(await walker.unreachable([...oldTips], existing))] : [];
  return { missing, foreign };
}
