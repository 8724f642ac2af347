/**
 * Reads commits for walks in batches and remembers the few fields a walk
 * needs (tree, parents, commit time), so each commit is parsed once per request.
 */
import { IntegrityError } from '../../datastore/errors.js';
import type { ObjectSource } from '../../git/store/object-reader.js';
import type { GitObject } from '../../datastore/types.js';
import { parseCommit } from '../../git/objects/commit.js';

export interface CommitInfo {
  id: string;
  tree: string;
  parents: string[];
  /** Committer time, seconds since the epoch. */
  time: number;
}

export const BATCH = 500;

/**
 * Objects a walk has read, kept (up to a byte budget) for the pack that
 * follows it, which would otherwise read every commit and tree a second
 * time. The budget bounds memory: past it, objects are read again.
 */
export class KeptObjects {
  private readonly objects = new Map<string, GitObject>();
  private bytes = 0;
  private keeping = false;

  constructor(private readonly budget: number) {}

  /** Keeping starts here: walks for other purposes (a push's checks) keep nothing. */
  start(): void {
    this.keeping = true;
  }

  keep(id: string, obj: GitObject): void {
    if (!this.keeping || this.bytes + obj.data.byteLength > this.budget || this.objects.has(id)) return;
    this.objects.set(id, obj);
    this.bytes += obj.data.byteLength;
  }

  /** The kept object, forgotten as it is handed out (each is sent once). */
  take(id: string): GitObject | undefined {
    const obj = this.objects.get(id);
    if (obj) {
      this.objects.delete(id);
      this.bytes -= obj.data.byteLength;
    }
    return obj;
  }
}

export class CommitCache {
  private readonly commits = new Map<string, CommitInfo>();

  constructor(
    readonly store: ObjectSource,
    private readonly kept?: KeptObjects,
  ) {}

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
      const found = await this.store.getObjects(todo.slice(i, i + BATCH));
      for (const [id, obj] of found) {
        if (obj.type !== 'commit') continue;
        this.kept?.keep(id, obj);
        const info = toInfo(id, obj);
        this.commits.set(id, info);
        out.set(id, info);
      }
    }
    return out;
  }

  async get(id: string): Promise<CommitInfo | undefined> {
    return (await this.load([id])).get(id);
  }
}

function toInfo(id: string, obj: GitObject): CommitInfo {
  const c = parseCommit(obj.data);
  return { id, tree: c.tree, parents: c.parents, time: c.committer.timestamp };
}

/** Reads objects by id in batches, in the order asked; those `kept` by a walk are not read again. */
export async function* readInBatches(store: ObjectSource, ids: readonly string[], batch = BATCH, kept?: KeptObjects): AsyncGenerator<[string, GitObject]> {
  for (let i = 0; i < ids.length; i += batch) {
    const slice = ids.slice(i, i + batch);
    const have = new Map<string, GitObject>();
    for (const id of slice) {
      const obj = kept?.take(id);
      if (obj) have.set(id, obj);
    }
    const missing = have.size === 0 ? slice : slice.filter((id) => !have.has(id));
    const found = missing.length === 0 ? have : await store.getObjects(missing);
    for (const id of slice) {
      const obj = have.get(id) ?? found.get(id);
      if (!obj) throw new IntegrityError(`object ${id} is missing from the store`);
      yield [id, obj];
    }
  }
}
