/**
 * Scanning the trees of a walk for entries not seen yet. A clone visits
 * every version of every directory, and successive versions of one mostly
 * differ in an entry or two: re-reading every entry (a hex id and a set
 * lookup each) was most of the walk. So each tree is compared with the last
 * tree scanned under the same name, and the entries it shares with it as a
 * common prefix or suffix are skipped: that tree's entries were all marked
 * seen when it was scanned. Only the middle is parsed entry by entry.
 */
import { IntegrityError } from '../../datastore/errors.js';
import { ByteLru } from '../../datastore/lru-cache.js';

/** One entry of a tree: `<octal mode> <name>\0<raw id>`. */
export interface ScannedEntry {
  id: string;
  kind: 'tree' | 'blob' | 'gitlink';
  /** Start and end of the name in the tree's bytes. */
  nameStart: number;
  nameEnd: number;
}

interface Scanned {
  buf: Buffer;
  /** Offset of every entry. */
  starts: Int32Array;
  byteLength: number;
}

/** Previous versions kept per scanner (one walk). */
const PREVIOUS_BYTES = 16 << 20;

export class TreeScanner {
  private readonly previous = new ByteLru<string, Scanned>(PREVIOUS_BYTES);

  constructor(private readonly idBytes: number) {}

  /**
   * Calls `each` for the entries of `buf`, except those it shares (same
   * bytes, same place from the start or from the end) with the last tree
   * scanned under the same `name`. Only skip what the caller has marked
   * seen: every tree passed here must have had all its entries handled.
   */
  scan(buf: Buffer, name: string | undefined, each: (e: ScannedEntry) => void): void {
    const prev = name === undefined ? undefined : this.previous.get(name);
    const starts: number[] = [];
    let pos = 0;
    let tail = Infinity;
    let shift = 0;
    if (prev) {
      // Entries of prev lying wholly in the common prefix are in buf, at the same offsets.
      const prefix = commonPrefix(buf, prev.buf);
      const n = prev.starts.length;
      let k = 0;
      while (k < n && (k + 1 < n ? prev.starts[k + 1] : prev.buf.length) <= prefix) starts.push(prev.starts[k++]);
      pos = k < n ? prev.starts[k] : prev.buf.length;
      // From an entry start inside the common suffix that is also one of prev's, the rest is prev's tail.
      tail = buf.length - commonSuffix(buf, prev.buf);
      shift = prev.buf.length - buf.length;
    }
    while (pos < buf.length) {
      if (pos >= tail && prev && isStart(prev.starts, pos + shift)) {
        for (let i = indexOf(prev.starts, pos + shift); i < prev.starts.length; i++) starts.push(prev.starts[i] - shift);
        break;
      }
      starts.push(pos);
      pos = this.entry(buf, pos, each);
    }
    if (name !== undefined) this.previous.set(name, { buf, starts: Int32Array.from(starts), byteLength: buf.length + starts.length * 4 });
  }

  /** Parses the entry at `pos`, hands it to `each`; returns where the next begins. */
  private entry(buf: Buffer, pos: number, each: (e: ScannedEntry) => void): number {
    const space = buf.indexOf(0x20, pos);
    const nul = space < 0 ? -1 : buf.indexOf(0, space + 1);
    const end = nul + 1 + this.idBytes;
    if (space < 0 || nul < 0 || end > buf.length) throw new IntegrityError(`tree: malformed entry at byte ${pos}`);
    // Modes read leniently, like entryKind: only the type bits matter.
    let mode = 0;
    for (let i = pos; i < space; i++) mode = mode * 8 + (buf[i] - 0x30);
    const bits = mode & 0o170000;
    each({ id: buf.toString('hex', nul + 1, end), kind: bits === 0o040000 ? 'tree' : bits === 0o160000 ? 'gitlink' : 'blob', nameStart: space + 1, nameEnd: nul });
    return end;
  }
}

function commonPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function commonSuffix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}

/** Index of `value` in ascending `starts`, or -1. */
function indexOf(starts: Int32Array, value: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] === value) return mid;
    if (starts[mid] < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function isStart(starts: Int32Array, value: number): boolean {
  return indexOf(starts, value) >= 0;
}
