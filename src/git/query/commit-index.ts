/**
 * Building commit-index rows (datastore/commit-index) from history. A ref
 * update carries the rows of the commits it makes reachable that the index
 * lacks (refs.ts), so the index follows every ref in the same atomic write.
 * Rows come parents before children, and batches written ahead of a ref
 * update (a rebuild, a large import) keep that order, so an interrupted run
 * resumes cleanly: an indexed commit always has indexed ancestors.
 */
import type { CommitIndexRow } from '../../datastore/commit-index/index.js';
import type { DataStore } from '../../datastore/store.js';
import { ObjectReader } from '../store/object-reader.js';
import type { ProgressListener } from '../progress.js';
import { changedPaths } from './changed-paths.js';
import { commitRow } from './commit-row.js';

export interface UpdateIndexOptions {
  /** Commits per write of rows made ahead of the ref update. */
  batchSize?: number;
  /** Index changed paths (default true); without it, path queries return nothing for new commits. */
  paths?: boolean;
  onProgress?: ProgressListener;
}

/** How many indexed lookups or commit reads go out at once. */
const LOOKUP_BATCH = 500;

async function chunked<T, R>(items: T[], fn: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += LOOKUP_BATCH) out.push(...(await fn(items.slice(i, i + LOOKUP_BATCH))));
  return out;
}

/** The commits `targets` name (tags peeled; other objects and missing ones left out). */
async function commitTips(reader: ObjectReader, targets: Iterable<string>): Promise<string[]> {
  const tips = new Set<string>();
  for (const target of new Set(targets)) {
    const peeled = await reader.peel(target).catch(() => undefined);
    if (peeled?.type === 'commit') tips.add(peeled.id);
  }
  return [...tips];
}

/** Commits reachable from `tips` that the index lacks, parents before children. */
async function unindexedCommits(store: DataStore, reader: ObjectReader, repositoryId: string, tips: string[]): Promise<string[]> {
  const parents = new Map<string, string[]>();
  let frontier = tips;
  while (frontier.length > 0) {
    const indexed = await chunked(frontier, (ids) => store.indexedCommits(repositoryId, ids));
    const fresh = frontier.filter((id, i) => !indexed[i] && !parents.has(id));
    const next = new Set<string>();
    for (const id of fresh) {
      const ps = (await reader.commit(id)).parents;
      parents.set(id, ps);
      for (const p of ps) if (!parents.has(p)) next.add(p);
    }
    frontier = [...next];
  }
  // Depth-first post-order over the fresh commits: every parent before its children.
  const order: string[] = [];
  const done = new Set<string>();
  for (const tip of tips) {
    const stack: Array<{ id: string; expanded: boolean }> = [{ id: tip, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (done.has(top.id) || !parents.has(top.id)) {
        stack.pop();
        continue;
      }
      if (top.expanded) {
        stack.pop();
        done.add(top.id);
        order.push(top.id);
        continue;
      }
      top.expanded = true;
      for (const p of parents.get(top.id)!) if (!done.has(p) && parents.has(p)) stack.push({ id: p, expanded: false });
    }
  }
  return order;
}

async function rowOf(reader: ObjectReader, id: string, paths: boolean): Promise<CommitIndexRow> {
  const commit = await reader.commit(id);
  const changed = paths ? [...(await changedPaths(reader, commit))] : [];
  return { ...commitRow(id, commit), paths: changed };
}

/**
 * Rows of the commits `targets` make reachable that the index lacks. Rows
 * beyond the last `keep` are written ahead in batches; the last `keep` are
 * returned for the caller's ref update (Infinity: all of them).
 */
export async function indexAhead(
  store: DataStore,
  repositoryId: string,
  targets: Iterable<string>,
  options: UpdateIndexOptions & { keep: number },
): Promise<{ count: number; rows: CommitIndexRow[] }> {
  const reader = new ObjectReader(store);
  const todo = await unindexedCommits(store, reader, repositoryId, await commitTips(reader, targets));
  const ahead = Math.max(0, todo.length - options.keep);
  const batchSize = options.batchSize ?? 500;
  const paths = options.paths !== false;
  for (let i = 0; i < ahead; i += batchSize) {
    const ids = todo.slice(i, Math.min(ahead, i + batchSize));
    const rows: CommitIndexRow[] = [];
    for (const id of ids) rows.push(await rowOf(reader, id, paths));
    await store.indexCommits(repositoryId, rows);
    options.onProgress?.({ phase: 'indexing', done: i + ids.length, total: todo.length });
  }
  const rows: CommitIndexRow[] = [];
  for (const id of todo.slice(ahead)) rows.push(await rowOf(reader, id, paths));
  return { count: todo.length, rows };
}

/** The direct targets of a repository's refs and HEAD. */
async function refTargets(store: DataStore, repositoryId: string): Promise<string[]> {
  const targets: string[] = [];
  for await (const ref of store.listRefs(repositoryId)) if (ref.type === 'direct') targets.push(ref.target);
  const head = await store.getRef(repositoryId, 'HEAD');
  if (head?.type === 'direct') targets.push(head.target);
  return targets;
}

/**
 * Indexes what the repository's refs reach and the index lacks (a rebuild
 * after `dropCommitIndex`, or an index left behind by `--no-index` or by an
 * older version); resumable. Returns how many commits were added.
 */
export async function updateCommitIndex(store: DataStore, repositoryId: string, options: UpdateIndexOptions = {}): Promise<number> {
  const { count, rows } = await indexAhead(store, repositoryId, await refTargets(store, repositoryId), { ...options, keep: 0 });
  await store.indexCommits(repositoryId, rows);
  return count;
}

/** Every commit the repository's refs and HEAD reach (a commit whose object is missing, as past a shallow boundary, ends its line). */
async function reachableCommits(store: DataStore, repositoryId: string): Promise<Set<string>> {
  const reader = new ObjectReader(store);
  const seen = new Set<string>();
  let frontier = await commitTips(reader, await refTargets(store, repositoryId));
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const id of frontier) {
      if (seen.has(id)) continue;
      seen.add(id);
      const commit = await reader.commit(id).catch(() => undefined);
      for (const p of commit?.parents ?? []) if (!seen.has(p)) next.push(p);
    }
    frontier = next;
  }
  return seen;
}

/** Removes the rows of commits no ref reaches any more (after a force-push or a deleted branch); returns how many. */
export async function pruneCommitIndex(store: DataStore, repositoryId: string): Promise<number> {
  const reachable = await reachableCommits(store, repositoryId);
  return store.pruneCommitIndex(repositoryId, (id) => reachable.has(id));
}

/** Removes a repository's commit index (deleteRepository removes it too). */
export async function dropCommitIndex(store: DataStore, repositoryId: string): Promise<void> {
  await store.dropCommitIndex(repositoryId);
}

/** Counts from the index. */
export async function readIndexStats(store: DataStore, repositoryId: string): Promise<{ commits: number; contributors: number }> {
  return store.countIndexedCommits(repositoryId);
}
