/** What every raw-driver baseline shares: its options and result shape, blob ids, a shuffled read order. */
import type { BenchOp } from '../../src/bench/ops.js';
import { hashObject } from '../../src/datastore/hash.js';

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

/** 0..n-1 in random order, so reads do not follow write order. */
export function shuffled(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
