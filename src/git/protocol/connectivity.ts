/**
 * The checks of a push that need its objects, run on the quarantined pack
 * before anything is stored: every object the new ref values reach must be
 * in the pack or already reachable from this repository's refs, with the type
 * its link says (a commit's tree a tree, a tree's file a blob...). Objects
 * are global in a store, so without the first rule a push could point a ref
 * at another repository's objects and then fetch them through this one.
 */
import type { DataStore } from '../../datastore/store.js';
import type { ObjectType } from '../../datastore/types.js';
import { checkLinkType, expectedLinks, type FsckProblem, type ObjectLink } from '../objects/fsck.js';
import type { ExternalBases } from '../pack/index.js';
import type { QuarantinedObjects } from '../transfer/quarantine.js';
import { BATCH } from './object-cache.js';
import type { Walker } from './walk.js';

export interface ConnectivityResult {
  /** Objects referenced but absent from the store. */
  missing: string[];
  /** Objects that exist but are not reachable from this repository (nor in the pack). */
  foreign: string[];
  /** Links to an object of the wrong type. */
  badLinks: FsckProblem[];
  /** The pusher's shallow commits that the pack holds: storing them would make this repository shallow. */
  shallow: string[];
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
 * `objects`: the pack over the store; `walker` walks the same. `newTips`: the
 * new ref values. `oldTips`: the repository's ref values (and peeled tags)
 * before the push. `clientShallow`: the pusher's shallow commits, whose
 * parents it does not have, so the walk does not follow them.
 */
export async function checkConnectivity(
  objects: QuarantinedObjects,
  walker: Walker,
  newTips: readonly string[],
  oldTips: ReadonlySet<string>,
  clientShallow: ReadonlySet<string> = new Set(),
): Promise<ConnectivityResult> {
  const badLinks: FsckProblem[] = [];
  const shallow: string[] = [];
  /** Objects outside the pack, with the link that reached each first. */
  const external = new Map<string, { from: string; link: ObjectLink }>();
  const seen = new Set<string>();
  let level: string[] = [];
  const visit = (id: string, via?: { from: string; link: ObjectLink }) => {
    if (seen.has(id)) return;
    seen.add(id);
    const entry = objects.entry(id);
    if (!entry) {
      if (via) external.set(id, via);
      else if (!oldTips.has(id)) external.set(id, { from: id, link: { id, type: 'commit' } });
      return;
    }
    const bad = via && checkLinkType(via.from, via.link, entry.type);
    if (bad) badLinks.push(bad);
    // Blobs of the pack need no reading: they link to nothing.
    else if (entry.type !== 'blob') level.push(id);
  };
  for (const tip of newTips) visit(tip);
  while (level.length > 0) {
    const current = level;
    level = [];
    for (let i = 0; i < current.length; i += BATCH) {
      const found = await objects.getObjects(current.slice(i, i + BATCH));
      for (const [id, obj] of found) {
        const cut = obj.type === 'commit' && clientShallow.has(id);
        if (cut) shallow.push(id);
        for (const link of expectedLinks(obj.type, obj.data, objects.objectFormat)) if (!(cut && link.type === 'commit')) visit(link.id, { from: id, link });
      }
    }
  }
  if (external.size === 0) return { missing: [], foreign: [], badLinks, shallow };
  const ids = [...external.keys()];
  const present = await objects.hasObjects(ids);
  const missing = ids.filter((_, i) => !present[i]);
  const existing = ids.filter((_, i) => present[i]);
  const foreign = existing.length ? [...(await walker.unreachable([...oldTips], existing))] : [];
  // The type of each link into the repository's own objects (tips are reached without a link).
  const foreignSet = new Set(foreign);
  const reachable = existing.filter((id) => !foreignSet.has(id));
  for (let i = 0; i < reachable.length; i += BATCH) {
    const stats = await Promise.all(reachable.slice(i, i + BATCH).map((id) => objects.statObject(id)));
    for (const stat of stats) {
      const via = stat && external.get(stat.id)!;
      const bad = via && via.from !== stat.id && checkLinkType(via.from, via.link, stat.type as ObjectType);
      if (bad) badLinks.push(bad);
    }
  }
  return { missing, foreign, badLinks, shallow };
}
