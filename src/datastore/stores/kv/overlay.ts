/**
 * The pending ops of one write, laid over the engine's state: a later op in the
 * same write sees what earlier ops did (a repository created, then its refs
 * written), and the final op list keeps only the last op per key.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { Bytes, KvEntry, KvOp, KvRange, KvSyncReader } from './engine.js';
import { compareBytes, toBuffer } from './keys.js';

const id = (k: Bytes) => toBuffer(k).toString('latin1');

export class Overlay implements KvSyncReader {
  /** Pending value per key (latin1 of the key bytes); null = deleted. */
  private readonly pending = new Map<string, { key: Bytes; value: Bytes | null }>();

  constructor(
    private readonly base: KvSyncReader,
    private readonly maxKeyBytes: number,
  ) {}

  put(key: Bytes, value: Bytes): void {
    this.checkKey(key);
    const k = id(key);
    this.pending.delete(k); // re-insert keeps op order = last write order
    this.pending.set(k, { key, value });
  }

  del(key: Bytes): void {
    const k = id(key);
    this.pending.delete(k);
    this.pending.set(k, { key, value: null });
  }

  private checkKey(key: Bytes): void {
    if (key.byteLength > this.maxKeyBytes) {
      throw new InvalidArgumentError(`a name or id makes a key of ${key.byteLength} bytes, over this store's ${this.maxKeyBytes}-byte key limit; use a shorter one`);
    }
  }

  get(key: Bytes): Bytes | undefined {
    const p = this.pending.get(id(key));
    if (p) return p.value ?? undefined;
    return this.base.get(key);
  }

  getMany(keys: Bytes[]): Array<Bytes | undefined> {
    const missing: Bytes[] = [];
    for (const k of keys) if (!this.pending.has(id(k))) missing.push(k);
    const found = missing.length > 0 ? this.base.getMany(missing) : [];
    let j = 0;
    return keys.map((k) => {
      const p = this.pending.get(id(k));
      return p ? (p.value ?? undefined) : found[j++];
    });
  }

  /** Base entries merged with pending ones in the range (forward order; used for small scans while planning). */
  *range(range: KvRange): Iterable<KvEntry> {
    const inRange = (k: Bytes) =>
      (range.gt === undefined || compareBytes(k, range.gt) > 0) &&
      (range.gte === undefined || compareBytes(k, range.gte) >= 0) &&
      (range.lt === undefined || compareBytes(k, range.lt) < 0) &&
      (range.lte === undefined || compareBytes(k, range.lte) <= 0);
    const sign = range.reverse ? -1 : 1;
    const mine = [...this.pending.values()].filter((p) => inRange(p.key)).sort((a, b) => sign * compareBytes(a.key, b.key));
    let i = 0;
    let n = 0;
    const limit = range.limit ?? Infinity;
    for (const entry of this.base.range({ ...range, limit: undefined })) {
      while (i < mine.length && sign * compareBytes(mine[i].key, entry.key) < 0) {
        const p = mine[i++];
        if (p.value !== null) {
          yield { key: p.key, value: p.value };
          if (++n >= limit) return;
        }
      }
      if (i < mine.length && compareBytes(mine[i].key, entry.key) === 0) {
        const p = mine[i++];
        if (p.value === null) continue;
        yield { key: p.key, value: p.value };
      } else {
        yield entry;
      }
      if (++n >= limit) return;
    }
    for (; i < mine.length; i++) {
      const p = mine[i];
      if (p.value === null) continue;
      yield { key: p.key, value: p.value };
      if (++n >= limit) return;
    }
  }

  ops(): KvOp[] {
    return [...this.pending.values()].map((p) => (p.value === null ? { type: 'del', key: p.key } : { type: 'put', key: p.key, value: p.value }));
  }
}
