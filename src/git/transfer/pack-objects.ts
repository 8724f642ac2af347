/**
 * Choosing and streaming the objects of a pack from a store (clone, fetch,
 * export): everything reachable from `wants` that is not reachable from
 * `haves`, then the objects themselves in batches.
 */
import type { Writable } from 'node:stream';
import { IntegrityError } from '../../datastore/errors.js';
import type { DataStore } from '../../datastore/store.js';
import { reachableObjects, type ReachableObject } from '../history/reachable.js';
import { writePack, type PackInput, type WritePackOptions, type WrittenPack } from '../pack/pack-writer.js';
import { ObjectReader } from '../store/object-reader.js';

/** Ids (with types) reachable from `wants` but not from `haves`. Haves the store lacks are ignored. */
export async function collectObjects(store: DataStore, wants: readonly string[], haves: readonly string[] = []): Promise<ReachableObject[]> {
  const reader = new ObjectReader(store);
  const seen = new Set<string>();
  const known = haves.length === 0 ? [] : (await store.hasObjects([...haves])).map((has, i) => (has ? haves[i] : undefined)).filter((id): id is string => !!id);
  for await (const _ of reachableObjects(reader, known, seen)) {
    // marks everything the client has as seen
  }
  const out: ReachableObject[] = [];
  for await (const obj of reachableObjects(reader, wants, seen)) out.push(obj);
  return out;
}

/** The objects (ids, or reachable objects with name hints) read from the store in batches, in the order given. */
export async function* readObjects(store: DataStore, wanted: ReadonlyArray<string | ReachableObject>, batchSize = 1000): AsyncGenerator<PackInput & { id: string }> {
  for (let i = 0; i < wanted.length; i += batchSize) {
    const slice = wanted.slice(i, i + batchSize).map((w) => (typeof w === 'string' ? { id: w, name: undefined } : w));
    const found = await store.getObjects(slice.map((w) => w.id));
    for (const { id, name } of slice) {
      const obj = found.get(id);
      if (!obj) throw new IntegrityError(`object ${id} is reachable but missing from the store`, { id });
      yield { id, type: obj.type, data: obj.data, name };
    }
  }
}

/**
 * Streams a pack of what a client needs (upload-pack) to `out`, which is not
 * ended. Deltas between versions of the same file are on unless
 * `deltas: false`. Returns the written pack's checksum, count and entries.
 */
export async function writePackFor(
  store: DataStore,
  wants: readonly string[],
  haves: readonly string[],
  out: Writable,
  options: Omit<WritePackOptions, 'count'> = {},
): Promise<WrittenPack> {
  const objects = await collectObjects(store, wants, haves);
  return writePack(readObjects(store, objects), out, { format: store.objectFormat, deltas: true, ...options, count: objects.length });
}
