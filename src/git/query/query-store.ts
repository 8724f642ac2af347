/**
 * The QueryStore of the plan, on any DataStore: commits by author, time range
 * and path, and repository statistics, answered from the commit index
 * (datastore/commit-index) rather than by walking history. Results are
 * newest first (committer date), ties by id.
 */
import type { DataStore } from '../../datastore/store.js';
import type { IndexedCommit } from './commit-row.js';

export interface CommitQuery {
  /** Author email or name, compared case-insensitively. */
  author?: string;
  /** Committer date, inclusive. */
  since?: Date;
  /** Committer date, exclusive. */
  until?: Date;
  /** A file or directory path (bytes for non-UTF-8 names); matches commits that change it. */
  path?: string | Uint8Array;
  /** Default 100. */
  limit?: number;
}

export interface RepositoryStats {
  commits: number;
  branches: number;
  tags: number;
  contributors: number;
}

const seconds = (d: Date | undefined) => (d === undefined ? undefined : Math.ceil(d.getTime() / 1000));

export async function queryCommits(store: DataStore, repositoryId: string, query: CommitQuery = {}): Promise<IndexedCommit[]> {
  const path =
    query.path === undefined ? undefined : typeof query.path === 'string' ? Buffer.from(query.path.replace(/\/+$/, ''), 'utf8').toString('latin1') : Buffer.from(query.path).toString('latin1');
  return store.queryIndexedCommits(repositoryId, {
    author: query.author?.toLowerCase(),
    since: seconds(query.since),
    until: seconds(query.until),
    path,
    limit: query.limit,
  });
}

/** Commits and contributors from the index; branches and tags from the refs. */
export async function repositoryStats(store: DataStore, repositoryId: string): Promise<RepositoryStats> {
  const stats = await store.countIndexedCommits(repositoryId);
  let branches = 0;
  let tags = 0;
  for await (const ref of store.listRefs(repositoryId, 'refs/')) {
    if (ref.name.startsWith('refs/heads/')) branches++;
    else if (ref.name.startsWith('refs/tags/')) tags++;
  }
  return { commits: stats.commits, branches, tags, contributors: stats.contributors };
}

/** Everyone who authored an indexed commit, by email. */
export async function listContributors(store: DataStore, repositoryId: string): Promise<Array<{ name: string; email: string }>> {
  const out: Array<{ name: string; email: string }> = [];
  for await (const c of store.listIndexedContributors(repositoryId)) out.push(c);
  return out;
}
