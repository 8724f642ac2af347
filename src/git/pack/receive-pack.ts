/**
 * A pack arriving as a stream (git push): spooled to a temp file, then
 * indexed, so memory stays bounded whatever its size. A thin pack's missing
 * delta bases come from `externalBases`, which decides which it may use.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GitObject, StoredObject } from '../../datastore/types.js';
import { indexPackFile, type IndexedEntry, type IndexPackOptions } from './index-pack.js';
import type { PackReader } from './pack-reader.js';

export interface ReceivedPack {
  /** Entries in pack order (id, type, size, offset, crc32). */
  entries: IndexedEntry[];
  checksum: string;
  externalBases: string[];
  /** The open pack: its entries as stored (readStored), for storing them as they are. */
  reader: PackReader;
  /** The object at an entry's offset, deltas resolved. */
  readAt(offset: number): Promise<GitObject>;
  /** Every object of the pack, deltas resolved, in pack order. */
  objects(): AsyncGenerator<StoredObject>;
  /** Closes the file and deletes the temp directory. Always call it. */
  close(): Promise<void>;
}

export async function receivePack(input: Readable | AsyncIterable<Uint8Array>, options: IndexPackOptions & { tmpDir?: string } = {}): Promise<ReceivedPack> {
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'govc-receive-'));
  try {
    const path = join(dir, 'incoming.pack');
    await pipeline(input, createWriteStream(path));
    const pack = await indexPackFile(path, options);
    return {
      entries: pack.entries,
      checksum: pack.checksum,
      externalBases: pack.externalBases,
      reader: pack.reader,
      readAt: (offset) => pack.reader.readAt(offset),
      async *objects() {
        for (const e of pack.entries) {
          const obj = await pack.reader.readAt(e.offset);
          yield { id: e.id, type: obj.type, data: obj.data };
        }
      },
      async close() {
        await pack.reader.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
