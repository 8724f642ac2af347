/**
 * Indexes a pack that has no .idx yet (a pack received by push): one
 * sequential pass records every entry's offset, CRC32 and, for whole objects,
 * id; then deltas are resolved base first, each once, like `git index-pack`:
 * every entry waits on its base (by offset or id), so the work is linear in
 * the pack whatever order its entries come in.
 *
 * Thin packs: ref-delta bases the pack lacks are offered to `externalBases`,
 * which says which of them the pack may build on (for a push, those reachable
 * from the target repository's refs). A base it refuses is never read, so a
 * refusal reveals nothing about it, not even whether it exists.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { IntegrityError } from '../../datastore/errors.js';
import { hashObject, ID_BYTES, objectHeader } from '../../datastore/hash.js';
import type { GitObject, ObjectFormat, ObjectType } from '../../datastore/types.js';
import { missingBaseError, PackReader, type ObjectLimit } from './pack-reader.js';
import { writePackIndex, type IndexEntry } from './pack-index.js';

export interface IndexedEntry extends IndexEntry {
  type: ObjectType;
  size: number;
}

export interface IndexedPack {
  /** Entries in pack order, with ids. */
  entries: IndexedEntry[];
  checksum: string;
  /** Ids of ref-delta bases that came from outside the pack (thin pack). */
  externalBases: string[];
  /** The reader, still open: read objects with `reader.readAt(entry.offset)`; close it when done. */
  reader: PackReader;
}

/** Where a thin pack's missing delta bases may come from. */
export interface ExternalBases {
  /** The subset of `ids` the pack may use as delta bases; the rest are refused unread. */
  admit(ids: string[]): Promise<Set<string>>;
  /** An admitted base. */
  read(id: string): Promise<GitObject | undefined>;
}

export interface IndexPackOptions {
  format?: ObjectFormat;
  /** Without it a thin pack is refused. */
  externalBases?: ExternalBases;
  cacheBytes?: number;
  objectLimit?: ObjectLimit;
  /** Sees every object once, as it is resolved (e.g. to check it as git's fsck does), but blobs over 8 MiB; a throw refuses the pack. */
  onObject?: (id: string, type: ObjectType, data: Buffer) => void;
}

/** Blobs larger than this are hashed as they stream while indexing, never held whole. */
const STREAM_BLOB_BYTES = 8 << 20;

async function fileChecksum(path: string, length: number, format: ObjectFormat): Promise<Buffer> {
  const hash = createHash(format);
  if (length > 0) for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) hash.update(chunk as Buffer);
  return hash.digest();
}

