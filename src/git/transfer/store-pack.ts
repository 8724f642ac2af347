/**
 * A pack arriving as a stream into a store, by the protocol engine's own pack
 * receiving (protocol/pack-receive.ts): spooled, indexed, thin-pack bases
 * taken where `externalBases` allows, the entries the store lacks stored as
 * the pack holds them. Refs are the caller's business.
 */
import type { Readable } from 'node:stream';
import type { DataStore } from '../../datastore/store.js';
import type { ExternalBases } from '../pack/index-pack.js';
import { quarantinePack, storeQuarantined } from '../protocol/pack-receive.js';
import type { ProgressListener } from '../progress.js';

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
  options: { tmpDir?: string; batchSize?: number; onProgress?: ProgressListener; externalBases?: ExternalBases; fsck?: boolean } = {},
): Promise<StoredPack> {
  const quarantine = await quarantinePack(store, input, { tmpDir: options.tmpDir, externalBases: options.externalBases, fsck: options.fsck ?? false });
  const { pack } = quarantine;
  try {
    const added = await storeQuarantined(store, quarantine, { batchSize: options.batchSize, onProgress: options.onProgress });
    return { objects: pack.entries.map((e) => ({ id: e.id, type: e.type })), added, checksum: pack.checksum, externalBases: pack.externalBases };
  } finally {
    await pack.close();
  }
}
