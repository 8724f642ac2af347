/**
 * Indexes a pack that has no .idx yet (a pack received by push): one
 * sequential pass records every entry's offset, CRC32 and, for whole objects,
 * id; then deltas are resolved through a PackReader. Like `git index-pack`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { IntegrityError } from '../../datastore/errors.js';
import { hashObject } from '../../datastore/hash.js';
import type { ObjectFormat, ObjectType } from '../../datastore/types.js';
import { PackReader, type ExternalResolver } from './pack-reader.js';
import { ID_BYTES, writePackIndex, type IndexEntry } from './pack-index.js';

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

export interface IndexPackOptions {
  format?: ObjectFormat;
  resolveExternal?: ExternalResolver;
  cacheBytes?: number;
}

async function fileChecksum(path: string, length: number, format: ObjectFormat): Promise<Buffer> {
  const hash = createHash(format);
  if (length > 0) for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) hash.update(chunk as Buffer);
  return hash.digest();
}

export async function indexPackFile(packPath: string, options: IndexPackOptions = {}): Promise<IndexedPack> {
  const format = options.format ?? 'sha1';
  const idBytes = ID_BYTES[format];
  const handle = await open(packPath, 'r');
  const { size } = await handle.stat();
  const byId = new Map<string, number>();
  const externalBases = new Set<string>();
  const external: ExternalResolver | undefined = options.resolveExternal
    ? async (id) => {
        const found = await options.resolveExternal!(id);
        if (found) externalBases.add(id);
        return found;
      }
    : undefined;
  const reader = new PackReader(handle, size, (id) => byId.get(id), { format, resolveExternal: external, cacheBytes: options.cacheBytes });
  try {
    if (size < 12 + idBytes) throw new IntegrityError(`pack is too short (${size} bytes)`);
    const count = await reader.checkHeader();
    const trailer = Buffer.alloc(idBytes);
    await handle.read(trailer, 0, idBytes, size - idBytes);
    if (!(await fileChecksum(packPath, size - idBytes, format)).equals(trailer)) throw new IntegrityError('pack checksum does not match its contents (corrupt or truncated)');

    const entries: IndexedEntry[] = [];
    const pending: number[] = [];
    let offset = 12;
    const crcBuf = Buffer.allocUnsafe(64 << 10);
    for (let i = 0; i < count; i++) {
      if (offset >= size - idBytes) throw new IntegrityError(`pack ends after ${i} of ${count} objects`);
      const raw = await reader.readRaw(offset);
      let crc = 0;
      for (let done = 0; done < raw.packedLength; ) {
        const n = Math.min(crcBuf.length, raw.packedLength - done);
        await handle.read(crcBuf, 0, n, offset + done);
        crc = crc32(crcBuf.subarray(0, n), crc);
        done += n;
      }
      const h = raw.header;
      if (h.kind === 'object') {
        const id = hashObject(h.type, raw.data, format);
        byId.set(id, offset);
        entries.push({ id, offset, crc32: crc, type: h.type, size: raw.data.length });
      } else {
        pending.push(entries.length);
        entries.push({ id: '', offset, crc32: crc, type: 'blob', size: 0 });
      }
      offset += raw.packedLength;
    }
    if (offset !== size - idBytes) throw new IntegrityError(`pack has ${size - idBytes - offset} unexpected bytes after its last object`);

    // Resolve deltas; a ref-delta whose base is itself an unresolved delta waits for a later round.
    let todo = pending;
    while (todo.length > 0) {
      const waiting: number[] = [];
      for (const i of todo) {
        const e = entries[i];
        try {
          const obj = await reader.readAt(e.offset);
          e.id = hashObject(obj.type, obj.data, format);
          e.type = obj.type;
          e.size = obj.data.length;
          byId.set(e.id, e.offset);
        } catch (err) {
          if (err instanceof IntegrityError && /neither in the pack nor in the store/.test(err.message)) waiting.push(i);
          else throw err;
        }
      }
      if (waiting.length === todo.length) {
        await reader.readAt(entries[waiting[0]].offset); // throws the missing-base error
      }
      todo = waiting;
    }
    return { entries, checksum: trailer.toString('hex'), externalBases: [...externalBases], reader };
  } catch (err) {
    await reader.close();
    throw err;
  }
}

/** The .idx bytes for an indexed pack. */
export function indexBytes(pack: IndexedPack, format: ObjectFormat = 'sha1'): Buffer {
  return writePackIndex(pack.entries, Buffer.from(pack.checksum, 'hex'), format);
}
