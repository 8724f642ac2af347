/**
 * Reads one SSTable. The footer, index and bloom filter are read (and their
 * checksums checked) when the table opens and stay in memory; data blocks are
 * read on demand through the shared block cache, each checked on every read
 * from disk, so a corrupt block surfaces as INVALID_DATA and is never cached.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ByteLru } from '../datastore/lru-cache.js';
import { Block } from './block.js';
import { bloomHashMayContain, bloomMayContain, hashKey } from './bloom.js';
import { ByteReader, compareEntry } from './coding.js';
import { type Cursor, type Entry, type SortedSource } from './cursor.js';
import { corruption } from './errors.js';
import { decodeFooter, FOOTER_SIZE, FRAME_TRAILER, unframeBlock, type BlockHandle } from './table-format.js';

/**
 * Keyed by table id * 2^32 + block offset: exact while fewer than 2^21 tables
 * are opened in one process and tables stay below 4 GiB (`tableFileBytes`).
 */
export type BlockCache = ByteLru<number, Block>;
let tablesOpened = 0;
const READ_AHEAD = 1024 * 1024;

export class TableReader implements SortedSource {
  private readonly fd: number;
  private readonly lastKeys: Entry[];
  private readonly handles: BlockHandle[];
  private readonly filter: Buffer;
  private readonly cacheBase = tablesOpened++ * 2 ** 32;
  private readonly size: number;
  /** The last read-ahead window of a scan that bypasses the cache. */
  private window: { offset: number; buf: Buffer } | undefined;
  /** Blocks read from disk (cache misses), for the stats. */
  static blockReads = 0;

  constructor(readonly path: string, readonly fileNumber: number, private readonly cache: BlockCache) {
    this.fd = openSync(path, 'r');
    try {
      const size = (this.size = fstatSync(this.fd).size);
      if (size < FOOTER_SIZE) throw corruption('table file is shorter than its footer', { file: path });
      const footer = decodeFooter(this.readRaw(size - FOOTER_SIZE, FOOTER_SIZE), { file: path });
      this.filter = this.readBlockAt(footer.filter, 'filter');
      const index = new Block(this.readBlockAt(footer.index, 'index'), { file: path, block: 'index' }).entries();
      this.lastKeys = index;
      this.handles = index.map((e) => {
        const r = new ByteReader(e.value, 0, e.value.length, (w) => corruption(`index entry: ${w}`, { file: path }));
        return { offset: r.varint(), size: r.varint() };
      });
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private readRaw(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) throw corruption('block runs past the end of the table file', { file: this.path, offset });
      done += n;
    }
    return buf;
  }

  private readBlockAt(h: BlockHandle, what: string): Buffer {
    return unframeBlock(this.readRaw(h.offset, h.size + FRAME_TRAILER), { file: this.path, offset: h.offset, block: what });
  }

  /**
   * A frame read through a read-ahead window: a whole-table scan (compaction)
   * reads READ_AHEAD bytes at a time instead of one read(2) per block.
   */
  private readAhead(offset: number, length: number): Buffer {
    const w = this.window;
    if (w && offset >= w.offset && offset + length <= w.offset + w.buf.length) return w.buf.subarray(offset - w.offset, offset - w.offset + length);
    const buf = this.readRaw(offset, Math.max(length, Math.min(READ_AHEAD, this.size - offset)));
    this.window = { offset, buf };
    return buf.subarray(0, length);
  }

  private block(i: number, fillCache = true): Block {
    const h = this.handles[i]!;
    const cacheKey = this.cacheBase + h.offset;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    TableReader.blockReads++;
    const where = { file: this.path, offset: h.offset };
    const frame = fillCache ? this.readRaw(h.offset, h.size + FRAME_TRAILER) : this.readAhead(h.offset, h.size + FRAME_TRAILER);
    const block = new Block(unframeBlock(frame, { ...where, block: 'data' }), where);
    if (fillCache) this.cache.set(cacheKey, block);
    return block;
  }

  /** Index of the first block whose last entry is >= (key, seq), or the block count. */
  private findBlock(key: Buffer, seq: number): number {
    let lo = 0;
    let hi = this.lastKeys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const last = this.lastKeys[mid]!;
      if (compareEntry(last.key, last.seq, key, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  mayContain(key: Buffer): boolean {
    return bloomMayContain(this.filter, key);
  }

  /** @param hash the key's bloom hash, when the caller probes several tables with it */
  get(key: Buffer, maxSeq: number, hash = hashKey(key)): Entry | undefined {
    if (!bloomHashMayContain(this.filter, hash)) return undefined;
    const i = this.findBlock(key, maxSeq);
    if (i >= this.handles.length) return undefined;
    const e = this.block(i).seek(key, maxSeq);
    return e && e.key.equals(key) ? e : undefined;
  }

  forward(lower?: Buffer, fillCache = true): Cursor {
    let i = lower ? this.findBlock(lower, Number.MAX_SAFE_INTEGER) : 0;
    let items: Entry[] = [];
    let j = 0;
    const load = (): void => {
      while (j >= items.length && i < this.handles.length) {
        items = this.block(i++, fillCache).entries();
        j = 0;
        if (lower) while (j < items.length && Buffer.compare(items[j]!.key, lower) < 0) j++;
      }
    };
    load();
    return {
      get entry() {
        return items[j];
      },
      next() {
        j++;
        load();
      },
    };
  }

  backward(upper?: Buffer): Cursor {
    let i = upper ? Math.min(this.findBlock(upper, -1), this.handles.length - 1) : this.handles.length - 1;
    let items: Entry[] = [];
    let j = -1;
    const load = (first: boolean): void => {
      while (j < 0 && i >= 0) {
        items = this.block(i--).entries();
        j = items.length - 1;
        if (first && upper) while (j >= 0 && Buffer.compare(items[j]!.key, upper) > 0) j--;
      }
    };
    load(true);
    return {
      get entry() {
        return j >= 0 ? items[j] : undefined;
      },
      next() {
        j--;
        load(false);
      },
    };
  }

  /** Every entry in order without filling the cache (compaction input). */
  scanAll(): Cursor {
    return this.forward(undefined, false);
  }
}

