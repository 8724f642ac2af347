/**
 * A least-recently-used cache bounded by total bytes (the delta-base cache).
 *
 * Recency is a doubly linked list, oldest first, beside a Map for lookups.
 * (Evicting by iterating the Map from its start, as this did before, was
 * O(deleted entries) per eviction: a Map keeps the holes of deleted keys at
 * its front until it rehashes, and every `get` moves a key to the back by
 * delete and re-insert. A clone's walk spent 1.4 of 11 s there.)
 */
interface Node<K, V> {
  key: K;
  value: V;
  prev: Node<K, V> | undefined;
  next: Node<K, V> | undefined;
}

export class ByteLru<K, V extends { byteLength: number }> {
  private readonly map = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | undefined;
  private newest: Node<K, V> | undefined;
  private bytes = 0;
  /** Entries pushed out to stay within maxBytes. */
  evictions = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: K): V | undefined {
    const node = this.map.get(key);
    if (node === undefined) return undefined;
    if (node !== this.newest) {
      this.unlink(node);
      this.append(node);
    }
    return node.value;
  }

  set(key: K, value: V): void {
    if (value.byteLength > this.maxBytes / 4) return;
    this.delete(key);
    const node: Node<K, V> = { key, value, prev: undefined, next: undefined };
    this.map.set(key, node);
    this.append(node);
    this.bytes += value.byteLength;
    while (this.bytes > this.maxBytes && this.oldest) {
      const old = this.oldest;
      this.remove(old);
      this.evictions++;
    }
  }

  delete(key: K): void {
    const node = this.map.get(key);
    if (node) this.remove(node);
  }

  clear(): void {
    this.map.clear();
    this.oldest = this.newest = undefined;
    this.bytes = 0;
  }

  private remove(node: Node<K, V>): void {
    this.map.delete(node.key);
    this.unlink(node);
    this.bytes -= node.value.byteLength;
  }

  private unlink(node: Node<K, V>): void {
    if (node.prev) node.prev.next = node.next;
    else this.oldest = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.newest = node.prev;
    node.prev = node.next = undefined;
  }

  private append(node: Node<K, V>): void {
    node.prev = this.newest;
    if (this.newest) this.newest.next = node;
    else this.oldest = node;
    this.newest = node;
  }
}
