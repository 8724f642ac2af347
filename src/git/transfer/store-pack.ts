/**
 * A pack arriving as a stream into a store: spooled to a temp file, indexed,
 * thin-pack bases taken where `externalBases` allows, and the entries the
 * store lacks stored as the pack holds them. Refs are the caller's business.
 */
import type { Readable } from 'node:stream';
import type { DataStore } from '../../datastore/store.js';
import type { ExternalBases } from '../pack/index-pack.js';
import { receivePack } from '../pack/receive-pack.js';
import { storePackEntries } from './pack-entries.js';
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
    // Entries as the pack holds them; index-pack resolved and hashed every object already.
    const stored = await storePackEntries(store, pack.reader, pack.entries, { verify: false, batchSize: options.batchSize, onProgress: options.onProgress });
    return { objects: pack.entries.map((e) => ({ id: e.id, type: e.type })), added: stored.added, checksum: pack.checksum, externalBases: pack.externalBases };
  } finally {
    await pack.close();
  }
}
