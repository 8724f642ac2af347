/**
 * A generated git history written straight into a store (no git needed):
 * `commits` commits, each changing one file of 256 (16 directories of 16
 * files), ten authors, a minute apart; every 100th step adds a side commit
 * and a merge, so the walk meets merges. Objects go in batches of about 1,000
 * with ids computed here, so a large history streams instead of piling up.
 */
import { hashObject } from '../../datastore/hash.js';
import type { DataStore } from '../../datastore/store.js';
import type { ObjectInput } from '../../datastore/operations.js';
import { serializeCommit, type Commit } from '../../git/objects/commit.js';
import { MODE } from '../../git/objects/modes.js';
import { serializeTree, sortTreeEntries, type TreeEntry } from '../../git/objects/tree.js';
import { IdList } from '../../datastore/id-list.js';

const DIRS = 16;
const FILES = 16;
const BATCH = 1000;
const START = 1_700_000_000;
export const AUTHORS = Array.from({ length: 10 }, (_, i) => ({ name: `Author ${i}`, email: `author${i}@bench.example` }));

export interface GeneratedHistory {
  repositoryId: string;
  /** Commits written (main line, side commits and merges). */
  commits: number;
  /** The main line, oldest first (merges included, side commits not). */
  mainLine: IdList;
  head: string;
  /** Seconds since the epoch of the first and last commit. */
  firstTime: number;
  lastTime: number;
}

class Writer {
  private pending: ObjectInput[] = [];
  constructor(private readonly store: DataStore) {}
  async add(type: ObjectInput['type'], data: Buffer): Promise<string> {
    const id = hashObject(type, data);
    this.pending.push({ type, data, id });
    if (this.pending.length >= BATCH) await this.flush();
    return id;
  }
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    await this.store.putObjects(batch);
  }
}

function fileName(f: number): Buffer {
  return Buffer.from(`file-${String(f).padStart(2, '0')}.txt`);
}

/** Writes the history into a new repository `name` and points refs/heads/main (and HEAD) at its head. */
export async function generateHistory(store: DataStore, name: string, commits: number, onProgress?: (done: number) => void): Promise<GeneratedHistory> {
  const repo = await store.createRepository({ name });
  const w = new Writer(store);
  const dirs: TreeEntry[][] = [];
  const dirIds: string[] = [];
  for (let d = 0; d < DIRS; d++) {
    const entries: TreeEntry[] = [];
    for (let f = 0; f < FILES; f++) entries.push({ mode: MODE.file, name: fileName(f), id: await w.add('blob', Buffer.from(`dir ${d} file ${f} version 0\n`)) });
    dirs.push(sortTreeEntries(entries));
    dirIds.push(await w.add('tree', serializeTree(dirs[d])));
  }
  const rootTree = () => serializeTree(sortTreeEntries(dirIds.map((id, d) => ({ mode: MODE.tree, name: Buffer.from(`dir-${String(d).padStart(2, '0')}`), id }))));
  /** Changes one file; returns the new root tree id. */
  const change = async (step: number): Promise<string> => {
    const d = (step * 7) % DIRS;
    const f = (step * 13 + Math.floor(step / DIRS)) % FILES;
    const body = `dir ${d} file ${f} version ${step}\n${'line of text that stays the same\n'.repeat(4)}`;
    dirs[d][f] = { ...dirs[d][f], id: await w.add('blob', Buffer.from(body)) };
    dirIds[d] = await w.add('tree', serializeTree(dirs[d]));
    return w.add('tree', rootTree());
  };
  const commit = (tree: string, parents: string[], n: number, message: string) => {
    const who = AUTHORS[n % AUTHORS.length];
    const when = { timestamp: START + n * 60, timezone: '+0000' };
    const c: Commit = { tree, parents, author: { ...who, ...when }, committer: { ...who, ...when }, extraHeaders: [], message, textEncoding: 'utf8' };
    return w.add('commit', serializeCommit(c));
  };

  const mainLine = new IdList(commits);
  let head: string | null = null;
  let n = 0;
  while (n < commits) {
    const tree = await change(n);
    if (head && n % 100 === 98 && n + 2 < commits) {
      // A side commit on head, then a merge of it: the walk meets two-parent commits.
      const side = await commit(tree, [head], n, `side change ${n}\n`);
      n++;
      head = await commit(await change(n), [head, side], n, `merge side change ${n - 1}\n`);
    } else {
      head = await commit(tree, head ? [head] : [], n, `change ${n}\n`);
    }
    mainLine.push(head);
    n++;
    if (onProgress && n % 5000 === 0) onProgress(n);
  }
  await w.flush();
  await store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: head! }]);
  await store.setSymbolicRef(repo.id, 'HEAD', 'refs/heads/main');
  return { repositoryId: repo.id, commits: n, mainLine, head: head!, firstTime: START, lastTime: START + (n - 1) * 60 };
}
