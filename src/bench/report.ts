/** What a bench run produces, and its `--json` shape. */
import type { BenchOp } from './ops.js';

export interface OpResult {
  op: BenchOp;
  /** Timed operations. */
  count: number;
  /** null when the store cannot do this op (see `skipped`). */
  opsPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  targetMs: number | null;
  /** Why the op was not measured. */
  skipped?: string;
}

export interface BenchReport {
  store: string;
  objects: number;
  size: number;
  results: OpResult[];
}

export interface BenchJson {
  store: string;
  objects: number;
  size: number;
  results: Array<{ op: BenchOp; ops_per_sec: number | null; p50_ms: number | null; p99_ms: number | null; target_ms: number | null }>;
}

/** Rounds for printing: latencies to the microsecond, throughput to 0.1 op/s. */
function round(value: number | null, digits: number): number | null {
  if (value === null) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function toJson(report: BenchReport): BenchJson {
  return {
    store: report.store,
    objects: report.objects,
    size: report.size,
    results: report.results.map((r) => ({
      op: r.op,
      ops_per_sec: round(r.opsPerSec, 1),
      p50_ms: round(r.p50Ms, 4),
      p99_ms: round(r.p99Ms, 4),
      target_ms: r.targetMs,
    })),
  };
}
