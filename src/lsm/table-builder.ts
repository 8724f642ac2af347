/** Writes one SSTable: data blocks, then the bloom filter, the index block and the footer. */
import { closeSync, fsync, openSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { BlockBuilder } from './block.js';
import { buildBloom, hashKey } from './bloom.js';
import { ByteWriter, internalKey, type Kind } from './coding.js';
import { encodeFooter, frameBlock, FRAME_TRAILER, isCompressed, type BlockHandle, type Compression } from './table-format.js';

/** Most data blocks skipped before compression is tried again, after blocks that did not compress. */
const MAX_COMPRESSION_BACKOFF = 64;

const fsyncAsync = promisify(fsync);

export interface TableOptions {
  blockSize: number;
  bloomBitsPerKey: number;
  compression: Compression;
}

export interface BuiltTable {
  size: number;
  entries: number;
  smallest: Buffer;
  largest: Buffer;
}

export class TableBuilder {
  private readonly fd: number;
  private readonly data = new BlockBuilder(16);
  private readonly index = new BlockBuilder(1);
  private readonly hashes: number[] = [];
  private lastUserKey: Buffer | undefined;
  private offset = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private smallest: Buffer | undefined;
  private largest: Buffer | undefined;
  private skipCompression = 0;
  private compressionBackoff = 1;
  entries = 0;

  constructor(readonly path: string, private readonly options: TableOptions) {
    this.fd = openSync(path, 'wx');
  }

  /** Bytes the table will take if finished now (approximately). */
  get size(): number {
    return this.offset + this.pendingBytes + this.data.sizeEstimate;
  }

  /** Adds an entry; entries must come in internal order. */
  add(userKey: Buffer, seq: number, kind: Kind, value: Uint8Array): void {
    const ikey = internalKey(userKey, seq, kind);
    if (!this.lastUserKey || !this.lastUserKey.equals(userKey)) {
      this.hashes.push(hashKey(userKey));
      this.lastUserKey = userKey;
    }
    this.smallest ??= userKey;
    this.largest = userKey;
    this.data.add(ikey, value);
    this.entries++;
    if (this.data.sizeEstimate >= this.options.blockSize) this.finishDataBlock();
  }

  private write(frame: Buffer): BlockHandle {
    const handle = { offset: this.offset + this.pendingBytes, size: frame.length - FRAME_TRAILER };
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    if (this.pendingBytes >= 256 * 1024) this.drain();
    return handle;
  }

  private drain(): void {
    if (this.pendingBytes === 0) return;
    const buf = Buffer.concat(this.pending);
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, this.offset + done);
    this.offset += buf.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * Incompressible data (random bytes, git's zlib-deflated objects) would pay
   * for a compression attempt on every block and keep none: after a block that
   * did not compress, the next 1, 2, 4 ... (up to 64) blocks are stored as they
   * are, and a block that compresses resets the backoff.
   */
  private frameData(raw: Buffer): Buffer {
    if (this.options.compression === 'none' || this.skipCompression > 0) {
      this.skipCompression = Math.max(0, this.skipCompression - 1);
      return frameBlock(raw, 'none');
    }
    const frame = frameBlock(raw, this.options.compression);
    if (isCompressed(frame)) this.compressionBackoff = 1;
    else {
      this.skipCompression = this.compressionBackoff;
      this.compressionBackoff = Math.min(2 * this.compressionBackoff, MAX_COMPRESSION_BACKOFF);
    }
    return frame;
  }

  private finishDataBlock(): void {
    if (this.data.entries === 0) return;
    const last = this.data.last;
    const handle = this.write(this.frameData(this.data.finish()));
    this.index.add(last, new ByteWriter(16).varint(handle.offset).varint(handle.size).view());
  }

  /** Writes filter, index and footer and fsyncs the file. */
  async finish(): Promise<BuiltTable> {
    this.finishDataBlock();
    const filter = this.write(frameBlock(buildBloom(this.hashes, this.options.bloomBitsPerKey), 'none'));
    const index = this.write(frameBlock(this.index.finish(), this.options.compression));
    this.pending.push(encodeFooter({ index, filter, entries: this.entries }));
    this.pendingBytes += 36;
    this.drain();
    await fsyncAsync(this.fd);
    closeSync(this.fd);
    return { size: this.offset, entries: this.entries, smallest: this.smallest!, largest: this.largest! };
  }

  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
