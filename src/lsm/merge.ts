/**
 * Merging sorted sources into the view a reader sees: the newest version of
 * each user key at or below the snapshot's sequence number, deletions hidden.
 */
import { compareEntry, Kind } from './coding.js';
import type { Cursor, Entry } from './cursor.js';

/** Merges cursors into one stream in internal order (or its reverse). */
export class MergeCursor implements Cursor {
  entry: Entry | undefined;
  private current = -1;

  constructor(private readonly cursors: Cursor[], private readonly reverse: boolean) {
    this.pick();
  }

  private pick(): void {
    let best: Entry | undefined;
    this.current = -1;
    for (let i = 0; i < this.cursors.length; i++) {
      const e = this.cursors[i]!.entry;
      if (!e) continue;
      const c = best ? compareEntry(e.key, e.seq, best.key, best.seq) : -1;
      if (!best || (this.reverse ? c > 0 : c < 0)) {
        best = e;
        this.current = i;
      }
    }
    this.entry = best;
  }

  next(): void {
    if (this.current < 0) return;
    this.cursors[this.current]!.next();
    this.pick();
  }
}

export interface Bounds {
  gt?: Buffer;
  gte?: Buffer;
  lt?: Buffer;
  lte?: Buffer;
}

/** Visible entries in ascending key order. */
export function* visibleForward(m: Cursor, snapshot: number, b: Bounds): Generator<Entry> {
  let lastKey: Buffer | undefined;
  for (let e = m.entry; e; m.next(), e = m.entry) {
    if (b.lt && Buffer.compare(e.key, b.lt) >= 0) return;
    if (b.lte && Buffer.compare(e.key, b.lte) > 0) return;
    if (e.seq > snapshot) continue;
    if (lastKey && lastKey.equals(e.key)) continue;
    lastKey = e.key;
    if (b.gt && Buffer.compare(e.key, b.gt) <= 0) continue;
    if (e.kind !== Kind.Delete) yield e;
  }
}

/** Visible entries in descending key order: versions of a key arrive oldest first, the last visible one wins. */
export function* visibleBackward(m: Cursor, snapshot: number, b: Bounds): Generator<Entry> {
  let best: Entry | undefined;
  let key: Buffer | undefined;
  for (let e = m.entry; e; m.next(), e = m.entry) {
    if (b.gt && Buffer.compare(e.key, b.gt) <= 0) break;
    if (b.gte && Buffer.compare(e.key, b.gte) < 0) break;
    if (b.lt && Buffer.compare(e.key, b.lt) >= 0) continue;
    if (!key || !key.equals(e.key)) {
      if (best && best.kind !== Kind.Delete) yield best;
      key = e.key;
      best = undefined;
    }
    if (e.seq <= snapshot) best = e;
  }
  if (best && best.kind !== Kind.Delete) yield best;
}
