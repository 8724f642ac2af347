/**
 * The memtable: a skiplist of internal entries (user key ascending, seq
 * descending). Every version is kept, so snapshots and open iterators see the
 * state at their sequence number while writes go on. Inserting never moves
 * existing nodes, so a cursor stays valid across writes.
 */
import type { Kind } from './coding.js';
import type { Cursor, Entry, SortedSource } from './cursor.js';

const MAX_HEIGHT = 12;

interface Node extends Entry {
  /** The user key as a latin1 string (indexKey): its own order is the keys' unsigned byte order. */
  ik: string;
  next: Array<Node | undefined>;
}

/**
 * Whether node n sorts before (ik, seq) in internal order. Strings compare
 * by code unit, one per byte here, so this is Buffer.compare's order without
 * a native call per step of a descent (the hot loop of every insert).
 */
const before = (n: Node, ik: string, seq: number): boolean => n.ik < ik || (n.ik === ik && n.seq > seq);

function randomHeight(): number {
  let h = 1;
  while (h < MAX_HEIGHT && Math.random() < 0.25) h++;
  return h;
}

/** The memtable's hash index key for a user key (latin1: one char per byte, so distinct keys stay distinct). */
export const indexKey = (key: Buffer): string => key.toString('latin1');

export class Memtable implements SortedSource {
  private readonly head: Node = { key: Buffer.alloc(0), ik: '', seq: 0, kind: 0 as Kind, value: Buffer.alloc(0), next: new Array(MAX_HEIGHT) };
  private height = 1;
  /** insert()'s scratch: the last node before the new one at each level. */
  private readonly prev: Node[] = new Array(MAX_HEIGHT);
  /**
   * The newest node of each user key: a point read of the latest state (the
   * common case) is one hash lookup instead of a skiplist descent, and a
   * key the memtable lacks costs no comparison at all.
   */
  private readonly newest = new Map<string, Node>();
  /** Approximate memory held, for the flush threshold. */
  bytes = 0;
  count = 0;

  /** @param walNumber the WAL file holding this memtable's writes: deletable once it is flushed. */
  constructor(readonly walNumber: number) {}

  insert(key: Buffer, seq: number, kind: Kind, value: Buffer): void {
    const ik = indexKey(key);
    const prev = this.prev;
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      for (let n = x.next[level]; n && before(n, ik, seq); n = x.next[level]) x = n;
      prev[level] = x;
    }
    const h = randomHeight();
    if (h > this.height) {
      for (let level = this.height; level < h; level++) prev[level] = this.head;
      this.height = h;
    }
    const node: Node = { key, ik, seq, kind, value, next: new Array(h) };
    for (let level = 0; level < h; level++) {
      node.next[level] = prev[level]!.next[level];
      prev[level]!.next[level] = node;
    }
    const top = this.newest.get(ik);
    if (!top || top.seq < seq) this.newest.set(ik, node);
    this.bytes += 2 * key.length + value.length + 96 + 8 * h;
    this.count++;
  }

  /** First node >= (key, seq) in internal order; key as its indexKey. */
  private findGreaterOrEqual(ik: string, seq: number): Node | undefined {
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      for (let n = x.next[level]; n && before(n, ik, seq); n = x.next[level]) x = n;
    }
    return x.next[0];
  }

  /** Last node < (key, seq) in internal order, or undefined; key as its indexKey. */
  private findLessThan(ik: string, seq: number): Node | undefined {
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      for (let n = x.next[level]; n && before(n, ik, seq); n = x.next[level]) x = n;
    }
    return x === this.head ? undefined : x;
  }

  private last(): Node | undefined {
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      for (let n = x.next[level]; n; n = x.next[level]) x = n;
    }
    return x === this.head ? undefined : x;
  }

  get(key: Buffer, maxSeq: number, ik: string = indexKey(key)): Entry | undefined {
    const top = this.newest.get(ik);
    if (!top) return undefined;
    if (top.seq <= maxSeq) return top;
    // A snapshot older than the newest version: find its version in the skiplist.
    const n = this.findGreaterOrEqual(ik, maxSeq);
    return n && n.ik === ik ? n : undefined;
  }

  forward(lower?: Buffer): Cursor {
    let node = lower ? this.findGreaterOrEqual(indexKey(lower), Number.MAX_SAFE_INTEGER) : this.head.next[0];
    return {
      get entry() {
        return node;
      },
      next() {
        node = node?.next[0];
      },
    };
  }

  backward(upper?: Buffer): Cursor {
    // (upper, -1) sorts after every version of upper: the last entry <= upper.
    let node = upper ? this.findLessThan(indexKey(upper), -1) : this.last();
    const find = (ik: string, s: number) => this.findLessThan(ik, s);
    return {
      get entry() {
        return node;
      },
      next() {
        if (node) node = find(node.ik, node.seq);
      },
    };
  }

  /** Every entry in internal order (for flushing). */
  *entries(): Generator<Entry> {
    for (let n = this.head.next[0]; n; n = n.next[0]) yield n;
  }
}
