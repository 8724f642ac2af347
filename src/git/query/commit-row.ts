/** What the index keeps of one commit. */
import type { IndexedCommit } from '../../datastore/commit-index/index.js';
import type { Commit } from '../objects/commit.js';
import { commitSummary } from '../objects/commit.js';

export type { IndexedCommit };

export function commitRow(id: string, commit: Commit): IndexedCommit {
  const who = (p: Commit['author']) => ({ name: p.name, email: p.email, timestamp: p.timestamp, timezone: p.timezone });
  return { id, tree: commit.tree, parents: commit.parents, author: who(commit.author), committer: who(commit.committer), summary: commitSummary(commit) };
}
