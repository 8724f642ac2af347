/**
 * Reads commits for walks in batches and remembers the few fields a walk
 * needs (tree, parents, commit time), so each commit is parsed once per request.
 */
import type { ObjectSource } from '../store/object-reader.js';
import type { GitObject, ObjectReadOptions } from '../../datastore/types.js';
import { parseCommit } from '../objects/commit.js';

export interface CommitInfo {
  id: string;
  tree: string;
  parents: string[];
  /** Committer time, seconds since the epoch. */
  time: number;
}

export const BATCH = 500;

export class CommitCache {
  private readonly commits = new Map<string, CommitInfo>();

  /** How commits are read (a walk that keeps their entries sets an onEntry). */
  reads: ObjectReadOptions | undefined;

  constructor(readonly store: ObjectSource) {}

  /** Loads the given commits; ids that are missing or not commits are left out. */
  async load(ids: Iterable<string>): Promise<Map<string, CommitInfo>> {
    const out = new Map<string, CommitInfo>();
    const todo: string[] = [];
    for (const id of ids) {
      const known = this.commits.get(id);
      if (known) out.set(id, known);
      else todo.push(id);
    }
    for (let i = 0; i < todo.length; i += BATCH) {
      const found = await this.store.getObjects(todo.slice(i, i + BATCH), this.reads);
      for (const [id, obj] of found) {
        if (obj.type !== 'commit') continue;
        const info = toInfo(id, obj);
        this.commits.set(id, info);
        out.set(id, info);
      }
    }
    return out;
  }

  /** Forgets every commit read (a walk done with commits lets them go before it walks trees). */
  clear(): void {
    this.commits.clear();
  }

  async get(id: string): Promise<CommitInfo | undefined> {
    return (await this.load([id])).get(id);
  }
}

function toInfo(id: string, obj: GitObject): CommitInfo {
  const c = parseCommit(obj.data);
  return { id, tree: c.tree, parents: c.parents, time: c.committer.timestamp };
}
