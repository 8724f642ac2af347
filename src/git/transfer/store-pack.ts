/**
 * A pack arriving as a stream (git push, receive-pack) into a store: spooled
 * to a temp file, indexed, thin-pack bases read from the store, and the
 * objects the store lacks put in batches. Refs are the caller's business.
 */
import type { Readable } from 'node:stream';
import type { DataStore } from '../../datastore/store.js';
import type { ExternalBases } from '../pack/index-pack.js';
import { receivePack } from '../pack/receive-pack.js';
import { ObjectBatcher } from './object-batcher.js';
import type { ProgressListener } from './progress.js';

export interface StoredPack {
  /** Every object of the pack, in pack order (id and type). */
  objects: Array<{ id: string; type: string }>;
  added: number;
  checksum: string;
  externalBases: string[];
}

/**
 * Lets a thin pack build on any object of the store. Only for input as
 * trusted as the store itself (an administrator's import), never for a push:
 * a push may build only on what its repository reaches.
 */
export function anyStoredBase(store: DataStore): ExternalBases {
  return {
    async admit(ids) {
      const present = await store.hasObjects(ids);
      return new Set(ids.filter((_, i) => present[i]));
    },
    read: (id) => store.getObject(id),
  };
}

/** Without `externalBases` a thin pack is refused. */
export async function storePackStream(
  store: DataStore,
  input: Readable | AsyncIterable<Uint8Array>,
  options: { tmpDir?: string; batchSize?: number; onProgress?: ProgressListener; externalBases?: ExternalBases } = {},
): Promise<StoredPack> {
  const pack = await receivePack(input, { format: store.objectFormat, externalBases: options.externalBases, tmpDir: options.tmpDir });
  try {
    const batcher = new ObjectBatcher(store, options.batchSize ?? 1000);
    const size = batcher.batchSize;
    for (let i = 0; i < pack.entries.length; i += size) {
      const slice = pack.entries.slice(i, i + size);
      const missing = new Set(await batcher.missing(slice.map((e) => e.id)));
      for (const e of slice) if (missing.has(e.id)) await batcher.add({ id: e.id, ...(await pack.readAt(e.offset)) });
      options.onProgress?.({ phase: 'objects', done: Math.min(i + size, pack.entries.length), total: pack.entries.length });
    }
    await batcher.flush();
    return { objects: pack.entries.map((e) => ({ id: e.id, type: e.type })), added: batcher.stats.added, checksum: pack.checksum, externalBases: pack.externalBases };
  } finally {
    await pack.close();
  }
}
