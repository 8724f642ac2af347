/**
 * The commit index of a repository: what a store keeps of each commit its
 * refs have reached, so commits can be listed by date, author and path, and
 * counted, without walking history. Rows are written in the same atomic
 * write as the ref update that makes them reachable (DataStore.updateRefs).
 */

export interface IndexedPerson {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  timezone: string;
}

/** What a query returns of one commit. */
export interface IndexedCommit {
  id: string;
  tree: string;
  parents: string[];
  author: IndexedPerson;
  committer: IndexedPerson;
  summary: string;
}

/** What is written of one commit: the commit and the paths it changes. */
export interface CommitIndexRow extends IndexedCommit {
  /** Changed files and their directories, as byte strings in latin1. */
  paths: string[];
}

export interface CommitIndexQuery {
  /** Lower-cased author email or name. */
  author?: string;
  /** Committer time in seconds, inclusive. */
  since?: number;
  /** Committer time in seconds, exclusive. */
  until?: number;
  /** A changed file or directory, latin1 byte string, no trailing slash. */
  path?: string;
  limit: number;
}

export interface Contributor {
  name: string;
  email: string;
}

/**
 * The write ops of the commit index. `putCommits` adds rows (a row already
 * there is kept: a commit's content never changes); `deleteCommits` removes
 * rows (commits no ref reaches any more, or gone from a migration's source):
 * it carries the whole rows, whose fields name the index keys to remove, and
 * the lower-cased emails of authors no remaining row has; `dropCommitIndex`
 * removes a repository's whole index.
 */
export type CommitIndexOp =
  | { op: 'putCommits'; repositoryId: string; commits: CommitIndexRow[] }
  | { op: 'deleteCommits'; repositoryId: string; commits: CommitIndexRow[]; contributors: string[] }
  | { op: 'dropCommitIndex'; repositoryId: string };

/**
 * Reads of the commit index. A store that keeps the index natively (its own
 * tables) exposes one as `commitIndex` on its driver and its transactions and
 * accepts CommitIndexOps in write(); for every other store the DataStore
 * keeps the index in config keys (keyspace.ts).
 */
export interface CommitIndexReader {
  /** For each id, whether the repository's index holds it. */
  indexedCommits(repositoryId: string, ids: string[]): Promise<boolean[]>;
  /** Newest first by committer time, ties by id ascending. */
  queryCommits(repositoryId: string, query: CommitIndexQuery): Promise<IndexedCommit[]>;
  countCommits(repositoryId: string): Promise<{ commits: number; contributors: number }>;
  /** By lower-cased email ascending, strictly after `after`. */
  listContributors(repositoryId: string, range: { after?: string; limit: number }): Promise<Contributor[]>;
  /** The whole rows of those of `ids` the index holds (migration through a change log). */
  getRows(repositoryId: string, ids: string[]): Promise<CommitIndexRow[]>;
  /** Whole rows (with paths) by id ascending, strictly after `after`: for backup and migration. */
  listRows(repositoryId: string, range: { after?: string; limit: number }): Promise<CommitIndexRow[]>;
}

export function isCommitIndexOp(op: { op: string }): op is CommitIndexOp {
  return op.op === 'putCommits' || op.op === 'deleteCommits' || op.op === 'dropCommitIndex';
}
