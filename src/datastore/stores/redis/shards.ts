/** Spreading work over the object shards: grouping by shard, and a bound on calls in flight. */
import type { RedisKeys } from './keys.js';

/** Concurrent script calls and reads in flight. */
export const PARALLEL = 32;

/** Runs fn over items with at most `limit` in flight. */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

/** Items by the shard of the id `idOf` names. */
export function groupByShard<T>(keys: RedisKeys, items: T[], idOf: (t: T) => string): Map<number, T[]> {
  const shards = new Map<number, T[]>();
  for (const item of items) {
    const shard = keys.shardOf(idOf(item));
    let list = shards.get(shard);
    if (!list) shards.set(shard, (list = []));
    list.push(item);
  }
  return shards;
}
