/**
 * Reads objects from a pack file by offset or id without loading the pack:
 * each entry is read through a file window and inflated on its own; delta
 * chains (ofs and ref) are resolved iteratively with a byte-bounded cache of
 * bases. Ref-delta bases missing from the pack (thin packs) come from
 * `resolveExternal` (e.g. the store).
 */
import { open, readFile } from 'node:fs/promises';
import { createInflate, inflateSync } from 'node:zlib';
import { once } from 'node:events';
import { CapacityError, IntegrityError } from '../../datastore/errors.js';
import { hashObject, ID_BYTES } from '../../datastore/hash.js';
import type { GitObject, ObjectFormat, ObjectType, StoredObject } from '../../datastore/types.js';
import { applyDelta, deltaSizes } from '../../datastore/objects/delta.js';
import { inflateLeading, type Inflated } from '../../datastore/objects/inflater.js';
import { compressBound, parseEntryHeader, type EntryHeader } from './entry-header.js';
import { FileWindow, type PackFile } from './file-window.js';
import { ByteLru } from '../../datastore/lru-cache.js';
import { PackIndex } from './pack-index.js';

export type ExternalResolver = (id: string) => Promise<GitObject | undefined>;

export interface PackReaderOptions {
  format?: ObjectFormat;
  /** Where ref-delta bases that are not in this pack come from (thin packs). */
  resolveExternal?: ExternalResolver;
  /** Bytes of resolved delta bases kept in memory. Default DEFAULT_CACHE_BYTES. */
  cacheBytes?: number;
  /** Refuse, before inflating or applying, any object or delta larger than this. */
  objectLimit?: ObjectLimit;
}

export interface ObjectLimit {
  bytes: number;
  /** The setting to raise, named in the refusal. */
  setting: string;
}

/** The header of an entry plus where its compressed data lies. */
export interface RawEntry {
  header: EntryHeader;
  offset: number;
  /** Inflated bytes: the object, or the delta for delta entries. */
  data: Buffer;
  /** Bytes of the whole entry in the pack (header + compressed data). */
  packedLength: number;
}

const MAX_HEADER = 32 + 64;

/**
 * 16 MiB: resolution runs depth first from each base (index-pack.ts), so a
 * delta's base is nearly always among the last few objects resolved; 64 MiB
 * made a 150k-object import no faster (7.4-8.0 s against 9.4-10.5 s) and
 * raised the peak RSS of a 1 GiB push of 8 MB files by ~100 MB.
 */
export const DEFAULT_CACHE_BYTES = 16 << 20;

/** The same words whether a base is absent from the store or belongs to another repository. */
export function missingBaseError(offset: number, baseId: string): IntegrityError {
  return new IntegrityError(`pack entry at ${offset}: delta base ${baseId} is neither in the pack nor in this repository`, { baseId });
}

