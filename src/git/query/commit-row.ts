/** What the index keeps of one commit. */
import type { Commit } from '../objects/commit.js';
import { commitSummary } from '../objects/commit.js';

export interface IndexedCommit {
  id: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; timestamp: number; timezone: string };
  committer: { name: string; email: string; timestamp: number; timezone: string };
  summary: string;
}

export function commitRow(id: string, commit: Commit): IndexedCommit {
  const who = (p: Commit['author']) => ({ name: p.name, email: p.email, timestamp: p.timestamp, timezone: p.timezone });
  return { id, tree: commit.tree, parents: commit.parents, author: who(commit.author), committer: who(commit.committer), summary: commitSummary(commit) };
}
