/**
 * The queue git's default revision walk uses: newest committer date first,
 * equal dates in insertion order (git's commit_list_insert_by_date).
 */
interface Item<T> {
  date: number;
  seq: number;
  value: T;
}

export class CommitQueue<T> {
  private heap: Item<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(date: number, value: T): void {
    const heap = this.heap;
    heap.push({ date, seq: this.seq++, value });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < heap.length && before(heap[l], heap[best])) best = l;
        if (r < heap.length && before(heap[r], heap[best])) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best], heap[i]];
        i = best;
      }
    }
    return top.value;
  }
}

function before<T>(a: Item<T>, b: Item<T>): boolean {
  return a.date !== b.date ? a.date > b.date : a.seq < b.seq;
}
