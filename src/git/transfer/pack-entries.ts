/**
 * A pack's entries into a store as they are: whole objects keep their zlib
 * stream, deltas keep theirs, with their base named by id. Nothing is
 * re-deflated, except a delta whose chain would grow past the depth bound,
 * which is stored whole. Entries go in batches in pack order, each delta
 * after its base (a ref-delta whose base comes later waits for it), so a
 * store interrupted half way holds only readable objects. Objects are
 * looked up and (with `verify`) checked a slice at a time, each slice
 * before any of its entries is written; a verifier of its own (a worker)
 * gets the next slices ahead of their turn, so it checks while this stores.
 */
import { IntegrityError } from '../../datastore/errors.js';
import { deflate, deltaEntry, entryDepth, ENCODING, MAX_DELTA_DEPTH } from '../../datastore/objects/encoding.js';
import type { DataStore } from '../../datastore/store.js';
import { OBJECT_TYPES, type ObjectEntry, type ObjectType } from '../../datastore/types.js';
import type { PackReader } from '../pack/pack-reader.js';
import { inThreadVerifier, type PackVerifier, type VerifiedObjects } from '../pack/pack-verifier.js';
import type { ProgressListener } from '../progress.js';
import { ID_BYTES } from '../../datastore/hash.js';

export interface PackedObject {
  id: string;
  offset: number;
  /** The object's type and size, when already known (a pack indexed by index-pack); else `verify` finds them. */
  type?: ObjectType;
  size?: number;
}

/**
 * The pack's objects by position, in offset order: an array, or a view that
 * makes each object when asked (an import's index of a million objects as
 * an array of {id, offset} took ~110 MB).
 */
export interface PackedObjectList {
  readonly length: number;
  at(i: number): PackedObject | undefined;
}

export interface PackEntriesOptions {
  /** Resolve and hash every object against its id (a pack whose ids nobody checked yet). */
  verify: boolean;
  /** Who verifies (default: the reader, in this thread). Slices are handed to it ahead of their turn, so it may work meanwhile. */
  verifier?: PackVerifier;
  /** Objects looked up in the store at a time (and between progress reports); default 1000. */
  batchSize?: number;
  /** Most entries in one write (default `batchSize`), and most bytes (default 32 MiB). */
  maxBatchEntries?: number;
  maxBatchBytes?: number;
  onProgress?: ProgressListener;
}

export interface PackEntriesResult {
  offered: number;
  added: number;
}

/** Slices whose presence check and verification run ahead of the one being stored. */
const VERIFY_AHEAD = 64;

const NOT_YET = 0;
const WRITTEN = 1;
const STORED_BEFORE = 2;

interface Pending {
  pos: number;
  /** The delta's base id, or null for a whole object. */
  base: string | null;
  /** The base's position in the pack, -1 when outside it. */
  basePos: number;
  /** Inflated size of what `zlib` holds (the object, or the delta). */
  inflated: number;
  zlib: Buffer;
}

/** The objects at positions `i..i+count` (fewer at the end). */
function sliceOf(objects: PackedObjectList, i: number, count: number): PackedObject[] {
  const slice: PackedObject[] = [];
  for (let k = i; k < Math.min(objects.length, i + count); k++) slice.push(objects.at(k)!);
  return slice;
}

