/**
 * Walking a tree's bytes without building entries: diffs compare unchanged
 * entries byte for byte and only materialize the ones that differ, which
 * matters for wide trees touched by every commit.
 */
import { IntegrityError } from '../../datastore/errors.js';
import type { TreeEntry } from './tree.js';

export interface RawEntry {
  /** Start of the mode, of the name, end of the name (the NUL), end of the id. */
  start: number;
  name: number;
  nameEnd: number;
  end: number;
  isTree: boolean;
}

/** Positions of every entry of a tree. */
export function rawEntries(buf: Buffer, idBytes: number): RawEntry[] {
  const out: RawEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    const nul = space < 0 ? -1 : buf.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > buf.length) throw new IntegrityError(`tree: malformed entry at byte ${pos}`);
    // A tree's mode is 40000 (or 040000 in some old trees).
    const isTree = (space - pos === 5 && buf[pos] === 0x34) || (space - pos === 6 && buf[pos] === 0x30 && buf[pos + 1] === 0x34);
    out.push({ start: pos, name: space + 1, nameEnd: nul, end: nul + 1 + idBytes, isTree });
    pos = nul + 1 + idBytes;
  }
  return out;
}

/** Git's tree order (a tree's name compares as if it ended with "/"), without allocating. */
export function compareRawNames(a: Buffer, ea: RawEntry, b: Buffer, eb: RawEntry): number {
  const la = ea.nameEnd - ea.name;
  const lb = eb.nameEnd - eb.name;
  const len = Math.min(la, lb);
  const c = a.compare(b, eb.name, eb.name + len, ea.name, ea.name + len);
  if (c !== 0) return c;
  const ca = la > len ? a[ea.name + len] : ea.isTree ? 0x2f : 0;
  const cb = lb > len ? b[eb.name + len] : eb.isTree ? 0x2f : 0;
  return ca - cb;
}

/** Same mode, name and id. */
export function sameRawEntry(a: Buffer, ea: RawEntry, b: Buffer, eb: RawEntry): boolean {
  return ea.end - ea.start === eb.end - eb.start && a.compare(b, eb.start, eb.end, ea.start, ea.end) === 0;
}

export function materialize(buf: Buffer, e: RawEntry): TreeEntry {
  return { mode: buf.toString('latin1', e.start, e.name - 1), name: Buffer.from(buf.subarray(e.name, e.nameEnd)), id: buf.toString('hex', e.nameEnd + 1, e.end) };
}
