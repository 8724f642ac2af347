/**
 * The set of live SSTables by level, and the manifest that records every
 * change to it. Level 0 holds flushed memtables (they may overlap, newest
 * first); every deeper level holds non-overlapping tables sorted by key.
 */
export interface FileMeta {
  number: number;
  level: number;
  size: number;
  entries: number;
  smallest: Buffer;
  largest: Buffer;
}

export const NUM_LEVELS = 7;

export class Version {
  readonly levels: FileMeta[][];

  constructor(levels?: FileMeta[][]) {
    this.levels = levels ?? Array.from({ length: NUM_LEVELS }, () => []);
  }

  /** A new version with files removed and added (levels re-sorted). */
  apply(remove: Array<{ level: number; number: number }>, add: FileMeta[]): Version {
    const gone = new Set(remove.map((r) => `${r.level}/${r.number}`));
    const levels = this.levels.map((files, level) => files.filter((f) => !gone.has(`${level}/${f.number}`)));
    for (const f of add) levels[f.level]!.push(f);
    levels[0]!.sort((a, b) => b.number - a.number);
    for (let l = 1; l < NUM_LEVELS; l++) levels[l]!.sort((a, b) => Buffer.compare(a.smallest, b.smallest));
    return new Version(levels);
  }

  files(): FileMeta[] {
    return this.levels.flat();
  }

  levelBytes(level: number): number {
    return this.levels[level]!.reduce((n, f) => n + f.size, 0);
  }

  /** Tables of a level whose key range meets [smallest, largest]. */
  overlapping(level: number, smallest: Buffer, largest: Buffer): FileMeta[] {
    return this.levels[level]!.filter((f) => Buffer.compare(f.largest, smallest) >= 0 && Buffer.compare(f.smallest, largest) <= 0);
  }

  /** The one table of a sorted level (>= 1) that may hold key. */
  findInLevel(level: number, key: Buffer): FileMeta | undefined {
    const files = this.levels[level]!;
    const f = files[firstEndingAtOrAfter(files, key)];
    return f && Buffer.compare(f.smallest, key) <= 0 ? f : undefined;
  }
}

/** Index of the first table of a sorted level whose largest key is >= key (0 without a key). */
export function firstEndingAtOrAfter(files: FileMeta[], key: Buffer | undefined): number {
  if (!key) return 0;
  let lo = 0;
  let hi = files.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.compare(files[mid]!.largest, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
