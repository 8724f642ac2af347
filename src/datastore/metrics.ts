/** Operation counters and latency percentiles, kept by DataStore for every store. */
import type { LatencySummary } from './types.js';

export type OperationKind = 'read' | 'write' | 'delete';

/** A fixed-size ring of recent latencies: bounded memory, percentiles over the last `capacity` operations. */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  count = 0;

  constructor(capacity = 8192) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.samples.length;
    if (this.filled < this.samples.length) this.filled++;
    this.count++;
  }

  summary(): LatencySummary {
    const sorted = Float64Array.from(this.samples.subarray(0, this.filled)).sort();
    const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return { count: this.count, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), maxMs: sorted.length ? sorted[sorted.length - 1] : 0 };
  }
}

export class OperationMetrics {
  reads = 0;
  writes = 0;
  deletes = 0;
  errors = 0;
  readonly latency = new LatencyRecorder();
  readonly startedAt = Date.now();

  /** Times `fn`, counting it as `kind` (by `weight` operations) and counting failures. */
  async track<T>(kind: OperationKind, weight: number, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } catch (err) {
      this.errors++;
      throw err;
    } finally {
      this.latency.record(performance.now() - start);
      if (kind === 'read') this.reads += weight;
      else if (kind === 'write') this.writes += weight;
      else this.deletes += weight;
    }
  }
}
