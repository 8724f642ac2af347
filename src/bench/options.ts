/** The bench's inputs and their checks, shared by `govc datastore bench` and bench/compare.ts. */
import { distinctBlobCapacity } from './blobs.js';
import { blobsNeeded } from './ops.js';

export interface BenchOptions {
  /** Objects written one by one (and read back); other phases scale from it. */
  objects: number;
  /** Bytes per object. */
  size: number;
}

export const DEFAULT_OBJECTS = 10_000;
export const DEFAULT_SIZE = 1024;
export const MAX_OBJECTS = 10_000_000;
/** The plan's object targets are for objects under 1 MB; a 1000-object batch of them is already 1 GiB in memory. */
export const MAX_SIZE = 1024 * 1024;

/** A whole number in [1, max], written in plain digits (optionally with _ or , separators: 100_000). */
export function parsePositiveInteger(what: string, text: string, max: number): number {
  const digits = text.trim().replace(/[_,]/g, '');
  if (!/^\d+$/.test(digits)) throw new RangeError(`${what} must be a positive whole number; got ${JSON.stringify(text)}`);
  const value = Number(digits);
  if (value < 1) throw new RangeError(`${what} must be at least 1; got ${text}`);
  if (value > max) throw new RangeError(`${what} must be at most ${max.toLocaleString('en-US')}; got ${text}`);
  return value;
}

/** Checks the combination: every object of a run must be a distinct blob of `size` bytes. */
export function checkBenchOptions(options: BenchOptions): BenchOptions {
  const needed = blobsNeeded(options.objects);
  const capacity = distinctBlobCapacity(options.size);
  if (needed > capacity) {
    throw new RangeError(
      `--objects ${options.objects} writes ${needed} distinct objects, but only ${capacity} distinct blobs of ${options.size} bytes exist; use a larger --size`,
    );
  }
  return options;
}
