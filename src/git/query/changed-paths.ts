/**
 * The paths a commit changes, as `git log --full-history -- <path>` sees
 * them: for a root commit every path, otherwise the paths that differ from
 * any parent (a merge that brings in a change to the path counts).
 * Directories of changed files are included, so a query for a directory is
 * one lookup.
 */
import { diffTrees } from '../history/diff.js';
import type { Commit } from '../objects/commit.js';
import type { ObjectReader } from '../store/object-reader.js';

async function changedVs(reader: ObjectReader, oldTree: string | null, newTree: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const change of diffTrees(reader, oldTree, newTree)) {
    // latin1 keeps every byte; the set is only compared and re-encoded the same way.
    const path = change.path.toString('latin1');
    out.add(path);
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) out.add(path.slice(0, i));
  }
  return out;
}

/** Changed paths (files and directories) as byte strings in latin1. */
export async function changedPaths(reader: ObjectReader, commit: Commit): Promise<Set<string>> {
  if (commit.parents.length === 0) return changedVs(reader, null, commit.tree);
  const result = new Set<string>();
  for (const parent of commit.parents) {
    const parentTree = (await reader.commit(parent)).tree;
    for (const path of await changedVs(reader, parentTree, commit.tree)) result.add(path);
  }
  return result;
}
