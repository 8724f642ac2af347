/**
 * Commit history in git's default order (`git log`): a walk from the start
 * commits that always takes the newest committer date next, each commit once.
 */
import type { Commit } from '../objects/commit.js';
import type { ObjectReader } from '../store/object-reader.js';
import { CommitQueue } from './commit-queue.js';

export interface LogEntry {
  id: string;
  commit: Commit;
}

export interface LogOptions {
  /** Stop after this many commits. */
  limit?: number;
}

export async function* logCommits(reader: ObjectReader, starts: readonly string[], options: LogOptions = {}): AsyncGenerator<LogEntry> {
  const limit = options.limit ?? Infinity;
  if (limit <= 0) return;
  const seen = new Set<string>();
  const queue = new CommitQueue<LogEntry>();
  // git sorts the start commits by date with a stable sort, then inserts parents by date.
  const initial: LogEntry[] = [];
  for (const id of starts) {
    if (seen.has(id)) continue;
    seen.add(id);
    initial.push({ id, commit: await reader.commit(id) });
  }
  for (const entry of initial) queue.push(entry.commit.committer.timestamp, entry);
  let emitted = 0;
  for (let entry = queue.pop(); entry; entry = queue.pop()) {
    for (const parent of entry.commit.parents) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      const commit = await reader.commit(parent);
      queue.push(commit.committer.timestamp, { id: parent, commit });
    }
    yield entry;
    if (++emitted >= limit) return;
  }
}
