/**
 * Differences between two trees, recursively, in git's order (like
 * `git diff --name-status --no-renames`): A added, D deleted, M modified
 * (content or executable bit), T type changed (file, symlink, gitlink). A file
 * replaced by a directory of the same name is a D and then A entries.
 */
import { entryKind, isTreeMode, type EntryKind } from '../objects/modes.js';
import { compareRawNames, materialize, sameRawEntry } from '../objects/raw-tree.js';
import type { TreeEntry } from '../objects/tree.js';
import type { ObjectReader, RawTree } from '../store/object-reader.js';

export type ChangeStatus = 'A' | 'D' | 'M' | 'T';

export interface TreeChange {
  status: ChangeStatus;
  /** Full path, as bytes. */
  path: Buffer;
  oldMode: string | null;
  newMode: string | null;
  oldId: string | null;
  newId: string | null;
}

const SLASH = Buffer.from('/');

function join(base: Buffer, name: Buffer): Buffer {
  return base.length === 0 ? name : Buffer.concat([base, SLASH, name]);
}

/** File, executable and symlink/gitlink differ in kind; only a change between regular files and the others is a type change. */
function typeClass(kind: EntryKind): string {
  return kind === 'executable' ? 'file' : kind;
}

const EMPTY: RawTree = { buf: Buffer.alloc(0), entries: [], byteLength: 0 };

export async function* diffTrees(reader: ObjectReader, oldTree: string | null, newTree: string | null, base: Buffer = Buffer.alloc(0)): AsyncGenerator<TreeChange> {
  if (oldTree === newTree) return;
  const ta = oldTree ? await reader.rawTree(oldTree) : EMPTY;
  const tb = newTree ? await reader.rawTree(newTree) : EMPTY;
  const a = ta.entries;
  const b = tb.entries;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && sameRawEntry(ta.buf, a[i], tb.buf, b[j])) {
      i++;
      j++;
      continue;
    }
    const c = i >= a.length ? 1 : j >= b.length ? -1 : compareRawNames(ta.buf, a[i], tb.buf, b[j]);
    if (c < 0) yield* removed(reader, materialize(ta.buf, a[i++]), base);
    else if (c > 0) yield* added(reader, materialize(tb.buf, b[j++]), base);
    else {
      const x = materialize(ta.buf, a[i++]);
      const y = materialize(tb.buf, b[j++]);
      const path = join(base, x.name);
      if (isTreeMode(x.mode)) {
        if (x.id !== y.id) yield* diffTrees(reader, x.id, y.id, path);
        continue;
      }
      const status: ChangeStatus = typeClass(entryKind(x.mode)) === typeClass(entryKind(y.mode)) ? 'M' : 'T';
      if (status === 'M' && x.id === y.id && parseInt(x.mode, 8) === parseInt(y.mode, 8)) continue;
      yield { status, path, oldMode: x.mode, newMode: y.mode, oldId: x.id, newId: y.id };
    }
  }
}

async function* removed(reader: ObjectReader, e: TreeEntry, base: Buffer): AsyncGenerator<TreeChange> {
  const path = join(base, e.name);
  if (isTreeMode(e.mode)) yield* diffTrees(reader, e.id, null, path);
  else yield { status: 'D', path, oldMode: e.mode, newMode: null, oldId: e.id, newId: null };
}

async function* added(reader: ObjectReader, e: TreeEntry, base: Buffer): AsyncGenerator<TreeChange> {
  const path = join(base, e.name);
  if (isTreeMode(e.mode)) yield* diffTrees(reader, null, e.id, path);
  else yield { status: 'A', path, oldMode: null, newMode: e.mode, oldId: null, newId: e.id };
}
