/** Per-operation latencies of one benchmark phase, kept in a preallocated array (bounded memory). */

export interface TimingSummary {
  count: number;
  /** Time spent inside the measured operations, in ms. */
  totalMs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export class Timings {
  private readonly samples: Float64Array;
  private n = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (this.n === this.samples.length) throw new RangeError(`more than ${this.samples.length} timings recorded`);
    this.samples[this.n++] = ms;
  }

  /** Times one call of `fn` and records it. */
  async time<T>(fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await fn();
    this.record(performance.now() - start);
    return result;
  }

  /** The samples so far, ascending (a copy). */
  sorted(): Float64Array {
    return this.samples.slice(0, this.n).sort();
  }

  summary(): TimingSummary {
    const sorted = this.samples.slice(0, this.n).sort();
    let totalMs = 0;
    for (const ms of sorted) totalMs += ms;
    return {
      count: this.n,
      totalMs,
      opsPerSec: totalMs > 0 ? (this.n * 1000) / totalMs : 0,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
    };
  }
}

/** Nearest-rank percentile of ascending samples: the smallest value with at least q of the samples at or below it. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
