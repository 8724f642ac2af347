/** What every raw-driver baseline shares: its options and result shape, blob ids, a shuffled read order. */
import type { BenchOp } from '../../src/bench/ops.js';
import { hashObject } from '../../src/datastore/hash.js';

/** The bench's own read order, so govc and the baseline read alike. */
export { shuffled } from '../../src/bench/ops.js';

export interface BaselineOptions {
  /** Objects written one by one, as `--objects` of the bench. */
  objects: number;
  /** Bytes per object, as `--size`. */
  size: number;
  /** Directory for the temporary database (removed afterwards). */
  dir: string;
}

export interface BaselineResult {
  op: BenchOp;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** The git id of a blob: baselines hash too, since the store must. */
export function gitBlobId(data: Buffer): string {
  return hashObject('blob', data);
}
