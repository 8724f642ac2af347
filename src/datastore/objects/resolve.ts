/**
 * Reading objects from their stored entries: fetches the requested entries,
 * then their delta bases a level at a time (one round trip per level, not
 * per object), and applies the deltas. Every object built is checked against
 * its id and kept in a byte-bounded cache, so chains that share bases are
 * built once. The cache is only consulted for ids whose entry was just read
 * or that a read entry names as its base, so it never answers for an object
 * the store no longer has.
 */
import type { DriverReader } from '../driver.js';
import { IntegrityError } from '../errors.js';
import { hashObject } from '../hash.js';
import { ByteLru } from '../lru-cache.js';
import type { GitObject, ObjectEntry, ObjectFormat, ObjectType } from '../types.js';
import { applyDelta } from './delta.js';
import { ENCODING, inflateDelta, inflateWhole, MAX_READ_DEPTH } from './encoding.js';

interface Built {
  type: ObjectType;
  data: Buffer;
  byteLength: number;
}

export class EntryResolver {
  private readonly cache: ByteLru<string, Built>;

  constructor(
    private readonly format: ObjectFormat,
    cacheBytes = 32 << 20,
  ) {
    this.cache = new ByteLru(cacheBytes);
  }

  /** The objects of `ids` the store has, deltas applied and hashes checked; `onEntry` sees their entries as read. */
  async resolve(reader: DriverReader, ids: string[], onEntry?: (entry: ObjectEntry) => void): Promise<Map<string, GitObject>> {
    const entries = await reader.getEntries(ids);
    if (onEntry) for (const e of entries.values()) onEntry(e);
    const known = new Map(entries);
    // Bases found in the cache, held here so that building the rest cannot evict them.
    const pinned = new Map<string, Built>();
    // Fetch the bases the cache cannot give, a level at a time.
    let wanted = this.missingBases(entries.values(), known, pinned);
    for (let level = 0; wanted.length > 0; level++) {
      if (level > MAX_READ_DEPTH) throw new IntegrityError(`a delta chain in the store is longer than ${MAX_READ_DEPTH} (corrupt, or a cycle)`);
      const found = await reader.getEntries(wanted);
      for (const [id, e] of found) known.set(id, e);
      wanted = this.missingBases(found.values(), known, pinned);
    }
    const out = new Map<string, GitObject>();
    for (const id of entries.keys()) {
      const built = this.build(id, known, pinned);
      out.set(id, { type: built.type, data: built.data });
    }
    return out;
  }

  private missingBases(entries: Iterable<ObjectEntry>, known: Map<string, ObjectEntry>, pinned: Map<string, Built>): string[] {
    const out = new Set<string>();
    for (const e of entries) {
      if (e.encoding !== ENCODING.delta || !e.base || known.has(e.base) || pinned.has(e.base)) continue;
      const cached = this.cache.get(e.base);
      if (cached) pinned.set(e.base, cached);
      else out.add(e.base);
    }
    return [...out];
  }

  private build(id: string, known: Map<string, ObjectEntry>, pinned: Map<string, Built>): Built {
    const chain: ObjectEntry[] = [];
    let at = id;
    let built: Built | undefined;
    while (!built) {
      built = pinned.get(at) ?? this.cache.get(at);
      if (built) break;
      const e = known.get(at);
      if (!e) throw new IntegrityError(`object ${id} is stored as a delta on ${at}, which is missing from the store`, { id, base: at });
      if (e.encoding !== ENCODING.delta) {
        built = this.checked(e.id, e.type, inflateWhole(e), id);
        break;
      }
      chain.push(e);
      if (chain.length > MAX_READ_DEPTH) throw new IntegrityError(`object ${id}: its delta chain is longer than ${MAX_READ_DEPTH} (corrupt, or a cycle)`, { id });
      at = e.base!;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const e = chain[i];
      if (e.type !== built.type) throw new IntegrityError(`object ${e.id} is a ${e.type} stored as a delta on a ${built.type}`, { id: e.id });
      let data: Buffer;
      try {
        data = applyDelta(built.data, inflateDelta(e));
      } catch (err) {
        throw new IntegrityError(`object ${e.id}: its stored delta is corrupt (${(err as Error).message})`, { id: e.id });
      }
      built = this.checked(e.id, e.type, data, id);
    }
    return built;
  }

  private checked(id: string, type: ObjectType, data: Buffer, requested: string): Built {
    const actual = hashObject(type, data, this.format);
    if (actual !== id) {
      const via = requested === id ? '' : ` (a delta base of ${requested})`;
      throw new IntegrityError(`object ${id}${via} is corrupt in the store: its content hashes to ${actual}`, { id, actual });
    }
    const built = { type, data, byteLength: data.byteLength };
    this.cache.set(id, built);
    return built;
  }
}
