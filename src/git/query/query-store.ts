/**
 * The QueryStore of the plan, on any DataStore: commits by author, time range
 * and path, and repository statistics, answered from the commit index
 * (commit-index.ts) rather than by walking history. Results are newest first
 * (committer date), ties by id.
 */
import { InvalidArgumentError } from '../../datastore/errors.js';
import type { DataStore } from '../../datastore/store.js';
import type { IndexedCommit } from './commit-row.js';
import { scanKeys } from './config-scan.js';
import { readIndexStats } from './commit-index.js';
import { indexRoot, keys, timeKey } from './keys.js';

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

/** Commit ids under one index prefix within [since, until), newest first. */
async function* postings(store: DataStore, prefix: string, since?: Date, until?: Date): AsyncGenerator<{ key: string; id: string }> {
  // Keys are <prefix><inverted time>/<id>: start after every commit at or after `until`.
  const after = until === undefined ? undefined : `${prefix}${timeKey(Math.ceil(until.getTime() / 1000))}/~`;
  const stop = since === undefined ? undefined : timeKey(Math.ceil(since.getTime() / 1000));
  for await (const [key] of scanKeys(store, prefix, after)) {
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (stop !== undefined && rest.slice(0, slash) > stop) return;
    yield { key: rest.slice(0, slash), id: rest.slice(slash + 1) };
  }
}

async function row(store: DataStore, root: string, id: string): Promise<IndexedCommit | undefined> {
  const raw = await store.getConfig(keys.row(root, id));
  return raw ? (JSON.parse(raw) as IndexedCommit) : undefined;
}

export async function queryCommits(store: DataStore, repositoryId: string, query: CommitQuery = {}): Promise<IndexedCommit[]> {
  const limit = query.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`limit must be a positive integer; got ${limit}`);
  const root = indexRoot(repositoryId);
  const author = query.author?.toLowerCase();
  // Scan the most selective index; check the other conditions on the rows.
  const sources: string[] = [];
  if (query.path !== undefined) sources.push(keys.byPath(root, typeof query.path === 'string' ? query.path.replace(/\/+$/, '') : query.path));
  else if (author !== undefined) sources.push(keys.byAuthorEmail(root, author), keys.byAuthorName(root, author));
  else sources.push(keys.byTime(root));

  const found = new Map<string, { key: string; row: IndexedCommit }>();
  for (const prefix of sources) {
    for await (const p of postings(store, prefix, query.since, query.until)) {
      if (found.size >= limit && sources.length === 1) break;
      if (found.has(p.id)) continue;
      const r = await row(store, root, p.id);
      if (!r) continue;
      if (author !== undefined && r.author.email.toLowerCase() !== author && r.author.name.toLowerCase() !== author) continue;
      found.set(p.id, { key: p.key, row: r });
    }
  }
  return [...found.values()]
    .sort((a, b) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) : a.row.id < b.row.id ? -1 : 1))
    .slice(0, limit)
    .map((x) => x.row);
}

/** Commits and contributors from the index; branches and tags from the refs. */
export async function repositoryStats(store: DataStore, repositoryId: string): Promise<RepositoryStats> {
  const stats = await readIndexStats(store, repositoryId);
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
  for await (const [, value] of scanKeys(store, keys.contributors(indexRoot(repositoryId)))) out.push(JSON.parse(value));
  return out;
}
