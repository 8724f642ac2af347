/**
 * Objects: one key each, holding the entry (entry-value.ts), in 256 shards by
 * the id's first two hex digits. Each shard keeps a lex-ordered index of its
 * ids and a counter of entry bytes, updated by one script per batch so a shard
 * is never half written. Different shards (different cluster slots) are
 * written separately: objects are content-addressed and idempotent, so a batch
 * that fails half way leaves only some of its objects, each whole. Deltas are
 * also indexed by base (dependents.ts), around the writes of their entries.
 */
import type { KeyRange } from '../../driver.js';
import type { ObjectEntry, ObjectStat } from '../../types.js';
import type { Client, Scripts } from './connection.js';
import { RedisDependents, type Dependent } from './dependents.js';
import { decodeEntry, decodeStat, encodeEntry, MAX_HEADER } from './entry-value.js';
import { runOnSlot } from './replication.js';
import { OBJECT_SHARDS, type RedisKeys } from './keys.js';
import type { RedisSettings } from './settings.js';
import { forEachLimit, groupByShard, PARALLEL } from './shards.js';

/** Bounds on one script call, so one batch does not stall the server. */
const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_COUNT = 1000;
const READ_CHUNK = 2000;

/** An entry to store: kept if its id exists, unless `replace`. */
export interface EntryPut {
  entry: ObjectEntry;
  replace: boolean;
}

export class RedisObjects {
  readonly dependents: RedisDependents;

  constructor(
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly settings: RedisSettings,
  ) {
    this.dependents = new RedisDependents(client, keys, settings);
  }

  private get scripts(): Scripts {
    return this.client as unknown as Scripts;
  }

  /** Indexes the deltas first, stores the entries, then drops index entries that do not hold. */
  async put(puts: EntryPut[]): Promise<void> {
    await this.dependents.add(puts.filter((p) => p.entry.base !== null).map(({ entry }) => ({ base: entry.base!, id: entry.id })));
    const batches: EntryPut[][] = [];
    for (const list of groupByShard(this.keys, puts, (p) => p.entry.id).values()) {
      let batch: EntryPut[] = [];
      let bytes = 0;
      for (const p of list) {
        if (batch.length > 0 && (bytes + p.entry.bytes.byteLength > BATCH_BYTES || batch.length >= BATCH_COUNT)) {
          batches.push(batch);
          batch = [];
          bytes = 0;
        }
        batch.push(p);
        bytes += p.entry.bytes.byteLength;
      }
      batches.push(batch);
    }
    const stale: Dependent[] = [];
    await forEachLimit(batches, PARALLEL, async (batch) => {
      const shard = this.keys.shardOf(batch[0].entry.id);
      const args = batch.flatMap(({ entry, replace }) => [Buffer.from(entry.id), encodeEntry(entry), Buffer.from(replace ? '1' : '0')]);
      const [before] = (await runOnSlot(this.client, this.settings, (p) =>
        p.govcPutObjects(this.keys.shardIds(shard), this.keys.shardBytes(shard), this.keys.shardBase(shard), ...args),
      )) as [string[]];
      batch.forEach(({ entry, replace }, i) => {
        if (before[i] === '') return;
        const oldBase = before[i].slice(1);
        const newBase = entry.base ?? '';
        // Kept the old entry: the base indexed above may not be its base. Replaced it: the old base's index names it.
        if (!replace && newBase && newBase !== oldBase) stale.push({ base: newBase, id: entry.id });
        if (replace && oldBase && oldBase !== newBase) stale.push({ base: oldBase, id: entry.id });
      });
    });
    if (stale.length > 0) await this.dependents.remove(stale);
  }

  async delete(ids: string[]): Promise<void> {
    const stale: Dependent[] = [];
    await forEachLimit([...groupByShard(this.keys, ids, (id) => id)], PARALLEL, async ([shard, list]) => {
      const [deltas] = (await runOnSlot(this.client, this.settings, (p) =>
        p.govcDeleteObjects(this.keys.shardIds(shard), this.keys.shardBytes(shard), this.keys.shardBase(shard), ...list),
      )) as [string[]];
      for (let i = 0; i < deltas.length; i += 2) stale.push({ id: deltas[i], base: deltas[i + 1] });
    });
    if (stale.length > 0) await this.dependents.remove(stale);
  }

  /** Batches of GETs; auto-pipelining groups them per node. */
  async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    const out = new Map<string, ObjectEntry>();
    for (let i = 0; i < ids.length; i += READ_CHUNK) {
      const chunk = ids.slice(i, i + READ_CHUNK);
      const values = await Promise.all(chunk.map((id) => this.client.getBuffer(this.keys.object(id))));
      chunk.forEach((id, j) => {
        const v = values[j];
        if (v) out.set(id, decodeEntry(id, v));
      });
    }
    return out;
  }

  async has(ids: string[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (let i = 0; i < ids.length; i += READ_CHUNK) {
      const found = await Promise.all(ids.slice(i, i + READ_CHUNK).map((id) => this.client.exists(this.keys.object(id))));
      for (const n of found) out.push(n === 1);
    }
    return out;
  }

  /** The header only (and the length, which sizes an old raw value), never the bytes. */
  async stat(id: string): Promise<ObjectStat | undefined> {
    const key = this.keys.object(id);
    const [head, length] = await Promise.all([this.client.getrangeBuffer(key, 0, MAX_HEADER - 1), this.client.strlen(key)]);
    if (length === 0) return undefined;
    return decodeStat(id, head, length);
  }

  /** Ids in ascending order: the shards in order, each a ZRANGEBYLEX, a few shards per round trip. */
  async list(range: KeyRange): Promise<string[]> {
    const { prefix, after } = range;
    const from = after !== undefined && after >= prefix ? after : prefix;
    let first = from.length >= 2 ? parseInt(from.slice(0, 2), 16) : from.length === 1 ? parseInt(from, 16) * 16 : 0;
    const last = prefix.length >= 2 ? parseInt(prefix.slice(0, 2), 16) : prefix.length === 1 ? parseInt(prefix, 16) * 16 + 15 : OBJECT_SHARDS - 1;
    const min = after !== undefined && after >= prefix ? `(${after}` : prefix ? `[${prefix}` : '-';
    // Hex ids sort below 'g', so prefix + 'g' bounds every id with that prefix.
    const max = prefix ? `(${prefix}g` : '+';
    const out: string[] = [];
    const step = 8;
    while (first <= last && out.length < range.limit) {
      const shards = [];
      for (let s = first; s <= Math.min(last, first + step - 1); s++) shards.push(s);
      const need = range.limit - out.length;
      const pages = await Promise.all(shards.map((s) => this.client.zrangebylex(this.keys.shardIds(s), min, max, 'LIMIT', 0, need)));
      for (const page of pages) {
        for (const id of page) {
          if (out.length >= range.limit) break;
          out.push(id);
        }
      }
      first += step;
    }
    return out;
  }

  async stats(): Promise<{ objectCount: number; storageBytes: number }> {
    const shards = Array.from({ length: OBJECT_SHARDS }, (_, s) => s);
    const [counts, bytes] = await Promise.all([
      Promise.all(shards.map((s) => this.client.zcard(this.keys.shardIds(s)))),
      Promise.all(shards.map((s) => this.client.get(this.keys.shardBytes(s)))),
    ]);
    return { objectCount: counts.reduce((a, b) => a + b, 0), storageBytes: bytes.reduce((a, b) => a + Number(b ?? 0), 0) };
  }
}
