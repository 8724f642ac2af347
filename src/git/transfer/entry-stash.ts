/**
 * Stored entries a clone's walk has read already (its commits and trees,
 * read to find what they reach), kept for the pack writer, which copies
 * them into the pack instead of reading each one a second time. Bounded by
 * bytes: entries past the budget are not kept (the writer reads those).
 * Each is taken once, so the stash empties as the pack is written.
 */
import type { ObjectEntry } from '../../datastore/types.js';

/** Bytes of entries a walk keeps for its pack (a clone of 150k objects, 110k of them commits and trees, keeps ~27 MB). */
export const STASH_BYTES = 64 << 20;

/** Per entry, beside its bytes: the object, its id string, the map slot. */
const OVERHEAD = 160;

export class EntryStash {
  private readonly entries = new Map<string, ObjectEntry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  add(entry: ObjectEntry): void {
    const cost = entry.bytes.byteLength + OVERHEAD;
    if (this.bytes + cost > this.maxBytes || this.entries.has(entry.id)) return;
    // A view into a larger buffer (a batch read as one) would keep all of it alive.
    const own = entry.bytes.buffer.byteLength <= 2 * entry.bytes.byteLength + 4096;
    this.entries.set(entry.id, own ? entry : { ...entry, bytes: Buffer.from(entry.bytes) });
    this.bytes += cost;
  }

  /** The entry of `id`, removed from the stash; undefined when it was not kept. */
  take(id: string): ObjectEntry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    this.entries.delete(id);
    this.bytes -= e.bytes.byteLength + OVERHEAD;
    return e;
  }

  get size(): number {
    return this.entries.size;
  }
}
