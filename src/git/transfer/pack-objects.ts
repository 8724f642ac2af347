/**
 * Choosing the objects of a pack from a store: everything reachable from
 * `wants` that is not reachable from `haves`, and the pack of them.
 */
import type { Writable } from 'node:stream';
import type { DataStore } from '../../datastore/store.js';
import { reachableObjects, type ReachableObject } from '../history/reachable.js';
import { ObjectReader } from '../store/object-reader.js';
import { writeStoredPack, type WrittenStoredPack } from './stored-pack.js';

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

/**
 * Streams a pack of what a client needs to `out`, which is not ended: stored
 * entries copied as they are (writeStoredPack), with ofs-deltas. Returns the
 * pack's checksum, count and index entries.
 */
export async function writePackFor(
  store: DataStore,
  wants: readonly string[],
  haves: readonly string[],
  out: Writable,
  options: { deltas?: boolean } = {},
): Promise<WrittenStoredPack> {
  const objects = await collectObjects(store, wants, haves);
  const sending = objects.map((o) => ({ id: o.id, type: o.type, name: o.name?.toString('latin1') }));
  return writeStoredPack(store, sending, out, { format: store.objectFormat, ofsDelta: true, deltas: options.deltas ?? true, index: true });
}