function push(map: Map<number, number[]>, key: number, value: number): void;
function push(map: Map<string, number[]>, key: string, value: number): void;
function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export async function indexPackFile(packPath: string, options: IndexPackOptions = {}): Promise<IndexedPack> {
  const format = options.format ?? 'sha1';
  const idBytes = ID_BYTES[format];
  const handle = await open(packPath, 'r');
  const { size } = await handle.stat();
  const byId = new Map<string, number>();
  const admitted = new Set<string>();
  const resolveExternal = async (id: string) => (admitted.has(id) ? options.externalBases?.read(id) : undefined);
  const reader = new PackReader(handle, size, (id) => byId.get(id), { format, resolveExternal, cacheBytes: options.cacheBytes, objectLimit: options.objectLimit });
  try {
    if (size < 12 + idBytes) throw new IntegrityError(`pack is too short (${size} bytes)`);
    const count = await reader.checkHeader();
    const trailer = Buffer.alloc(idBytes);
    await handle.read(trailer, 0, idBytes, size - idBytes);
    if (!(await fileChecksum(packPath, size - idBytes, format)).equals(trailer)) throw new IntegrityError('pack checksum does not match its contents (corrupt or truncated)');

    const entries: IndexedEntry[] = [];
    // Deltas waiting for their base: by the base's offset (ofs-delta) or id (ref-delta).
    const byBaseOffset = new Map<number, number[]>();
    const byBaseId = new Map<string, number[]>();
    const ready: number[] = [];
    let offset = 12;
    const crcBuf = Buffer.allocUnsafe(64 << 10);
    for (let i = 0; i < count; i++) {
      if (offset >= size - idBytes) throw new IntegrityError(`pack ends after ${i} of ${count} objects`);
      const head = await reader.readHeader(offset);
      let packedLength: number;
      if (head.kind === 'object' && head.type === 'blob' && head.size > STREAM_BLOB_BYTES) {
        // Hashed as it streams, never held whole (onObject sees no large blob: there is nothing in one to check).
        const hash = createHash(format).update(objectHeader('blob', head.size));
        packedLength = await reader.streamWhole(offset, (chunk) => hash.update(chunk));
        const id = hash.digest('hex');
        byId.set(id, offset);
        entries.push({ id, offset, crc32: 0, type: 'blob', size: head.size });
        ready.push(i);
      } else {
        const raw = await reader.readRaw(offset);
        packedLength = raw.packedLength;
        const h = raw.header;
        if (h.kind === 'object') {
          const id = hashObject(h.type, raw.data, format);
          options.onObject?.(id, h.type, raw.data);
          byId.set(id, offset);
          entries.push({ id, offset, crc32: 0, type: h.type, size: raw.data.length });
          ready.push(i);
        } else {
          if (h.kind === 'ofs-delta') push(byBaseOffset, h.baseOffset, i);
          else push(byBaseId, h.baseId, i);
          entries.push({ id: '', offset, crc32: 0, type: 'blob', size: 0 });
        }
      }
      let crc = 0;
      for (let done = 0; done < packedLength; ) {
        const n = Math.min(crcBuf.length, packedLength - done);
        await handle.read(crcBuf, 0, n, offset + done);
        crc = crc32(crcBuf.subarray(0, n), crc);
        done += n;
      }
      entries[i].crc32 = crc;
      offset += packedLength;
    }
    if (offset !== size - idBytes) throw new IntegrityError(`pack has ${size - idBytes - offset} unexpected bytes after its last object`);

    // The deltas waiting on an object, taken off the waiting lists.
    const waitingOn = (offset: number | undefined, id: string): number[] => {
      const list = [...(offset === undefined ? [] : (byBaseOffset.get(offset) ?? [])), ...(byBaseId.get(id) ?? [])];
      if (offset !== undefined) byBaseOffset.delete(offset);
      byBaseId.delete(id);
      return list;
    };
    // Depth first from a resolved base to the deltas on it, so the base is still in the reader's cache.
    const resolveFrom = async (stack: number[]) => {
      while (stack.length > 0) {
        const entry = entries[stack.pop()!];
        const obj = await reader.readAt(entry.offset);
        entry.id = hashObject(obj.type, obj.data, format);
        options.onObject?.(entry.id, obj.type, obj.data as Buffer);
        entry.type = obj.type;
        entry.size = obj.data.length;
        if (!byId.has(entry.id)) byId.set(entry.id, entry.offset);
        for (const i of waitingOn(entry.offset, entry.id)) stack.push(i);
      }
    };
    for (const i of ready) await resolveFrom(waitingOn(entries[i].offset, entries[i].id));

    // What still waits builds on objects outside the pack (or on nothing that exists).
    if (byBaseId.size > 0 && options.externalBases) {
      for (const id of await options.externalBases.admit([...byBaseId.keys()])) admitted.add(id);
      for (const id of admitted) await resolveFrom(waitingOn(undefined, id));
    }
    for (const [baseId, waiting] of byBaseId) throw missingBaseError(entries[waiting[0]].offset, baseId);
    if (byBaseOffset.size > 0) {
      const [baseOffset, waiting] = byBaseOffset.entries().next().value as [number, number[]];
      throw new IntegrityError(`pack entry at ${entries[waiting[0]].offset}: delta base offset ${baseOffset} is not the start of an object`);
    }
    return { entries, checksum: trailer.toString('hex'), externalBases: [...admitted], reader };
  } catch (err) {
    await reader.close();
    throw err;
  }
}

/** The .idx bytes for an indexed pack. */
export function indexBytes(pack: IndexedPack, format: ObjectFormat = 'sha1'): Buffer {
  return writePackIndex(pack.entries, Buffer.from(pack.checksum, 'hex'), format);
}
