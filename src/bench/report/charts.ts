/**
 * The report's charts as Vega-Lite specs: latency per store against the
 * plan's targets, latency distributions, and throughput / p99 against
 * workers or connections.
 */
import type { BenchResult } from '../suite/result.js';
import type { ChartSpec } from './svg.js';

// Bars on a log scale need stack: null (a stacked bar starts at 0, which a log scale cannot show).
const FONT = { config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' } } };
const measured = (rows: BenchResult[]) => rows.filter((r) => r.p50Ms !== null && r.p99Ms !== null && !r.skipped);

/** One panel per benchmark (`name`), each with its own y scale. */
function panels(title: string, values: object[], columns: number, size: { width: number; height: number }, spec: object): ChartSpec {
  return {
    ...FONT,
    title,
    data: { values },
    facet: { field: 'name', type: 'nominal', title: null },
    columns,
    spec: { ...size, ...spec },
    resolve: { scale: { y: 'independent' } },
  } as ChartSpec;
}

/** p99 per store as bars, the plan's target as a red rule, one panel per benchmark. */
export function targetBars(rows: BenchResult[], title: string): ChartSpec {
  const values = measured(rows).map((r) => ({ name: r.name, store: r.store, p99: Math.max(r.p99Ms!, 0.001), p50: Math.max(r.p50Ms!, 0.001), target: r.targetMs }));
  return panels(title, values, 4, { width: 140, height: 160 }, {
    layer: [
      { mark: 'bar', encoding: { x: { field: 'store', type: 'nominal', title: null }, y: { field: 'p99', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'p99 ms (log)' }, color: { field: 'store', type: 'nominal', legend: null } } },
      { mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { x: { field: 'store', type: 'nominal' }, y: { field: 'p50', type: 'quantitative' } } },
      { mark: { type: 'rule', color: 'red', strokeDash: [4, 2], strokeWidth: 2 }, encoding: { y: { aggregate: 'max', field: 'target', type: 'quantitative', scale: { type: 'log' } } } },
    ],
  });
}

/** p50 per store as bars (benchmarks without a plan target), one panel per benchmark. */
export function latencyBars(rows: BenchResult[], title: string): ChartSpec {
  const values = measured(rows).map((r) => ({ name: r.name, store: r.store, p50: Math.max(r.p50Ms!, 0.001) }));
  return panels(title, values, 4, { width: 140, height: 160 }, {
    mark: 'bar',
    encoding: { x: { field: 'store', type: 'nominal', title: null }, y: { field: 'p50', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'p50 ms (log)' }, color: { field: 'store', type: 'nominal', legend: null } },
  });
}

/** Latency against percentile, one line per store, one panel per benchmark. */
export function distributions(rows: BenchResult[], title: string): ChartSpec {
  const values = measured(rows).flatMap((r) => (r.quantilesMs ?? []).map(([q, ms]) => ({ name: r.name, store: r.store, percentile: q, ms: Math.max(ms, 0.001) })));
  return panels(title, values, 3, { width: 200, height: 150 }, {
    mark: { type: 'line', point: { size: 12 } },
    encoding: {
      x: { field: 'percentile', type: 'quantitative', title: 'percentile', scale: { domain: [0, 100] } },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency ms (log)' },
      color: { field: 'store', type: 'nominal' },
    },
  });
}

/** Throughput or p99 against workers (or connections), one line per store, one panel per benchmark. */
export function againstWorkers(rows: BenchResult[], title: string, measure: 'opsPerSec' | 'p99Ms', xTitle: string): ChartSpec {
  const values = measured(rows)
    .filter((r) => r.workers !== undefined && r[measure] !== null)
    .map((r) => ({ name: r.name, store: r.store, workers: r.workers, value: Math.max(r[measure]!, 0.001) }));
  return panels(title, values, 3, { width: 220, height: 160 }, {
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'workers', type: 'quantitative', scale: { type: 'log', base: 2 }, title: xTitle },
      y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: measure === 'opsPerSec' ? 'ops/s (log)' : 'p99 ms (log)' },
      color: { field: 'store', type: 'nominal' },
    },
  });
}
