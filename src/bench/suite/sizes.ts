/** How big each benchmark runs: presets for `--size`, each count overridable on its own. */
import { parsePositiveInteger } from '../options.js';

export interface SuiteSizes {
  /** Objects written one by one, read cold and warm, and scanned. */
  objects: number;
  /** Bytes per object. */
  objectBytes: number;
  /** Batches of 1,000 objects. */
  batches: number;
  /** Audit events spread over users, repositories and a year of time. */
  events: number;
  /** Timed operations per parallel worker count. */
  parallelOps: number;
  /** Worker counts of the parallel benchmarks. */
  workers: number[];
  /** Commits of the generated history. */
  commits: number;
  /** Branches created, listed and deleted. */
  branches: number;
  /** Connection counts of the server load tests. */
  connections: number[];
  /** Seconds per autocannon run. */
  loadSeconds: number;
  /** Clones per connection count. */
  clones: number;
}

export const PRESETS: Record<string, SuiteSizes> = {
  tiny: { objects: 200, objectBytes: 256, batches: 2, events: 300, parallelOps: 32, workers: [1, 2], commits: 150, branches: 20, connections: [1, 2], loadSeconds: 0.3, clones: 1 },
  moderate: { objects: 3_000, objectBytes: 1024, batches: 10, events: 5_000, parallelOps: 1_000, workers: [1, 4, 16, 64], commits: 10_000, branches: 1_000, connections: [1, 8, 32, 128], loadSeconds: 2, clones: 4 },
  full: { objects: 20_000, objectBytes: 1024, batches: 50, events: 50_000, parallelOps: 10_000, workers: [1, 4, 16, 64], commits: 100_000, branches: 10_000, connections: [1, 8, 32, 128, 256], loadSeconds: 5, clones: 16 },
};

const LIMITS: Record<keyof SuiteSizes, number> = {
  objects: 10_000_000,
  objectBytes: 1024 * 1024,
  batches: 10_000,
  events: 10_000_000,
  parallelOps: 10_000_000,
  workers: 256,
  commits: 10_000_000,
  branches: 1_000_000,
  connections: 20_000,
  loadSeconds: 600,
  clones: 10_000,
};

/** `name=value` overrides, e.g. commits=50000 or workers=1,4,16. */
export function parseSizes(preset: string, overrides: string[] = []): SuiteSizes {
  const base = PRESETS[preset];
  if (!base) throw new RangeError(`--size must be one of ${Object.keys(PRESETS).join(', ')}; got ${JSON.stringify(preset)}`);
  const sizes: SuiteSizes = { ...base };
  for (const o of overrides) {
    const m = /^([a-zA-Z]+)=(.+)$/.exec(o);
    const key = m?.[1] as keyof SuiteSizes | undefined;
    if (!m || !key || !(key in LIMITS)) throw new RangeError(`--set takes name=value with name one of ${Object.keys(LIMITS).join(', ')}; got ${JSON.stringify(o)}`);
    const value = m[2];
    if (key === 'workers' || key === 'connections') {
      sizes[key] = value.split(',').map((v) => parsePositiveInteger(`--set ${key}`, v, LIMITS[key]));
    } else if (key === 'loadSeconds') {
      const n = Number(value);
      if (!(n > 0 && n <= LIMITS.loadSeconds)) throw new RangeError(`--set loadSeconds must be a number of seconds in (0, 600]; got ${value}`);
      sizes.loadSeconds = n;
    } else {
      sizes[key] = parsePositiveInteger(`--set ${key}`, value, LIMITS[key]);
    }
  }
  return sizes;
}
