/**
 * Writes a pack from stored entries, reusing them as git's pack-objects
 * reuses its packs: a whole entry's zlib stream is copied as it is; a delta
 * goes out as a delta (ofs-delta, or ref-delta for clients without ofs-delta)
 * when its base is in the same pack, written first if the base comes later,
 * or as a ref-delta when the client has the base (thin packs). Only what is
 * left (a delta on a base the client lacks and does not get, or an entry of
 * a store from before entries were encoded) is built and deflated afresh.
 */
import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { IntegrityError } from '../../datastore/errors.js';
import { deltaParts, ENCODING } from '../../datastore/objects/encoding.js';
import type { DataStore } from '../../datastore/store.js';
import type { GitObject, ObjectEntry, ObjectFormat, ObjectType } from '../../datastore/types.js';
import { encodeEntryHeader, encodeOfsDeltaHeader, encodeRefDeltaHeader } from '../pack/entry-header.js';
import type { IndexEntry } from '../pack/pack-index.js';
import { EntryEncoder, HashingSink, packHeader } from '../pack/pack-writer.js';
import type { EntryStash } from './entry-stash.js';

export interface SendObject {
  id: string;
  type: ObjectType;
  /** Delta hint for objects built afresh (the path or entry name). */
  name?: string;
}

export interface StoredPackOptions {
  format: ObjectFormat;
  /** The client takes ofs-deltas; otherwise in-pack deltas go out as ref-deltas. */
  ofsDelta: boolean;
  /** Objects the client has, for a thin pack: a stored delta on one goes out as a ref-delta. */
  clientHas?: (id: string) => boolean;
  /** Objects built afresh may be deltified against the previous one of the same name. */
  deltas?: boolean;
  /** zlib level for objects built afresh. */
  level?: number;
  /** Collect each entry's id, offset and CRC32 for an .idx (export). */
  index?: boolean;
  /** Entries read already (by the walk that chose the objects): taken from here instead of read again. */
  stash?: EntryStash;
  /** Called after each object with how many are written. */
  onObject?: (written: number) => void;
}

export interface WrittenStoredPack {
  count: number;
  bytes: number;
  checksum: string;
  /** Entries copied as stored. */
  reused: number;
  /** Objects built and deflated afresh. */
  rebuilt: number;
  /** With `index`: what writePackIndex needs. */
  entries: IndexEntry[];
}

const MAX_BATCH = 256;
/** Entry bytes one batch of reads aims at: batches shrink after large entries, so memory stays bounded. */
const BATCH_BYTES = 16 << 20;
const MAX_CHAIN = 64;

