/**
 * Choosing the objects of a pack from a store and writing it, by the
 * protocol engine's own walk (what upload-pack sends): everything reachable
 * from `wants` that the client, having `haves`, lacks.
 */
import type { Writable } from 'node:stream';
import type { DataStore } from '../../datastore/store.js';
import { Walker, type ObjectToSend } from '../protocol/walk.js';
import { EntryStash, STASH_BYTES } from './entry-stash.js';
import type { SendList } from './send-list.js';
import { writeStoredPack, type WrittenStoredPack } from './stored-pack.js';

/** Ids (with types and delta hints) reachable from `wants` and not from what `haves` reach. Haves the store lacks are ignored. */
export async function collectObjects(store: DataStore, wants: readonly string[], haves: readonly string[] = []): Promise<ObjectToSend[]> {
  return [...(await objectsFor(store, wants, haves))];
}

async function objectsFor(store: DataStore, wants: readonly string[], haves: readonly string[], stash?: EntryStash): Promise<SendList> {
  const known = haves.length === 0 ? [] : (await store.hasObjects([...haves])).map((has, i) => (has ? haves[i] : undefined)).filter((id): id is string => !!id);
  return new Walker(store).objectsToSend(wants, known, { stash });
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
  // The walk's commit and tree entries go into the pack as read.
  const stash = new EntryStash(STASH_BYTES);
  const sending = await objectsFor(store, wants, haves, stash);
  return writeStoredPack(store, sending, out, { format: store.objectFormat, ofsDelta: true, deltas: options.deltas ?? true, index: true, stash });
}
