/** A least-recently-used cache bounded by total bytes (the delta-base cache). */
export class ByteLru<K, V extends { byteLength: number }> {
  private readonly map = new Map<K, V>();
  private bytes = 0;
  /**
   * Walks the map oldest first, kept between evictions. A fresh walk per
   * eviction would step over every entry deleted since the map last rehashed
   * (V8 leaves holes), which made a full cache's set() cost grow with its size.
   * Everything it has passed was evicted, so every live entry lies ahead of it.
   */
  private oldest: Iterator<[K, V]> | undefined;
  /** Entries pushed out to stay within maxBytes. */
  evictions = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    if (value.byteLength > this.maxBytes / 4) return;
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.byteLength;
      this.map.delete(key);
    }
    this.map.set(key, value);
    this.bytes += value.byteLength;
    while (this.bytes > this.maxBytes) this.evictOldest();
  }

  private evictOldest(): void {
    this.oldest ??= this.map.entries();
    let next = this.oldest.next();
    // A walk that reached the end stays ended, even for entries added since: start another.
    if (next.done) next = (this.oldest = this.map.entries()).next();
    const [k, v] = next.value as [K, V];
    this.map.delete(k);
    this.bytes -= v.byteLength;
    this.evictions++;
  }

  delete(key: K): void {
    const old = this.map.get(key);
    if (!old) return;
    this.bytes -= old.byteLength;
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.oldest = undefined;
    this.bytes = 0;
  }
}
