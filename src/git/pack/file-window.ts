/**
 * Random access to a file through a few cached, aligned blocks, as git reads
 * packs through a bounded set of mmapped windows: a scan costs one read per
 * block, lookups by id that jump about the pack hit blocks read before, and
 * memory stays bounded by the blocks kept (plus any single larger read).
 */
/** What the pack reader needs of a file: a FileHandle, or a worker thread's view of the same descriptor. */
export interface PackFile {
  readonly fd: number;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** Blocks kept by default: 16 MiB of 1 MiB blocks (a push of 150k objects spent ~18 s refilling one 1 MiB window). */
const DEFAULT_BLOCKS = 16;

export class FileWindow {
  /** Block index -> its bytes, least recently used first. */
  private readonly blocks = new Map<number, Buffer>();
  private readonly blockBuffers = new WeakSet<ArrayBufferLike>();

  constructor(
    private readonly handle: PackFile,
    readonly size: number,
    private readonly blockSize = 1 << 20,
    private readonly maxBlocks = DEFAULT_BLOCKS,
  ) {}

  /**
   * Up to `length` bytes at `offset` (fewer at the end of the file). The result
   * may share memory with a cached block: copy it (readOwned) to keep it long.
   */
  async read(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`pack read at offset ${offset}: not a position in the file`);
    length = Math.max(0, Math.min(length, this.size - offset));
    if (length === 0) return Buffer.alloc(0); // at or past the end: nothing there
    if (length > this.blockSize) {
      const out = Buffer.allocUnsafe(length);
      await this.fill(out, offset, length);
      return out;
    }
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / this.blockSize);
    const head = await this.block(first);
    const at = offset - first * this.blockSize;
    if (first === last) return head.subarray(at, at + length);
    // Across two blocks: both cached, the bytes copied together.
    const tail = await this.block(last);
    const out = Buffer.allocUnsafe(length);
    head.copy(out, 0, at);
    tail.copy(out, head.length - at, 0, length - (head.length - at));
    return out;
  }

  /** Like read, but the bytes are the caller's own, never a block's: copied at most once. */
  async readOwned(offset: number, length: number): Promise<Buffer> {
    const bytes = await this.read(offset, length);
    return this.blockBuffers.has(bytes.buffer) ? Buffer.from(bytes) : bytes;
  }

  private async block(index: number): Promise<Buffer> {
    const hit = this.blocks.get(index);
    if (hit) {
      this.blocks.delete(index);
      this.blocks.set(index, hit);
      return hit;
    }
    const start = index * this.blockSize;
    const bytes = Buffer.allocUnsafeSlow(Math.min(this.blockSize, this.size - start));
    await this.fill(bytes, start, bytes.length);
    this.blockBuffers.add(bytes.buffer);
    this.blocks.set(index, bytes);
    if (this.blocks.size > this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value!);
    return bytes;
  }

  private async fill(target: Buffer, offset: number, length: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(target, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`unexpected end of file at ${offset + done}`);
      done += bytesRead;
    }
  }
}