/** The entry's zlib stream at the start of `chunk`, inflated to exactly `size` bytes, and its length. */
function inflateEntry(chunk: Buffer, size: number, offset: number): Inflated {
  try {
    // One zlib state reused for small entries (a new one per entry cost as much as the inflating).
    const reused = inflateLeading(chunk, size);
    if (reused) return reused;
    // Never past the declared size: a small entry must not inflate into gigabytes before we compare.
    const result = inflateSync(chunk, { info: true, maxOutputLength: Math.max(1, size) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    if (result.buffer.length !== size) throw new Error(`inflated to ${result.buffer.length} bytes, header says ${size}`);
    return { data: result.buffer, consumed: result.engine.bytesWritten };
  } catch (err) {
    throw new IntegrityError(`pack entry at ${offset}: ${(err as Error).message}`);
  }
}

export class PackReader {
  readonly format: ObjectFormat;
  private readonly idBytes: number;
  private readonly cache: ByteLru<number, { type: ObjectType; data: Buffer; byteLength: number }>;
  private readonly window: FileWindow;

  constructor(
    private readonly handle: PackFile,
    readonly size: number,
    /** Finds an object of this pack by id (the .idx, or a map built while indexing). */
    private readonly locate: (id: string) => number | undefined,
    private readonly options: PackReaderOptions = {},
  ) {
    this.format = options.format ?? 'sha1';
    this.idBytes = ID_BYTES[this.format];
    this.cache = new ByteLru(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.window = new FileWindow(handle, size);
  }

  /** Opens `<name>.pack` with its `<name>.idx`. */
  static async open(packPath: string, options: PackReaderOptions = {}): Promise<{ reader: PackReader; index: PackIndex }> {
    const index = PackIndex.parse(await readFile(packPath.replace(/\.pack$/, '.idx')), options.format ?? 'sha1');
    const handle = await open(packPath, 'r');
    const { size } = await handle.stat();
    const reader = new PackReader(handle, size, (id) => index.offsetOf(id), options);
    await reader.checkHeader(index.count);
    return { reader, index };
  }

  /** The pack's open file descriptor (a worker thread may read it too, while this reader is open). */
  get fd(): number {
    return this.handle.fd;
  }

  /** Checks the `PACK` signature and version; returns the object count. */
  async checkHeader(expectedCount?: number): Promise<number> {
    const head = await this.window.read(0, 12);
    if (head.length < 12 || head.toString('latin1', 0, 4) !== 'PACK') throw new IntegrityError('not a pack file (no PACK signature)');
    const version = head.readUInt32BE(4);
    if (version !== 2 && version !== 3) throw new IntegrityError(`pack version ${version} is not supported`);
    const count = head.readUInt32BE(8);
    if (expectedCount !== undefined && count !== expectedCount) throw new IntegrityError(`pack holds ${count} objects but its index lists ${expectedCount}`);
    return count;
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.handle.close();
  }

  /** Reads and inflates one entry (a delta stays a delta). */
  async readRaw(offset: number): Promise<RawEntry> {
    const headBytes = await this.window.read(offset, MAX_HEADER);
    const header = parseEntryHeader(headBytes, offset, this.idBytes);
    this.checkSize(header.size, offset);
    const dataAt = offset + header.headerLength;
    const available = this.size - this.idBytes - dataAt;
    const chunk = await this.window.read(dataAt, Math.min(available, compressBound(header.size)));
    const { data, consumed } = inflateEntry(chunk, header.size, offset);
    return { header, offset, data, packedLength: header.headerLength + consumed };
  }

  /**
   * An entry as stored: its header and its compressed bytes, copied, not
   * inflated. `packedLength` (header + compressed data) is the distance to
   * the next entry, known from the pack's index.
   */
  async readStored(offset: number, packedLength: number): Promise<{ header: EntryHeader; zlib: Buffer }> {
    const headBytes = await this.window.read(offset, Math.min(MAX_HEADER, packedLength));
    const header = parseEntryHeader(headBytes, offset, this.idBytes);
    const length = packedLength - header.headerLength;
    if (length <= 0 || offset + packedLength > this.size - this.idBytes) throw new IntegrityError(`pack entry at ${offset}: no compressed data`);
    return { header, zlib: await this.window.readOwned(offset + header.headerLength, length) };
  }

  /** The header of the entry at `offset`, without inflating anything. */
  async readHeader(offset: number): Promise<EntryHeader> {
    return parseEntryHeader(await this.window.read(offset, MAX_HEADER), offset, this.idBytes);
  }

  /**
   * Inflates a whole entry in pieces, handing each to `onData`, for objects
   * too large to hold at once (a big blob is hashed as it streams). Returns
   * the entry's length in the pack.
   */
  async streamWhole(offset: number, onData: (chunk: Buffer) => void): Promise<number> {
    const header = await this.readHeader(offset);
    if (header.kind !== 'object') throw new IntegrityError(`pack entry at ${offset}: a delta cannot be streamed`);
    this.checkSize(header.size, offset);
    const inflate = createInflate();
    let inflated = 0;
    inflate.on('data', (chunk: Buffer) => {
      inflated += chunk.length;
      if (inflated > header.size) inflate.destroy(new IntegrityError(`pack entry at ${offset}: inflates past the ${header.size} bytes its header says`));
      else onData(chunk);
    });
    const finished = new Promise<void>((resolve, reject) => {
      inflate.once('end', resolve);
      inflate.once('error', (err) => reject(err instanceof IntegrityError ? err : new IntegrityError(`pack entry at ${offset}: ${err.message}`)));
    });
    finished.catch(() => undefined);
    const start = offset + header.headerLength;
    const stop = Math.min(this.size - this.idBytes, start + compressBound(header.size));
    for (let pos = start; pos < stop && !inflate.destroyed; ) {
      const n = Math.min(1 << 20, stop - pos);
      const chunk = Buffer.allocUnsafe(n);
      await this.handle.read(chunk, 0, n, pos);
      pos += n;
      if (!inflate.write(chunk)) await Promise.race([once(inflate, 'drain'), finished]);
    }
    inflate.end();
    await finished;
    if (inflated !== header.size) throw new IntegrityError(`pack entry at ${offset}: inflated to ${inflated} bytes, header says ${header.size}`);
    return header.headerLength + inflate.bytesWritten;
  }

  /** Where the object with this id starts in the pack, if it is there. */
  offsetOf(id: string): number | undefined {
    return this.locate(id);
  }

  /** The object at `offset`, deltas applied. */
  async readAt(offset: number): Promise<GitObject> {
    const cached = this.cache.get(offset);
    if (cached) return { type: cached.type, data: cached.data };
    const chain: RawEntry[] = [];
    let base: GitObject | undefined;
    let at = offset;
    for (;;) {
      const hit = chain.length > 0 ? this.cache.get(at) : undefined;
      if (hit) {
        base = hit;
        break;
      }
      const raw = await this.readRaw(at);
      const h = raw.header;
      if (h.kind === 'object') {
        base = { type: h.type, data: raw.data };
        if (chain.length > 0) this.remember(at, base);
        break;
      }
      chain.push(raw);
      if (chain.length > 10_000) throw new IntegrityError(`pack entry at ${offset}: delta chain too long (a cycle?)`);
      if (h.kind === 'ofs-delta') {
        at = h.baseOffset;
        continue;
      }
      const inPack = this.locate(h.baseId);
      if (inPack !== undefined) {
        at = inPack;
        continue;
      }
      base = this.options.resolveExternal ? await this.options.resolveExternal(h.baseId) : undefined;
      if (!base) throw missingBaseError(raw.offset, h.baseId);
      break;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      this.checkSize(deltaSizes(chain[i].data).result, chain[i].offset);
      base = { type: base.type, data: applyDelta(base.data, chain[i].data) };
      this.remember(chain[i].offset, base);
    }
    return base;
  }

  /** The object with this id, if it is in the pack. */
  async read(id: string): Promise<GitObject | undefined> {
    const offset = this.locate(id);
    return offset === undefined ? undefined : this.readAt(offset);
  }

  /** Reads the object at `offset` and checks that it hashes to `id`. */
  async readVerified(id: string, offset: number): Promise<StoredObject> {
    const obj = await this.readAt(offset);
    const actual = hashObject(obj.type, obj.data, this.format);
    if (actual !== id) throw new IntegrityError(`pack entry at ${offset} hashes to ${actual}, its index says ${id}`);
    return { id, type: obj.type, data: obj.data as Buffer };
  }

  private checkSize(size: number, offset: number): void {
    const limit = this.options.objectLimit;
    if (limit && size > limit.bytes) {
      throw new CapacityError(`pack entry at ${offset}: an object of ${size} bytes is over the limit of ${limit.bytes} bytes (${limit.setting})`, { size, limit: limit.bytes });
    }
  }

  private remember(offset: number, obj: GitObject): void {
    this.cache.set(offset, { type: obj.type, data: obj.data as Buffer, byteLength: obj.data.byteLength });
  }
}