/** `objects` sorted by offset: every entry of the pack. */
export async function storePackEntries(store: DataStore, reader: PackReader, objects: PackedObjectList, options: PackEntriesOptions): Promise<PackEntriesResult> {
  const n = objects.length;
  const end = reader.size - ID_BYTES[reader.format];
  const offsets = new Float64Array(n);
  for (let i = 0; i < n; i++) offsets[i] = objects.at(i)!.offset;
  const idAt = (pos: number) => objects.at(pos)!.id;
  const state = new Uint8Array(n);
  const depth = new Uint8Array(n);
  const types = new Uint8Array(n);
  const sizes = new Float64Array(n);
  /** Position of a base -> positions of the deltas waiting for it. */
  const waiting = new Map<number, number[]>();
  const batchSize = options.batchSize ?? 1000;
  const maxBatchEntries = options.maxBatchEntries ?? batchSize;
  const maxBatchBytes = options.maxBatchBytes ?? 32 << 20;
  let batch: Pending[] = [];
  let batchBytes = 0;
  let added = 0;

  const positionAt = (offset: number): number => {
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid] === offset) return mid;
      if (offsets[mid] < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  const positionOfId = (id: string): number => {
    const offset = reader.offsetOf(id);
    return offset === undefined ? -1 : positionAt(offset);
  };
  const lengthAt = (pos: number) => (pos + 1 < n ? offsets[pos + 1] : end) - offsets[pos];

  /** Reads the entry at `pos` as stored, and where its base is. */
  const pendingAt = async (pos: number): Promise<Pending> => {
    const { header, zlib } = await reader.readStored(offsets[pos], lengthAt(pos));
    if (header.kind === 'object') return { pos, base: null, basePos: -1, inflated: header.size, zlib };
    const basePos = header.kind === 'ofs-delta' ? positionAt(header.baseOffset) : positionOfId(header.baseId);
    if (header.kind === 'ofs-delta' && basePos < 0) throw new IntegrityError(`pack entry at ${offsets[pos]}: its delta base is not an entry of the pack`);
    return { pos, base: header.kind === 'ofs-delta' ? idAt(basePos) : header.baseId, basePos, inflated: header.size, zlib };
  };

  const flush = async () => {
    if (batch.length === 0) return;
    // Bases stored before this run: a delta's depth counts from the stored entry's.
    const outside = [...new Set(batch.filter((p) => p.base && (p.basePos < 0 || state[p.basePos] === STORED_BEFORE)).map((p) => p.base!))];
    const stored = outside.length ? await store.getEntries(outside) : new Map<string, ObjectEntry>();
    const entries: ObjectEntry[] = [];
    for (const p of batch) {
      const id = idAt(p.pos);
      const type = OBJECT_TYPES[types[p.pos]];
      const size = sizes[p.pos];
      if (!p.base) {
        entries.push({ id, type, size, encoding: ENCODING.whole, base: null, bytes: p.zlib });
        continue;
      }
      const storedBase = stored.get(p.base);
      const d = storedBase ? entryDepth(storedBase) + 1 : depth[p.basePos] + 1;
      if (d > MAX_DELTA_DEPTH) {
        const obj = await reader.readAt(offsets[p.pos]);
        entries.push({ id, type, size, encoding: ENCODING.whole, base: null, bytes: deflate(obj.data) });
        depth[p.pos] = 0;
      } else {
        entries.push(deltaEntry(id, type, size, p.base, d, p.inflated, p.zlib));
        depth[p.pos] = d;
      }
    }
    await store.putEntries(entries);
    added += entries.length;
    batch = [];
    batchBytes = 0;
  };

  const emit = async (p: Pending) => {
    state[p.pos] = WRITTEN;
    batch.push(p);
    batchBytes += p.zlib.byteLength;
    if (batch.length >= maxBatchEntries || batchBytes >= maxBatchBytes) await flush();
  };

  /** `pos` is now written or stored: write what waited on it, and what waited on those. */
  const release = async (pos: number) => {
    const stack = [pos];
    while (stack.length > 0) {
      const at = stack.pop()!;
      const next = waiting.get(at);
      if (!next) continue;
      waiting.delete(at);
      for (const p of next) {
        await emit(await pendingAt(p));
        stack.push(p);
      }
    }
  };

  /** Whether an object's type and size are taken as given (not asked to verify, and both known); the verifier resolves the others, in order. */
  const trusted = (o: PackedObject): o is PackedObject & { type: ObjectType; size: number } =>
    !options.verify && o.type !== undefined && o.size !== undefined;
  // The reader's own verification shares its file window with this loop: never ahead of its turn.
  const verifier = options.verifier ?? inThreadVerifier(reader);
  const lookahead = options.verifier ? VERIFY_AHEAD : 1;
  let previous: Promise<unknown> = Promise.resolve();
  let stopped = false;
  /** A slice: which of its objects the store has, and the verification of the others (under way). Presence checks go one at a time. */
  const prepare = (i: number): Promise<{ present: boolean[]; checked: Promise<VerifiedObjects> }> => {
    const prepared = previous.then(async () => {
      if (stopped) throw new Error('pack entries: stopped');
      const slice = sliceOf(objects, i, batchSize);
      const present = await store.hasObjects(slice.map((o) => o.id));
      // Objects the store has are neither verified nor written again (their type and size are not needed).
      const unchecked = slice.filter((o, k) => !present[k] && !trusted(o));
      const checked = verifier.verify(unchecked);
      checked.catch(() => undefined); // awaited in its turn; a failure ahead of it must not go unhandled meanwhile
      return { present, checked };
    });
    previous = prepared.catch(() => undefined);
    return prepared;
  };
  const ahead: Array<ReturnType<typeof prepare>> = [];
  try {
    const slices = Math.ceil(n / batchSize);
    for (let s = 0; s < slices; s++) {
      while (ahead.length < lookahead && s + ahead.length < slices) {
        const next = prepare((s + ahead.length) * batchSize);
        next.catch(() => undefined);
        ahead.push(next);
      }
      const { present, checked } = await ahead.shift()!;
      const verified = await checked;
      const i = s * batchSize;
      const slice = sliceOf(objects, i, batchSize);
      let v = 0;
      for (let k = 0; k < slice.length; k++) {
        const pos = i + k;
        const o = slice[k];
        if (present[k] && state[pos] === NOT_YET) {
          state[pos] = STORED_BEFORE;
          await release(pos);
          continue;
        }
        if (present[k]) continue;
        if (!trusted(o)) {
          types[pos] = verified.types[v];
          sizes[pos] = verified.sizes[v++];
        } else {
          types[pos] = OBJECT_TYPES.indexOf(o.type);
          sizes[pos] = o.size;
        }
        if (state[pos] !== NOT_YET) continue;
        const p = await pendingAt(pos);
        if (p.basePos >= 0 && state[p.basePos] === NOT_YET) {
          const list = waiting.get(p.basePos);
          if (list) list.push(pos);
          else waiting.set(p.basePos, [pos]);
          continue;
        }
        await emit(p);
        await release(pos);
      }
      options.onProgress?.({ phase: 'objects', done: Math.min(i + batchSize, n), total: n });
    }
  } finally {
    stopped = true; // slices prepared ahead of a failure check no more presence
  }
  await flush();
  if (waiting.size > 0) throw new IntegrityError('pack: some deltas wait on bases that never resolved (a cycle of ref-deltas)');
  return { offered: n, added };
}
