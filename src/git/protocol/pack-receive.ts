/**
 * Receiving a pack, the one way push and import-from-a-stream share: spooled
 * to a temporary file and indexed (every object resolved and hashed once,
 * checked as git's fsckObjects does when asked, size limits applied), held in
 * quarantine while the caller checks it, then its entries stored as the pack
 * holds them.
 */
import { CapacityError, IntegrityError } from '../../datastore/errors.js';
import type { DataStore } from '../../datastore/store.js';
import { limitMessage, settingOf, type ProtocolLimits } from './limits.js';
import { fsckObject } from '../objects/fsck.js';
import { receivePack, type ExternalBases } from '../pack/index.js';
import { storePackEntries } from '../transfer/pack-entries.js';
import type { ProgressListener } from '../progress.js';
import { QuarantinedObjects } from '../transfer/quarantine.js';

export interface QuarantineOptions {
  tmpDir?: string;
  /** Where a thin pack's bases may come from; without it a thin pack is refused. */
  externalBases?: ExternalBases;
  /** Check every object as git's receive.fsckObjects does. */
  fsck: boolean;
  /** Bytes of one inflated object (maxObjectSize), and of all of them (maxRepositorySize). */
  limits?: ProtocolLimits;
}

export async function quarantinePack(store: DataStore, input: AsyncIterable<Uint8Array>, options: QuarantineOptions): Promise<QuarantinedObjects> {
  const format = store.objectFormat;
  const { limits } = options;
  const pack = await receivePack(input, {
    format,
    tmpDir: options.tmpDir,
    externalBases: options.externalBases,
    objectLimit: limits ? { bytes: limits.maxObjectSize, setting: settingOf(limits, 'maxObjectSize') } : undefined,
    onObject: options.fsck
      ? (id, type, data) => {
          const problems = fsckObject(id, type, data, format);
          if (problems.length > 0) throw new IntegrityError(problems[0].message, { id, problem: problems[0].id });
        }
      : undefined,
  });
  if (limits) {
    let total = 0;
    for (const e of pack.entries) total += e.size;
    if (total > limits.maxRepositorySize) {
      await pack.close();
      throw new CapacityError(limitMessage(`this push's ${total} bytes of objects`, 'maxRepositorySize', limits));
    }
  }
  return new QuarantinedObjects(store, pack);
}

/** Out of quarantine: the pack's entries into the store as they are (index-pack hashed them already). Returns how many were new. */
export async function storeQuarantined(
  store: DataStore,
  quarantine: QuarantinedObjects,
  options: { batchSize?: number; maxBatchBytes?: number; onProgress?: ProgressListener } = {},
): Promise<number> {
  const { pack } = quarantine;
  const stored = await storePackEntries(store, pack.reader, pack.entries, { verify: false, ...options });
  return stored.added;
}
