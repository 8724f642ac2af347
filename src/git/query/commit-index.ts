/**
 * The commit index of a repository, kept in the store's config key space so
 * every store can answer queries without walking history (see keys.ts).
 * updateCommitIndex adds the commits reachable from the refs that are not
 * indexed yet, oldest first (parents before children), so an interrupted
 * update resumes cleanly: an indexed commit always has indexed ancestors.
 */
import type { DataStore } from '../../datastore/store.js';
import { ObjectReader } from '../store/object-reader.js';
import type { ProgressListener } from '../progress.js';
import { changedPaths } from './changed-paths.js';
import { commitRow } from './commit-row.js';
import { setConfigBatch, scanKeys } from './config-scan.js';
import { indexRoot, keys } from './keys.js';

export interface IndexStats {
  commits: number;
  contributors: number;
}

export interface UpdateIndexOptions {
  /** Commits per atomic write. */
  batchSize?: number;
  /** Index changed paths (default true); without it, path queries return nothing for new commits. */
  paths?: boolean;
  onProgress?: ProgressListener;
}

export async function readIndexStats(store: DataStore, repositoryId: string): Promise<IndexStats> {
  const raw = await store.getConfig(keys.stats(indexRoot(repositoryId)));
  return raw ? (JSON.parse(raw) as IndexStats) : { commits: 0, contributors: 0 };
}

/** Commits reachable from `tips` that are not indexed yet, parents before children. */
async function unindexedCommits(store: DataStore, reader: ObjectReader, root: string, tips: string[], indexEmpty: boolean): Promise<string[]> {
  const order: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: Array<{ id: string; expanded: boolean }> = tips.map((id) => ({ id, expanded: false }));
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.expanded) {
      stack.pop();
      if (state.get(top.id) !== 'done') {
        state.set(top.id, 'done');
        order.push(top.id);
      }
      continue;
    }
    if (state.has(top.id) || (!indexEmpty && (await store.getConfig(keys.row(root, top.id))) !== undefined)) {
      if (!state.has(top.id)) state.set(top.id, 'done');
      stack.pop();
      continue;
    }
    state.set(top.id, 'open');
    top.expanded = true;
    for (const p of (await reader.commit(top.id)).parents) if (!state.has(p)) stack.push({ id: p, expanded: false });
  }
  return order;
}

/** Indexes new commits reachable from the repository's refs; returns how many were added. */
export async function updateCommitIndex(store: DataStore, repositoryId: string, options: UpdateIndexOptions = {}): Promise<number> {
  const root = indexRoot(repositoryId);
  const reader = new ObjectReader(store);
  const tips = new Set<string>();
  for await (const ref of store.listRefs(repositoryId)) {
    if (ref.type !== 'direct') continue;
    const peeled = await reader.peel(ref.target).catch(() => undefined);
    if (peeled?.type === 'commit') tips.add(peeled.id);
  }
  const head = await store.getRef(repositoryId, 'HEAD');
  if (head?.type === 'direct') {
    const peeled = await reader.peel(head.target).catch(() => undefined);
    if (peeled?.type === 'commit') tips.add(peeled.id);
  }

  const stats = await readIndexStats(store, repositoryId);
  // Batches write the stats too, so an empty index has no stats key: no need to look commits up.
  const indexEmpty = (await store.getConfig(keys.stats(root))) === undefined;
  const todo = await unindexedCommits(store, reader, root, [...tips], indexEmpty);
  const batchSize = options.batchSize ?? 200;
  const seenContributors = new Set<string>();
  for (let i = 0; i < todo.length; i += batchSize) {
    const pairs: Array<[string, string]> = [];
    for (const id of todo.slice(i, i + batchSize)) {
      const commit = await reader.commit(id);
      const row = commitRow(id, commit);
      const time = row.committer.timestamp;
      pairs.push([keys.row(root, id), JSON.stringify(row)]);
      pairs.push([keys.posting(keys.byTime(root), time, id), '1']);
      pairs.push([keys.posting(keys.byAuthorEmail(root, row.author.email), time, id), '1']);
      pairs.push([keys.posting(keys.byAuthorName(root, row.author.name), time, id), '1']);
      if (options.paths !== false) {
        for (const path of await changedPaths(reader, commit)) pairs.push([keys.posting(keys.byPath(root, Buffer.from(path, 'latin1')), time, id), '1']);
      }
      const email = row.author.email.toLowerCase();
      if (!seenContributors.has(email)) {
        seenContributors.add(email);
        if (indexEmpty || (await store.getConfig(keys.contributor(root, email))) === undefined) stats.contributors++;
        pairs.push([keys.contributor(root, email), JSON.stringify({ name: row.author.name, email: row.author.email })]);
      }
      stats.commits++;
    }
    pairs.push([keys.stats(root), JSON.stringify(stats)]);
    await setConfigBatch(store, pairs);
    options.onProgress?.({ phase: 'indexing', done: Math.min(i + batchSize, todo.length), total: todo.length });
  }
  return todo.length;
}

/** Removes a repository's commit index (deleteRepository removes it too). */
export async function dropCommitIndex(store: DataStore, repositoryId: string): Promise<void> {
  await store.deleteConfigPrefix(indexRoot(repositoryId));
}
