/**
 * Writes a version-2 pack to any Writable, streaming: each object is deflated
 * on its own and written with backpressure. With `deltas`, an object is
 * stored as an ofs-delta against the previous object of the same type and
 * `name` hint (the path or entry name: successive versions of one file) when
 * that is less than half its size; otherwise objects are stored whole. The
 * pack header needs the object count: pass `count` (or an array); otherwise
 * entries are spooled to a temp file first.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { InvalidArgumentError } from '../../datastore/errors.js';
import { hashObject } from '../../datastore/hash.js';
import type { GitObject, ObjectFormat } from '../../datastore/types.js';
import { createDelta } from './delta-encode.js';
import { encodeEntryHeader, encodeOfsDeltaHeader } from './entry-header.js';
import { ByteLru } from '../../datastore/lru-cache.js';
import { GuardedWritable } from './guarded-writable.js';
import { ObjectDeflater } from './object-deflater.js';
import { writePackIndex, type IndexEntry, type IndexInput } from './pack-index.js';

export interface PackInput extends GitObject {
  /** Saves hashing when known; not checked. */
  id?: string;
  /** Delta hint: objects of one type with the same name are tried as each other's bases. */
  name?: string | Uint8Array;
}

export interface WritePackOptions {
  /** How many objects the iterable yields (needed up front by the pack header). */
  count?: number;
  format?: ObjectFormat;
  /** zlib level, default 1 (fast; git's default pack compression is similar in size for fresh objects). */
  level?: number;
  /** Store objects as deltas against earlier ones with the same name hint (default false). */
  deltas?: boolean;
  /** Called after each object. */
  onObject?: (written: number) => void;
  /** Collect `entries` (ids, offsets, CRC32s) for an .idx; default true. A pack only sent (upload-pack) needs none. */
  index?: boolean;
}

export interface WrittenPack {
  count: number;
  /** The pack's trailing checksum (hex); names the pack file. */
  checksum: string;
  /** Id, offset and CRC32 of every entry: what writePackIndex needs (empty with `index: false`). */
  entries: IndexEntry[];
  bytes: number;
}

/** Writes to `out` with backpressure, hashing and counting every byte (the pack's trailer is that hash); the first error of `out` is thrown by the next write. */
export class HashingSink {
  readonly hash: Hash;
  bytes = 0;
  private readonly out: GuardedWritable;
  constructor(out: Writable, format: ObjectFormat) {
    this.out = new GuardedWritable(out);
    this.hash = createHash(format);
  }
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /**
   * Small chunks (a clone writes an entry header and a payload of ~100 bytes
   * each, 300k of them) are gathered and go out, hashed, as one: a hash
   * update and a stream write per chunk cost more than the bytes. `bytes`
   * counts them at once. Chunks must not change after they are written.
   */
  async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    if (chunk.length >= COALESCE_BYTES) {
      await this.flush();
      this.hash.update(chunk);
      await this.out.write(chunk);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= COALESCE_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.hash.update(chunk);
    await this.out.write(chunk);
  }

  /** Writes the trailer, the hash of everything before it; returns it. */
  async finish(): Promise<Buffer> {
    await this.flush();
    const checksum = this.hash.digest();
    this.bytes += checksum.length;
    await this.out.write(checksum);
    this.out.release();
    return checksum;
  }
}

/** Chunks smaller than this are gathered into one write of about this size. */
const COALESCE_BYTES = 64 << 10;

export function packHeader(count: number): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(count, 8);
  return head;
}

const MAX_DEPTH = 50;
const MAX_DELTA_OBJECT = 16 << 20;

interface Base {
  offset: number;
  data: Uint8Array;
  depth: number;
  byteLength: number;
}

/** Turns objects into pack entries, remembering recent objects by name as delta bases. Close it after. */
export class EntryEncoder {
  private readonly bases?: ByteLru<string, Base>;
  private readonly deflater: ObjectDeflater;

  constructor(level: number, deltas: boolean) {
    if (deltas) this.bases = new ByteLru(64 << 20);
    this.deflater = new ObjectDeflater(level);
  }

  encode(obj: PackInput, offset: number): Buffer {
    const size = obj.data.byteLength;
    if (!this.bases || obj.name === undefined || size > MAX_DELTA_OBJECT || size < 64) {
      return this.deflater.deflate(obj.data, encodeEntryHeader(obj.type, size));
    }
    const key = `${obj.type}\0${typeof obj.name === 'string' ? obj.name : Buffer.from(obj.name).toString('latin1')}`;
    const base = this.bases.get(key);
    let entry: Buffer | undefined;
    let depth = 0;
    if (base && base.depth < MAX_DEPTH) {
      const delta = createDelta(base.data, obj.data, size / 2);
      if (delta) {
        entry = this.deflater.deflate(delta, encodeOfsDeltaHeader(delta.length, offset - base.offset));
        depth = base.depth + 1;
      }
    }
    entry ??= this.deflater.deflate(obj.data, encodeEntryHeader(obj.type, size));
    this.bases.set(key, { offset, data: obj.data, depth, byteLength: size });
    return entry;
  }

