/** A least-recently-used cache bounded by total bytes (the delta-base cache). */
export class ByteLru<K, V extends { byteLength: number }> {
  private readonly map = new Map<K, V>();
  private bytes = 0;
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
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.byteLength;
      this.evictions++;
    }
  }

  delete(key: K): void {
    const old = this.map.get(key);
    if (!old) return;
    this.bytes -= old.byteLength;
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
