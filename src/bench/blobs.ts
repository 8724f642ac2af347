/** Distinct random blob contents, made one at a time so a large run never holds them all. */
import { randomFillSync } from 'node:crypto';

/** Bytes of the per-run counter written at the start of each blob (keeps blobs of one run distinct). */
const COUNTER_BYTES = 6;

/** How many distinct blobs of `size` bytes one run can make. */
export function distinctBlobCapacity(size: number): number {
  return size >= COUNTER_BYTES ? 2 ** (8 * COUNTER_BYTES) : 2 ** (8 * size);
}

export class BlobSource {
  private counter = 0;

  constructor(readonly size: number) {}

  /** Random bytes whose first bytes hold a run counter, so no two blobs of a run (and so no two ids) are equal. */
  next(): Buffer {
    if (this.counter >= distinctBlobCapacity(this.size)) {
      throw new RangeError(`cannot make more than ${distinctBlobCapacity(this.size)} distinct blobs of ${this.size} bytes`);
    }
    const data = randomFillSync(Buffer.allocUnsafe(this.size));
    let n = this.counter++;
    for (let i = Math.min(this.size, COUNTER_BYTES) - 1; i >= 0; i--) {
      data[i] = n % 256;
      n = Math.floor(n / 256);
    }
    return data;
  }
}
