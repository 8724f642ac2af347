/**
 * A cursor over one sorted level (>= 1): its tables do not overlap, so it
 * walks them one after another and opens a table only when the walk reaches
 * it. A range scan then reads one block per level, not one per table.
 */
import type { Cursor, Entry } from './cursor.js';
import type { TableReader } from './table-reader.js';
import { firstEndingAtOrAfter, type FileMeta } from './version.js';

export class LevelCursor implements Cursor {
  private cursor: Cursor | undefined;
  private i: number;

  constructor(
    private readonly files: FileMeta[],
    private readonly table: (number: number) => TableReader,
    private readonly reverse: boolean,
    bound: Buffer | undefined,
  ) {
    this.i = reverse ? lastStartingAtOrBefore(files, bound) : firstEndingAtOrAfter(files, bound);
    this.open(bound);
  }

  get entry(): Entry | undefined {
    return this.cursor?.entry;
  }

  next(): void {
    if (!this.cursor) return;
    this.cursor.next();
    if (!this.cursor.entry) {
      this.i += this.reverse ? -1 : 1;
      this.open(undefined);
    }
  }

  /** Opens table i (and those after it, should one be empty past the bound). */
  private open(bound: Buffer | undefined): void {
    this.cursor = undefined;
    while (this.i >= 0 && this.i < this.files.length) {
      const t = this.table(this.files[this.i]!.number);
      const c = this.reverse ? t.backward(bound) : t.forward(bound);
      if (c.entry) {
        this.cursor = c;
        return;
      }
      bound = undefined;
      this.i += this.reverse ? -1 : 1;
    }
  }
}

/** Index of the last table whose smallest key is <= bound (the last table without a bound; -1 for none). */
function lastStartingAtOrBefore(files: FileMeta[], bound: Buffer | undefined): number {
  if (!bound) return files.length - 1;
  let lo = 0;
  let hi = files.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.compare(files[mid]!.smallest, bound) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
