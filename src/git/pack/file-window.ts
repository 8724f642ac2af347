/**
 * Random access to a file through one reusable read window, so sequential
 * scans of a pack cost one read per window, not per object, and memory stays
 * bounded by the window (plus any single larger read).
 */
/** What the pack reader needs of a file: a FileHandle, or a worker thread's view of the same descriptor. */
export interface PackFile {
  readonly fd: number;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export class FileWindow {
  private buf: Buffer;
  private start = 0;
  private end = 0;

  constructor(
    private readonly handle: PackFile,
    readonly size: number,
    private readonly windowSize = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(windowSize);
  }

  /**
   * Up to `length` bytes at `offset` (fewer at the end of the file). The result
   * may share memory with the window: use it before the next read.
   */
  async read(offset: number, length: number): Promise<Buffer> {
    length = Math.max(0, Math.min(length, this.size - offset));
    if (offset >= this.start && offset + length <= this.end) return this.buf.subarray(offset - this.start, offset - this.start + length);
    // Behind the window is a jump back (a delta's base), not the scan going on: read just those bytes and
    // keep the window where the scan is, else each base costs two window fills, there and back.
    if (length > this.windowSize || (offset < this.start && this.end > 0)) {
      const out = Buffer.allocUnsafe(length);
      await this.fill(out, offset, length);
      return out;
    }
    const n = Math.min(this.windowSize, this.size - offset);
    await this.fill(this.buf, offset, n);
    this.start = offset;
    this.end = offset + n;
    return this.buf.subarray(0, length);
  }

  /** Like read, but the bytes are the caller's own, never the window's: copied at most once. */
  async readOwned(offset: number, length: number): Promise<Buffer> {
    const bytes = await this.read(offset, length);
    return bytes.buffer === this.buf.buffer ? Buffer.from(bytes) : bytes;
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
