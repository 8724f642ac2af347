/** Turns timings into suite rows. */
import { percentile, Timings } from '../timings.js';
import type { BenchResult, Group } from './result.js';

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** [percentile, ms] at 0, 5, ..., 95, 99, 99.9 and 100 % of ascending samples. */
export function quantiles(sorted: ArrayLike<number>): Array<[number, number]> {
  const qs = [...Array.from({ length: 20 }, (_, i) => i * 5), 99, 99.9, 100];
  return qs.map((q) => [q, round(q === 0 ? (sorted.length ? sorted[0] : 0) : percentile(sorted, q / 100))]);
}

export interface RowBase {
  group: Group;
  name: string;
  store: string;
  targetMs: number | null;
  note?: string;
  workers?: number;
  mode?: string;
  goal?: string;
}

/** A row from sequential timings: ops/s is operations over the time spent inside them. */
export function rowFromTimings(base: RowBase, t: Timings): BenchResult {
  const s = t.summary();
  return rowFromSamples(base, t.sorted(), s.opsPerSec);
}

/** A row from latency samples and a throughput measured by the caller. */
export function rowFromSamples(base: RowBase, sorted: Float64Array, opsPerSec: number): BenchResult {
  return {
    ...base,
    count: sorted.length,
    opsPerSec: round(opsPerSec, 1),
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    quantilesMs: quantiles(sorted),
  };
}

export function skippedRow(base: RowBase, reason: string): BenchResult {
  return { ...base, count: 0, opsPerSec: null, p50Ms: null, p99Ms: null, skipped: reason };
}

/** Yields to the event loop now and then, so a store that never does I/O does not starve timers. */
export const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));
