/**
 * Every object reachable from some tips: commits, their trees and blobs, and
 * tags. Gitlinks (submodule commits) are not followed: they live in another
 * repository. Like `git rev-list --objects`.
 */
import type { ObjectType } from '../../datastore/types.js';
import { entryKind } from '../objects/modes.js';
import type { ObjectReader } from '../store/object-reader.js';
import { peelTags } from '../store/peel.js';
import { NotFoundError } from '../../datastore/errors.js';

export interface ReachableObject {
  id: string;
  type: ObjectType;
  /** For trees and blobs, the entry name they were first reached by ('' for root trees): a delta hint. */
  name?: Buffer;
}

const ROOT = Buffer.alloc(0);

export async function* reachableObjects(reader: ObjectReader, tips: Iterable<string>, seen = new Set<string>()): AsyncGenerator<ReachableObject> {
  const commits: string[] = [];
  const trees: Array<{ id: string; name: Buffer }> = [];
  for (const tip of tips) {
    if (seen.has(tip)) continue;
    // Peel tags, yielding each tag object on the way.
    const peeled = await peelTags(reader.source, tip);
    if (!peeled) throw new NotFoundError(`object ${tip}, or an object its tag names, is not in the store`, { id: tip });
    for (const tag of peeled.tags) {
      if (seen.has(tag)) continue;
      seen.add(tag);
      yield { id: tag, type: 'tag' };
    }
    const { id, type } = peeled;
    if (seen.has(id)) continue;
    if (type === 'commit') commits.push(id);
    else if (type === 'tree') trees.push({ id, name: ROOT });
    else {
      seen.add(id);
      yield { id, type: 'blob' };
    }
  }
  while (commits.length > 0) {
    const id = commits.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    yield { id, type: 'commit' };
    const commit = await reader.commit(id);
    trees.push({ id: commit.tree, name: ROOT });
    for (const p of commit.parents) if (!seen.has(p)) commits.push(p);
  }
  while (trees.length > 0) {
    const { id, name } = trees.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    yield { id, type: 'tree', name };
    for (const e of await reader.tree(id)) {
      const kind = entryKind(e.mode);
      if (kind === 'gitlink' || seen.has(e.id)) continue;
      if (kind === 'tree') trees.push({ id: e.id, name: e.name });
      else {
        seen.add(e.id);
        yield { id: e.id, type: 'blob', name: e.name };
      }
    }
  }
}
