/** Is one commit an ancestor of another (the fast-forward check)? */
import type { ObjectReader } from '../store/object-reader.js';
import { CommitQueue } from './commit-queue.js';

/**
 * True when `ancestor` is reachable from `descendant` (or equal). Walks newest
 * first and stops as soon as it meets `ancestor`; without generation numbers a
 * negative answer visits all history of `descendant`.
 */
export async function isAncestor(reader: ObjectReader, ancestor: string, descendant: string): Promise<boolean> {
  if (ancestor === descendant) return true;
  const seen = new Set<string>([descendant]);
  const queue = new CommitQueue<string>();
  queue.push((await reader.commit(descendant)).committer.timestamp, descendant);
  for (let id = queue.pop(); id; id = queue.pop()) {
    for (const parent of (await reader.commit(id)).parents) {
      if (parent === ancestor) return true;
      if (seen.has(parent)) continue;
      seen.add(parent);
      queue.push((await reader.commit(parent)).committer.timestamp, parent);
    }
  }
  return false;
}
