/** Object ids kept as raw bytes (20 per SHA-1 id instead of a ~90-byte string), so millions of them stay small. */
export class IdList {
  private bytes: Buffer | undefined;
  /** Bytes per id, known from the first one (20 for SHA-1, 32 for SHA-256). */
  private width = 0;
  private n = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.n;
  }

  push(hexId: string): void {
    if (!this.bytes) {
      this.width = hexId.length / 2;
      this.bytes = Buffer.alloc(this.capacity * this.width);
    }
    if (this.n === this.capacity) throw new RangeError(`IdList holds at most ${this.capacity} ids`);
    if (hexId.length !== this.width * 2 || this.bytes.write(hexId, this.n * this.width, 'hex') !== this.width) {
      throw new RangeError(`not a ${this.width * 2}-digit hex id: ${hexId}`);
    }
    this.n++;
  }

  at(i: number): string {
    if (!this.bytes || i < 0 || i >= this.n) throw new RangeError(`id index ${i} is outside 0..${this.n - 1}`);
    return this.bytes.toString('hex', i * this.width, (i + 1) * this.width);
  }
}