  close(): void {
    this.deflater.close();
  }
}

/**
 * Streams a pack of `objects` to `out` (not ended: the caller may frame it,
 * e.g. in side-band packets, and ends it). Returns what the .idx needs.
 */
export async function writePack(
  objects: AsyncIterable<PackInput> | Iterable<PackInput>,
  out: Writable,
  options: WritePackOptions = {},
): Promise<WrittenPack> {
  const count = options.count ?? (Array.isArray(objects) ? objects.length : undefined);
  if (count === undefined) return spoolThenWrite(objects, out, options);
  const format = options.format ?? 'sha1';
  const level = options.level ?? 1;
  const sink = new HashingSink(out, format);
  await sink.write(packHeader(count));
  const entries: IndexEntry[] = [];
  const index = options.index ?? true;
  const encoder = new EntryEncoder(level, options.deltas ?? false);
  let written = 0;
  try {
    for await (const obj of objects) {
      if (written === count) throw new InvalidArgumentError(`writePack was told ${count} objects but got more`);
      const entry = encoder.encode(obj, sink.bytes);
      if (index) entries.push({ id: obj.id ?? hashObject(obj.type, obj.data, format), offset: sink.bytes, crc32: crc32(entry) });
      await sink.write(entry);
      written++;
      options.onObject?.(written);
    }
  } finally {
    encoder.close();
  }
  if (written !== count) throw new InvalidArgumentError(`writePack was told ${count} objects but got ${written}`);
  const checksum = await sink.finish();
  return { count, checksum: checksum.toString('hex'), entries, bytes: sink.bytes };
}

async function spoolThenWrite(objects: AsyncIterable<PackInput> | Iterable<PackInput>, out: Writable, options: WritePackOptions): Promise<WrittenPack> {
  const dir = await mkdtemp(join(tmpdir(), 'govc-pack-'));
  try {
    const spoolPath = join(dir, 'entries');
    const spool = new GuardedWritable(createWriteStream(spoolPath));
    const format = options.format ?? 'sha1';
    const level = options.level ?? 1;
    const entries: IndexEntry[] = [];
    const encoder = new EntryEncoder(level, options.deltas ?? false);
    let offset = 12;
    try {
      for await (const obj of objects) {
        const entry = encoder.encode(obj, offset);
        entries.push({ id: obj.id ?? hashObject(obj.type, obj.data, format), offset, crc32: crc32(entry) });
        offset += entry.length;
        await spool.write(entry);
        options.onObject?.(entries.length);
      }
    } finally {
      encoder.close();
    }
    await spool.end();
    const sink = new HashingSink(out, format);
    await sink.write(packHeader(entries.length));
    for await (const chunk of createReadStream(spoolPath)) await sink.write(chunk as Buffer);
    const checksum = await sink.finish();
    return { count: entries.length, checksum: checksum.toString('hex'), entries, bytes: sink.bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `pack-<checksum>.pack` and its `.idx` into `dir` (e.g. objects/pack); returns their paths. */
export async function writePackFiles(
  objects: AsyncIterable<PackInput> | Iterable<PackInput>,
  dir: string,
  options: WritePackOptions = {},
): Promise<WrittenPack & { packPath: string; idxPath: string }> {
  return packToFiles(dir, options.format ?? 'sha1', (out) => writePack(objects, out, options));
}

/**
 * Runs a pack writer into a temp file in `dir`, then names it
 * `pack-<checksum>.pack` beside its `.idx` (written to a temp name too): a
 * failed write leaves neither behind, and the first error is the one thrown.
 */
export async function packToFiles<T extends { checksum: string; entries: IndexInput }>(
  dir: string,
  format: ObjectFormat,
  produce: (out: Writable) => Promise<T>,
): Promise<T & { packPath: string; idxPath: string }> {
  const tmpPath = join(dir, `tmp_pack_${process.pid}_${Date.now()}`);
  const tmpIdx = `${tmpPath}.idx`;
  const file = new GuardedWritable(createWriteStream(tmpPath));
  try {
    const written = await produce(file.out);
    await file.end();
    const base = join(dir, `pack-${written.checksum}`);
    const idx = new GuardedWritable(createWriteStream(tmpIdx));
    await idx.write(writePackIndex(written.entries, Buffer.from(written.checksum, 'hex'), format));
    await idx.end();
    await rename(tmpIdx, `${base}.idx`);
    await rename(tmpPath, `${base}.pack`);
    return { ...written, packPath: `${base}.pack`, idxPath: `${base}.idx` };
  } catch (err) {
    file.out.destroy();
    await rm(tmpPath, { force: true });
    await rm(tmpIdx, { force: true });
    throw err;
  }
}
