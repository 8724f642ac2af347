/**
 * Every object reachable from some tips: tags, commits, their trees and
 * blobs. Gitlinks (submodule commits) are not followed: they live in another
 * repository. Like `git rev-list --objects`, on the protocol's walk (commits
 * and trees read a level at a time, in batches), so export and gc count
 * objects as fast as a clone does.
 */
import { NotFoundError } from '../../datastore/errors.js';
import { IdSet, type SeenIds } from '../../datastore/id-set.js';
import type { ObjectType } from '../../datastore/types.js';
import type { CommitInfo } from '../protocol/object-cache.js';
import { Walker } from '../protocol/walk.js';
import type { WalkSource } from '../store/object-reader.js';

export interface ReachableObject {
  id: string;
  type: ObjectType;
  /** For trees and blobs, the entry name they were first reached by ('' for root trees), latin1: a delta hint. */
  name?: string;
}

/** Calls `each` for every object reachable from `tips` and not in `seen` (which it fills): tags, commits, then trees and blobs. */
export async function forEachReachable(store: WalkSource, tips: Iterable<string>, each: (obj: ReachableObject) => void, seen: SeenIds = new IdSet()): Promise<void> {
  const walker = new Walker(store);
  const starts = new Map<string, CommitInfo>();
  const roots: string[] = [];
  for (const tip of tips) {
    if (seen.has(tip)) continue;
    const peeled = await walker.peel(tip);
    if (!peeled) throw new NotFoundError(`object ${tip}, or an object its tag names, is not in the store`, { id: tip });
    for (const tag of peeled.tags) {
      if (seen.has(tag)) continue;
      seen.add(tag);
      each({ id: tag, type: 'tag' });
    }
    const { id, type } = peeled;
    if (seen.has(id)) continue;
    if (type === 'commit') starts.set(id, (await walker.commits.get(id))!);
    else if (type === 'tree') roots.push(id);
    else {
      seen.add(id);
      each({ id, type: 'blob' });
    }
  }
  for (const tree of await eachCommit(walker, [...starts.values()], seen, each)) roots.push(tree);
  await walker.walkTrees(roots, seen, (id, type, name) => each({ id, type, name }));
}

/** Calls `each` for the commits reachable from `starts` and not in `seen`; returns their trees. The commits read are let go: only their tree ids stay for the tree walk. */
async function eachCommit(walker: Walker, starts: CommitInfo[], seen: SeenIds, each: (obj: ReachableObject) => void): Promise<string[]> {
  for (const c of starts) seen.add(c.id);
  // Parents already seen (another repository's history, in gc) are not walked again.
  const commits = starts.length ? await walker.allCommits(starts, undefined, (c) => c.parents.filter((p) => !seen.has(p))) : [];
  const trees: string[] = [];
  for (const c of commits) {
    seen.add(c.id);
    each({ id: c.id, type: 'commit' });
    trees.push(c.tree);
  }
  walker.commits.clear();
  return trees;
}
