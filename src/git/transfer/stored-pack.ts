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
import { IdList } from '../../datastore/id-list.js';
import { deltaParts, ENCODING } from '../../datastore/objects/encoding.js';
import type { DataStore } from '../../datastore/store.js';
import type { GitObject, ObjectEntry, ObjectFormat, ObjectType } from '../../datastore/types.js';
import { encodeEntryHeader, encodeOfsDeltaHeader, encodeRefDeltaHeader } from '../pack/entry-header.js';
import type { IndexColumns } from '../pack/pack-index.js';
import { EntryEncoder, HashingSink, packHeader } from '../pack/pack-writer.js';
import type { EntryStash } from './entry-stash.js';
import { SendList, type SendObject } from './send-list.js';

export type { SendObject } from './send-list.js';

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
  /** With `index`: what writePackIndex needs (empty without). */
  entries: IndexColumns;
}

const MAX_BATCH = 1024;
/** Entry bytes one batch of reads aims at: batches shrink after large entries, so memory stays bounded. */
const BATCH_BYTES = 16 << 20;
const MAX_CHAIN = 64;

/** Streams the pack to `out` (not ended: the caller frames and ends it). */
export async function writeStoredPack(store: DataStore, sending: SendList | readonly SendObject[], out: Writable, options: StoredPackOptions): Promise<WrittenStoredPack> {
  // Each object by its place in the list; its offset once written (>= 12: after the header), 0 before.
  const objects = sending instanceof SendList ? sending : SendList.from(sending);
  const offsets = new Float64Array(objects.length);
  const crc32s = new Uint32Array(options.index ? objects.length : 0);
  // A delta's base is looked up several times in a row (in the pack? written? where?): the last answer is kept.
  let lastId = '';
  let lastPos = -1;
  const positionOf = (id: string) => (id === lastId ? lastPos : ((lastId = id), (lastPos = objects.indexOf(id))));
  const inPack = (id: string) => positionOf(id) >= 0;
  const offsetOf = (id: string): number | undefined => {
    const pos = positionOf(id);
    return pos >= 0 && offsets[pos] > 0 ? offsets[pos] : undefined;
  };
  const written = (id: string) => offsetOf(id) !== undefined;
  let writtenCount = 0;
  const sink = new HashingSink(out, options.format);
  await sink.write(packHeader(objects.length));
  const encoder = new EntryEncoder(options.level ?? 1, options.deltas ?? false);
  let reused = 0;
  let rebuilt = 0;

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

  const write = async (pos: number, obj: SendObject, entry: ObjectEntry, built?: GitObject) => {
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
    offsets[pos] = offset;
    writtenCount++;
    if (options.index) crc32s[pos] = parts.reduce((crc, p) => crc32(p, crc), 0);
    for (const p of parts) await sink.write(p);
    options.onObject?.(writtenCount);
  };

  /** An in-pack delta base not written yet (it comes later in the pack), or undefined. */
  const unwrittenBase = (e: ObjectEntry): string | undefined => {
    if (e.encoding !== ENCODING.delta) return undefined;
    const pos = positionOf(e.base!);
    return pos >= 0 && offsets[pos] === 0 ? e.base! : undefined;
  };

  /**
   * The entries of the bases `batch` needs written before it that are not in it, read a level of the chains at a
   * time: one read each was a round trip per base (a clone of the bench repository made 38k reads for 39k blobs).
   * Stops past BATCH_BYTES; writeWithBases reads what is left one at a time.
   */
  const readBases = async (batch: Map<string, ObjectEntry>): Promise<Map<string, ObjectEntry>> => {
    const bases = new Map<string, ObjectEntry>();
    let level = [...batch.values()];
    for (let depth = 0, bytes = 0; level.length > 0 && depth < MAX_CHAIN && bytes < BATCH_BYTES; depth++) {
      const wanted = new Set<string>();
      for (const e of level) {
        const base = unwrittenBase(e);
        if (base !== undefined && !batch.has(base) && !bases.has(base)) wanted.add(base);
      }
      if (wanted.size === 0) break;
      const found = await readEntries([...wanted]);
      for (const [id, e] of found) (bases.set(id, e), (bytes += e.bytes.byteLength));
      level = [...found.values()];
    }
    return bases;
  };

  /** Writes `entry` after the bases it needs that this pack sends later (depth first), found in `near` when read already. */
  const writeWithBases = async (pos: number, entry: ObjectEntry, built: Map<string, GitObject>, near: ReadonlyArray<Map<string, ObjectEntry>>) => {
    const chain: Array<{ pos: number; obj: SendObject; entry: ObjectEntry }> = [{ pos, obj: objects.at(pos), entry }];
    for (let e = entry, basePos: number; e.encoding === ENCODING.delta && (basePos = positionOf(e.base!)) >= 0 && offsets[basePos] === 0; ) {
      if (chain.length > MAX_CHAIN) throw new IntegrityError(`object ${chain[0].obj.id}: delta chain longer than ${MAX_CHAIN} in the store`);
      const base = objects.at(basePos);
      const found = near.find((m) => m.has(base.id))?.get(base.id) ?? (await readEntries([base.id])).get(base.id);
      if (!found) throw new IntegrityError(`object ${base.id} is missing from the store`);
      chain.push({ pos: basePos, obj: base, entry: found });
      e = found;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i];
      if (offsets[c.pos] > 0) continue;
      const data = built.get(c.obj.id) ?? (!reusable(c.entry) && c.entry.encoding === ENCODING.delta ? (await store.getObjects([c.obj.id])).get(c.obj.id) : undefined);
      await write(c.pos, c.obj, c.entry, data);
    }
  };

  try {
    // Blobs may be large, and their sizes are unknown until read: the blobs of a batch start few, at most
    // double, and keep within BATCH_BYTES of the largest blob of the last batch read; commits and trees
    // (small, mostly in the stash) fill the rest of its MAX_BATCH. A clone lists trees and their new blobs
    // in turn, so batches of one kind only were a read per blob. (A long run of small blobs followed by many
    // large ones can still read up to MAX_BATCH of those at once: only a bulk size lookup in the stores
    // would bound that.) The next batch is read while one is written: a store over the network
    // (PostgreSQL) otherwise leaves the writer idle for a round trip per batch. So two batches are held.
    let blobLargest = 0;
    let blobBatch = 4;
    const readBatch = (i: number) => {
      const blobLimit = Math.max(1, Math.min(MAX_BATCH, 2 * blobBatch, Math.floor(BATCH_BYTES / (blobLargest || 2 << 20))));
      let end = i;
      let blobCount = 0;
      for (; end < objects.length && end - i < MAX_BATCH; end++) {
        if (objects.typeAt(end) !== 'blob') continue;
        if (blobCount === blobLimit) break;
        blobCount++;
      }
      const positions: number[] = [];
      for (let p = i; p < end; p++) if (offsets[p] === 0) positions.push(p);
      if (blobCount > 0) blobBatch = blobCount;
      const slice = positions.map((p) => objects.at(p));
      const entries = readEntries(slice.map((o) => o.id));
      // Awaited below; a failure of the batch being written first must not leave this one unhandled.
      entries.catch(() => undefined);
      return { end, positions, slice, blobCount, entries };
    };
    for (let batch = objects.length > 0 ? readBatch(0) : undefined; batch; ) {
      const { positions, slice } = batch;
      const entries = await batch.entries;
      if (batch.blobCount > 0) blobLargest = largestBlob(entries);
      batch = batch.end < objects.length ? readBatch(batch.end) : undefined;
      // Deltas whose base the client lacks and this pack does not send: built, one read for the batch.
      const lost = slice.filter((o) => {
        const e = entries.get(o.id);
        return e && e.encoding === ENCODING.delta && !inPack(e.base!) && !options.clientHas?.(e.base!);
      });
      const built = lost.length ? await store.getObjects(lost.map((o) => o.id)) : new Map<string, GitObject>();
      const near = [entries, await readBases(entries)];
      for (let k = 0; k < slice.length; k++) {
        if (offsets[positions[k]] > 0) continue;
        const entry = entries.get(slice[k].id);
        if (!entry) throw new IntegrityError(`object ${slice[k].id} is missing from the store`);
        await writeWithBases(positions[k], entry, built, near);
      }
    }
  } finally {
    encoder.close();
  }
  const checksum = await sink.finish();
  const entries = options.index ? { ids: objects.ids.ids, offsets, crc32s } : { ids: new IdList(1), offsets: new Float64Array(0), crc32s };
  return { count: objects.length, bytes: sink.bytes, checksum: checksum.toString('hex'), reused, rebuilt, entries };
}

/** Bytes of the largest blob entry among `entries` (0 when none). */
function largestBlob(entries: Map<string, ObjectEntry>): number {
  let largest = 0;
  for (const e of entries.values()) if (e.type === 'blob') largest = Math.max(largest, e.bytes.byteLength);
  return largest;
}