/** Streams the pack to `out` (not ended: the caller frames and ends it). */
export async function writeStoredPack(store: DataStore, sending: readonly SendObject[], out: Writable, options: StoredPackOptions): Promise<WrittenStoredPack> {
  // One map for every object of the pack (a million ids cost ~100 MB a map): -(its place + 1) until written, then its offset (>= 12).
  const slots = new Map<string, number>();
  const objects: SendObject[] = [];
  for (const o of sending) if (!slots.has(o.id)) slots.set(o.id, -objects.push(o));
  const offsetOf = (id: string): number | undefined => {
    const v = slots.get(id);
    return v !== undefined && v > 0 ? v : undefined;
  };
  const written = (id: string) => (slots.get(id) ?? 0) > 0;
  let writtenCount = 0;
  const sink = new HashingSink(out, options.format);
  await sink.write(packHeader(objects.length));
  const encoder = new EntryEncoder(options.level ?? 1, options.deltas ?? false);
  let reused = 0;
  let rebuilt = 0;
  const index: IndexEntry[] = [];

  /** The entries of `ids`: from the stash, the rest in one read. */
  const readEntries = async (ids: string[]): Promise<Map<string, ObjectEntry>> => {
    const stash = options.stash;
    if (!stash || stash.size === 0) return store.getEntries(ids);
    const found = new Map<string, ObjectEntry>();
    const rest: string[] = [];
    for (const id of ids) {
      const e = stash.take(id);
      if (e) found.set(id, e);
      else rest.push(id);
    }
    if (rest.length > 0) for (const [id, e] of await store.getEntries(rest)) found.set(id, e);
    return found;
  };

  /** A delta entry that can go out as it is: its base is written, or the client has it. */
  const reusable = (e: ObjectEntry) => e.encoding === ENCODING.whole || (e.encoding === ENCODING.delta && (written(e.base!) || options.clientHas?.(e.base!) === true));

  const write = async (obj: SendObject, entry: ObjectEntry, built?: GitObject) => {
    const offset = sink.bytes;
    // Header and payload go out apart: a large entry is never copied into one buffer.
    let parts: Buffer[];
    if (entry.encoding === ENCODING.whole) {
      parts = [encodeEntryHeader(entry.type, entry.size), Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength)];
      reused++;
    } else if (entry.encoding === ENCODING.delta && reusable(entry)) {
      const { deltaSize, zlib } = deltaParts(entry);
      const baseOffset = offsetOf(entry.base!);
      const header =
        baseOffset !== undefined && options.ofsDelta ? encodeOfsDeltaHeader(deltaSize, offset - baseOffset) : encodeRefDeltaHeader(deltaSize, entry.base!);
      parts = [header, zlib];
      reused++;
    } else {
      const data = built ?? (entry.encoding === ENCODING.raw ? { type: entry.type, data: entry.bytes } : undefined);
      if (!data) throw new IntegrityError(`object ${obj.id} could not be built for the pack`);
      parts = [encoder.encode({ type: data.type, data: data.data, name: obj.name }, offset)];
      rebuilt++;
    }
    slots.set(obj.id, offset);
    writtenCount++;
    if (options.index) index.push({ id: obj.id, offset, crc32: parts.reduce((crc, p) => crc32(p, crc), 0) });
    for (const p of parts) await sink.write(p);
    options.onObject?.(writtenCount);
  };

  /** Writes `entry` after the bases it needs that this pack sends later (depth first). */
  const writeWithBases = async (obj: SendObject, entry: ObjectEntry, built: Map<string, GitObject>) => {
    const chain: Array<{ obj: SendObject; entry: ObjectEntry }> = [{ obj, entry }];
    for (let e = entry; e.encoding === ENCODING.delta && !written(e.base!) && slots.has(e.base!); ) {
      if (chain.length > MAX_CHAIN) throw new IntegrityError(`object ${obj.id}: delta chain longer than ${MAX_CHAIN} in the store`);
      const base = objects[-slots.get(e.base!)! - 1];
      const found = (await readEntries([base.id])).get(base.id);
      if (!found) throw new IntegrityError(`object ${base.id} is missing from the store`);
      chain.push({ obj: base, entry: found });
      e = found;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i];
      if (written(c.obj.id)) continue;
      const data = built.get(c.obj.id) ?? (!reusable(c.entry) && c.entry.encoding === ENCODING.delta ? (await store.getObjects([c.obj.id])).get(c.obj.id) : undefined);
      await write(c.obj, c.entry, data);
    }
  };

  try {
    // Blobs may be large, and their sizes are unknown until read: a batch never mixes blobs with other
    // objects, and blob batches start small, at most double, and keep within BATCH_BYTES of the largest
    // blob of the last batch. (A long run of small blobs followed by many large ones can still read up
    // to MAX_BATCH of those at once: only a bulk size lookup in the stores would bound that.)
    let blobLargest = 0;
    let blobBatch = 4;
    for (let i = 0; i < objects.length; ) {
      const blobs = objects[i].type === 'blob';
      const limit = blobs ? Math.max(1, Math.min(MAX_BATCH, 2 * blobBatch, Math.floor(BATCH_BYTES / (blobLargest || 2 << 20)))) : MAX_BATCH;
      let end = i + 1;
      while (end < objects.length && end - i < limit && (objects[end].type === 'blob') === blobs) end++;
      const slice = objects.slice(i, end).filter((o) => !written(o.id));
      if (blobs) blobBatch = end - i;
      i = end;
      const entries = await readEntries(slice.map((o) => o.id));
      if (blobs && entries.size > 0) blobLargest = Math.max(...[...entries.values()].map((e) => e.bytes.byteLength));
      // Deltas whose base the client lacks and this pack does not send: built, one read for the batch.
      const lost = slice.filter((o) => {
        const e = entries.get(o.id);
        return e && e.encoding === ENCODING.delta && !slots.has(e.base!) && !options.clientHas?.(e.base!);
      });
      const built = lost.length ? await store.getObjects(lost.map((o) => o.id)) : new Map<string, GitObject>();
      for (const obj of slice) {
        if (written(obj.id)) continue;
        const entry = entries.get(obj.id);
        if (!entry) throw new IntegrityError(`object ${obj.id} is missing from the store`);
        await writeWithBases(obj, entry, built);
      }
    }
  } finally {
    encoder.close();
  }
  const checksum = await sink.finish();
  return { count: objects.length, bytes: sink.bytes, checksum: checksum.toString('hex'), reused, rebuilt, entries: index };
}
