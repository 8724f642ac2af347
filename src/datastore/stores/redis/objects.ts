/**
 * Objects: one key each, holding a type byte and the content, in 256 shards
 * by the id's first two hex digits. Each shard keeps a lex-ordered index of
 * its ids and a byte counter, updated by one script per batch so a shard is
 * never half written. Different shards (different cluster slots) are written
 * separately: objects are content-addressed and idempotent, so a batch that
 * fails half way leaves only some of its objects, each whole.
 */
import type { KeyRange } from '../../driver.js';
import type { GitObject, ObjectStat, StoredObject } from '../../types.js';
import { decodeObject, encodeObject } from './codec.js';
import type { Client, Scripts } from './connection.js';
import { runOnSlot } from './replication.js';
import { OBJECT_SHARDS, type RedisKeys } from './keys.js';
import type { RedisSettings } from './settings.js';

/** Bounds on one script call, so one batch does not stall the server. */
const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_COUNT = 1000;
/** Concurrent script calls and reads in flight. */
const PARALLEL = 32;
const READ_CHUNK = 2000;

/** Runs fn over items with at most `limit` in flight. */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

function groupByShard<T>(keys: RedisKeys, items: T[], idOf: (t: T) => string): Map<number, T[]> {
  const shards = new Map<number, T[]>();
  for (const item of items) {
    const shard = keys.shardOf(idOf(item));
    let list = shards.get(shard);
    if (!list) shards.set(shard, (list = []));
    list.push(item);
  }
  return shards;
}

export class RedisObjects {
  constructor(
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly settings: RedisSettings,
  ) {}

  private get scripts(): Scripts {
    return this.client as unknown as Scripts;
  }

  async put(objects: StoredObject[]): Promise<void> {
    const batches: Array<{ shard: number; args: Buffer[] }> = [];
    for (const [shard, list] of groupByShard(this.keys, objects, (o) => o.id)) {
      let args: Buffer[] = [];
      let bytes = 0;
      for (const o of list) {
        if (args.length > 0 && (bytes + o.data.byteLength > BATCH_BYTES || args.length >= BATCH_COUNT * 2)) {
          batches.push({ shard, args });
          args = [];
          bytes = 0;
        }
        args.push(Buffer.from(o.id), encodeObject(o));
        bytes += o.data.byteLength;
      }
      batches.push({ shard, args });
    }
    await forEachLimit(batches, PARALLEL, async ({ shard, args }) => {
      await runOnSlot(this.client, this.settings, (p) =>
        p.govcPutObjects(this.keys.shardIds(shard), this.keys.shardBytes(shard), this.keys.shardBase(shard), ...args),
      );
    });
  }

  async delete(ids: string[]): Promise<void> {
    const groups = [...groupByShard(this.keys, ids, (id) => id)];
    await forEachLimit(groups, PARALLEL, async ([shard, list]) => {
      await runOnSlot(this.client, this.settings, (p) =>
        p.govcDeleteObjects(this.keys.shardIds(shard), this.keys.shardBytes(shard), this.keys.shardBase(shard), ...list),
      );
    });
  }

  async get(id: string): Promise<GitObject | undefined> {
    const value = await this.client.getBuffer(this.keys.object(id));
    return value ? decodeObject(id, value) : undefined;
  }

  async getMany(ids: string[]): Promise<Map<string, GitObject>> {
    const out = new Map<string, GitObject>();
    for (let i = 0; i < ids.length; i += READ_CHUNK) {
      const chunk = ids.slice(i, i + READ_CHUNK);
      // Auto-pipelining groups these per node.
      const values = await Promise.all(chunk.map((id) => this.client.getBuffer(this.keys.object(id))));
      chunk.forEach((id, j) => {
        const v = values[j];
        if (v) out.set(id, decodeObject(id, v));
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

  async stat(id: string): Promise<ObjectStat | undefined> {
    const key = this.keys.object(id);
    const [head, length] = await Promise.all([this.client.getrangeBuffer(key, 0, 0), this.client.strlen(key)]);
    if (length === 0) return undefined;
    return { id, type: decodeObject(id, head).type, size: length - 1 };
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
