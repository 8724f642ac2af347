/**
 * What every sorted source (memtable, SSTable, merged view) offers: cursors
 * over internal entries, forward in internal order or backward in exactly the
 * reverse order, and a point lookup at a sequence number.
 */
import type { Kind } from './coding.js';

export interface Entry {
  key: Buffer;
  seq: number;
  kind: Kind;
  /** The value, a value-log pointer (Kind.Pointer), or empty (Kind.Delete). */
  value: Buffer;
}

export interface Cursor {
  /** The current entry, or undefined past the end. */
  readonly entry: Entry | undefined;
  next(): void;
}

export interface SortedSource {
  /** Forward from the first entry whose user key is >= lower (from the start without one). */
  forward(lower?: Buffer): Cursor;
  /** Backward from the last entry whose user key is <= upper (from the end without one). */
  backward(upper?: Buffer): Cursor;
  /** The newest entry for key with seq <= maxSeq. */
  get(key: Buffer, maxSeq: number): Entry | undefined;
}

/** A cursor over an array already in the order it walks. */
export class ArrayCursor implements Cursor {
  constructor(private readonly items: Entry[], private i = 0) {}

  get entry(): Entry | undefined {
    return this.items[this.i];
  }

  next(): void {
    this.i++;
  }
}
