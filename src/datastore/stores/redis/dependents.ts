/**
 * The dependents index: per delta base, a sorted set of the ids kept as deltas
 * on it (score 0, so ZRANGEBYLEX pages them in id order), in the base's shard
 * — another slot than the deltas themselves, so it cannot change atomically
 * with them. It may name more ids than it should, never fewer: an id is added
 * before its delta is stored, and removed only after the delta is gone or
 * rebased; then the object is read again and its current base re-added, so
 * two writers rebasing one object cannot drop the entry it ends up needing.
 * An extra id is harmless: whoever lists it reads the entry and finds it gone
 * or on another base.
 */
import type { Client } from './connection.js';
import { decodeBase, MAX_HEADER } from './entry-value.js';
import type { RedisKeys } from './keys.js';
import { runOnSlot } from './replication.js';
import type { RedisSettings } from './settings.js';
import { forEachLimit, groupByShard, PARALLEL } from './shards.js';

/** A delta's place in the index: its base, its own id. */
export interface Dependent {
  base: string;
  id: string;
}

export class RedisDependents {
  constructor(
    private readonly client: Client,
    private readonly keys: RedisKeys,
    private readonly settings: RedisSettings,
  ) {}

  async add(deps: Dependent[]): Promise<void> {
    await this.onEachShard(deps, 'zadd');
  }

  /** Drops index entries that no longer hold, then restores what the objects now need. */
  async remove(deps: Dependent[]): Promise<void> {
    await this.onEachShard(deps, 'zrem');
    const ids = [...new Set(deps.map((d) => d.id))];
    const heads = await Promise.all(ids.map((id) => this.client.getrangeBuffer(this.keys.object(id), 0, MAX_HEADER - 1)));
    const current: Dependent[] = [];
    ids.forEach((id, i) => {
      const base = heads[i].length > 0 ? decodeBase(id, heads[i]) : null;
      if (base) current.push({ base, id });
    });
    if (current.length > 0) await this.add(current);
  }

  list(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    const min = range.after === undefined ? '-' : `(${range.after}`;
    return this.client.zrangebylex(this.keys.dependents(baseId), min, '+', 'LIMIT', 0, range.limit);
  }

  /** One pipeline per base shard (one slot), WAITing for replicas when asked. */
  private async onEachShard(deps: Dependent[], command: 'zadd' | 'zrem'): Promise<void> {
    const groups = [...groupByShard(this.keys, deps, (d) => d.base).values()];
    await forEachLimit(groups, PARALLEL, async (group) => {
      await runOnSlot(this.client, this.settings, (p) => {
        for (const { base, id } of group) {
          if (command === 'zadd') p.zadd(this.keys.dependents(base), 0, id);
          else p.zrem(this.keys.dependents(base), id);
        }
      });
    });
  }
}
