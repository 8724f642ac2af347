/** What `govc bench` measures and the shape of its `--json` output (the report reads this back). */

export const SUITE_FORMAT = 'govc-bench-suite/1';

/** Groups, in the order the suite runs them; `--only` takes these names (or single benchmark names). */
export const GROUPS = ['objects', 'metadata', 'parallel', 'history', 'server', 'scale'] as const;
export type Group = (typeof GROUPS)[number];

export interface BenchResult {
  group: Group;
  /** e.g. object_write, parallel_read; with `workers` / `connections` several rows share a name. */
  name: string;
  /** Store type (sqlite, postgres, ...). */
  store: string;
  /** Timed operations (or requests). */
  count: number;
  /** Operations per second: timed operations / time inside them (sequential), or / wall time (parallel, server). */
  opsPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** The plan's target for this benchmark in ms (compared with p99), or null when the plan sets none. */
  targetMs: number | null;
  /** [percentile, latency ms] pairs from 0 to 100, for the distribution charts. */
  quantilesMs?: Array<[number, number]>;
  /** Parallel workers or connections of this row. */
  workers?: number;
  /** How parallel work ran: threads (one store per worker thread), async (one store, N operations in flight), connections (HTTP). */
  mode?: string;
  /** Facts a reader needs: sizes, what one operation is, what was checked. */
  note?: string;
  /** Why this benchmark was not measured on this store (it cannot do it). */
  skipped?: string;
  /** The error that stopped this benchmark's group on this store. */
  failed?: string;
  /** A scale goal of the plan this row checks (e.g. "100,000 ops/s aggregate"), and whether this run met it. */
  goal?: string;
  holds?: boolean;
  /** Errors (non-2xx responses, failed clones) seen during a load run; 0 when the run was clean. */
  errors?: number;
}

export interface SuiteJson {
  format: typeof SUITE_FORMAT;
  /** The command line that produced this file. */
  command: string;
  started: string;
  finished: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; loadAverage: number[]; node: string; platform: string };
  sizes: Record<string, unknown>;
  /** Store URIs, passwords hidden. */
  stores: string[];
  results: BenchResult[];
}

/** p99 under the target: 'ok', over: 'OVER', no target or no figure: ''. */
export function verdict(r: Pick<BenchResult, 'p99Ms' | 'targetMs'>): string {
  if (r.p99Ms === null || r.targetMs === null) return '';
  return r.p99Ms < r.targetMs ? 'ok' : 'OVER';
}

/** Identity of a row across two runs (for --compare). */
export function rowKey(r: Pick<BenchResult, 'store' | 'group' | 'name' | 'workers'>): string {
  return `${r.store}/${r.group}/${r.name}${r.workers === undefined ? '' : `@${r.workers}`}`;
}
