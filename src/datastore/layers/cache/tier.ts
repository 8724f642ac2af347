/**
 * Where a cache layer keeps values. Keys live in namespaces (objects, one per
 * repository's refs, repositories, users, config), each with a generation:
 * a write bumps the generations it touches, which retires every key of the
 * old one at once, and a fill made from a read that began before the bump is
 * dropped, so a slow reader never puts an old value back.
 */
import { ByteLru } from '../../lru-cache.js';

export interface TierRead {
  /** The namespace's generation when the read began; pass it to fill(). */
  gen: string;
  values: Array<Buffer | undefined>;
}

export interface CacheTier {
  /** `memory` or `redis`. */
  readonly type: string;
  /** Every process using the same tier sees the same values and generations. */
  readonly shared: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  get(ns: string, keys: string[]): Promise<TierRead>;
  /** Stores values unless `ns` moved past `gen`; `ttlMs` 0 keeps them until evicted. */
  fill(ns: string, gen: string, entries: Array<[string, Buffer]>, ttlMs: number): Promise<void>;
  bump(namespaces: Iterable<string>): Promise<void>;
  evictions(): Promise<number>;
  ping(): Promise<Record<string, unknown>>;
}

interface Slot {
  value: Buffer;
  /** Epoch ms; 0 = never. */
  expires: number;
  byteLength: number;
}

/** Per-process: a byte-bounded LRU; generations are a map in this process. */
export class MemoryTier implements CacheTier {
  readonly type = 'memory';
  readonly shared = false;
  private readonly lru: ByteLru<string, Slot>;
  private readonly gens = new Map<string, number>();

  constructor(readonly maxBytes: number) {
    this.lru = new ByteLru(maxBytes);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {
    this.lru.clear();
  }

  private gen(ns: string): string {
    return String(this.gens.get(ns) ?? 0);
  }

  async get(ns: string, keys: string[]): Promise<TierRead> {
    const gen = this.gen(ns);
    const now = Date.now();
    const values = keys.map((key) => {
      const full = `${ns}#${gen}#${key}`;
      const slot = this.lru.get(full);
      if (!slot) return undefined;
      if (slot.expires !== 0 && slot.expires <= now) {
        this.lru.delete(full);
        return undefined;
      }
      return slot.value;
    });
    return { gen, values };
  }

  async fill(ns: string, gen: string, entries: Array<[string, Buffer]>, ttlMs: number): Promise<void> {
    if (this.gen(ns) !== gen) return;
    const expires = ttlMs > 0 ? Date.now() + ttlMs : 0;
    for (const [key, value] of entries) this.lru.set(`${ns}#${gen}#${key}`, { value, expires, byteLength: value.byteLength + key.length + 64 });
  }

  async bump(namespaces: Iterable<string>): Promise<void> {
    for (const ns of namespaces) this.gens.set(ns, (this.gens.get(ns) ?? 0) + 1);
  }

  async evictions(): Promise<number> {
    return this.lru.evictions;
  }

  async ping(): Promise<Record<string, unknown>> {
    return { type: this.type, maxBytes: this.maxBytes };
  }
}
