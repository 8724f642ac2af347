/** Ordered scans and batched writes over the config key space, used by the commit index. */
import { encodeCursor } from '../../datastore/cursor.js';
import type { DataStore } from '../../datastore/store.js';

const PAGE = 1000;

/** Keys under `prefix` in ascending order, starting strictly after `after` when given. */
export async function* scanKeys(store: DataStore, prefix: string, after?: string): AsyncGenerator<[string, string]> {
  let cursor = after === undefined ? undefined : encodeCursor('config', after);
  for (;;) {
    const page = await store.listConfigPage({ prefix, cursor, limit: PAGE });
    yield* page.items;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

/** Sets many keys: atomically in one transaction where the store has them, else one by one. */
export async function setConfigBatch(store: DataStore, pairs: ReadonlyArray<[string, string]>): Promise<void> {
  if (pairs.length === 0) return;
  if (store.capabilities.transactions) {
    await store.transaction(async (tx) => {
      for (const [k, v] of pairs) await tx.setConfig(k, v);
    });
    return;
  }
  for (const [k, v] of pairs) await store.setConfig(k, v);
}
