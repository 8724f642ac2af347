#!/usr/bin/env node
/**
 * govc's bench beside the raw driver doing the same work, in one process and
 * one run, so the ratio is our layer's overhead and nothing else:
 *
 *   node dist/bench/compare.js --store sqlite://./bench.db --objects 100000 [--size 1024] [--json]
 *
 * The raw baseline of a store type is bench/baselines/<type>-raw.ts exporting
 * run<Type>Baseline({objects, size, dir}); a type without one is benched alone.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { formatMs, formatOpsPerSec, columns } from '../src/bench/format.js';
import { BENCH_OPS, type BenchOp } from '../src/bench/ops.js';
import { checkBenchOptions, DEFAULT_OBJECTS, DEFAULT_SIZE, MAX_OBJECTS, MAX_SIZE, type BenchOptions } from '../src/bench/options.js';
import { terminalProgress } from '../src/bench/progress.js';
import { toJson, type BenchReport } from '../src/bench/report.js';
import { runBench } from '../src/bench/run-bench.js';
import { openHealthyStore, parseIntegerOption, redactUri, StoreUnavailable } from '../src/cli/datastore-commands.js';
import { parseStoreUri } from '../src/datastore/config.js';
import type { BaselineResult } from './baselines/common.js';

type Baseline = (options: BenchOptions & { dir: string; connection: string }) => Promise<BaselineResult[]>;

/** The baseline module's run<Type>Baseline, or why there is none. */
async function loadBaseline(type: string): Promise<{ run: Baseline; name: string } | { missing: string }> {
  const file = `bench/baselines/${type}-raw.ts`;
  const name = `run${type.charAt(0).toUpperCase()}${type.slice(1)}Baseline`;
  let module: Record<string, unknown>;
  try {
    module = await import(new URL(`./baselines/${type}-raw.js`, import.meta.url).href);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`${type}-raw.js`)) return { missing: `no raw baseline for ${type} (${file} does not exist)` };
    return { missing: `the raw baseline ${file} could not be loaded: ${e.message}` };
  }
  const run = module[name];
  if (typeof run !== 'function') return { missing: `${file} does not export ${name}()` };
  return { run: run as Baseline, name };
}

/** Where the baseline puts its database: beside the store's file, so both use the same disk. */
function baselineDir(uri: string): string {
  let base = tmpdir();
  try {
    const { connection } = parseStoreUri(uri, new Set());
    const parent = connection && !connection.includes('://') && !connection.startsWith(':') ? dirname(resolve(connection)) : '';
    if (parent && existsSync(parent) && statSync(parent).isDirectory()) base = parent;
  } catch {
    // an unparsable URI fails when the store opens
  }
  return mkdtempSync(join(base, 'govc-baseline-'));
}

interface Comparison {
  op: BenchOp;
  govc: { opsPerSec: number | null; p50Ms: number | null; p99Ms: number | null };
  raw?: BaselineResult;
  /** govc's mean time per op / the raw driver's (raw ops/s / govc ops/s): 1.0 = no overhead. */
  meanRatio: number | null;
  /** govc's p50 / the raw driver's p50. */
  p50Ratio: number | null;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : a / b;
}

function compare(report: BenchReport, baseline: BaselineResult[] | undefined): Comparison[] {
  return BENCH_OPS.map((op) => {
    const ours = report.results.find((r) => r.op === op)!;
    const raw = baseline?.find((r) => r.op === op);
    return {
      op,
      govc: { opsPerSec: ours.opsPerSec, p50Ms: ours.p50Ms, p99Ms: ours.p99Ms },
      raw,
      meanRatio: ratio(raw?.opsPerSec, ours.opsPerSec),
      p50Ratio: ratio(ours.p50Ms, raw?.p50Ms),
    };
  });
}

function formatRatio(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(2)}x`;
}

function formatComparison(report: BenchReport, rows: Comparison[], note: string): string {
  const table = [['op', 'govc ops/s', 'raw ops/s', 'time x', 'govc p50', 'raw p50', 'p50 x', 'govc p99', 'raw p99']];
  for (const r of rows) {
    table.push([
      r.op,
      formatOpsPerSec(r.govc.opsPerSec),
      formatOpsPerSec(r.raw?.opsPerSec ?? null),
      formatRatio(r.meanRatio),
      formatMs(r.govc.p50Ms),
      formatMs(r.raw?.p50Ms ?? null),
      formatRatio(r.p50Ratio),
      formatMs(r.govc.p99Ms),
      formatMs(r.raw?.p99Ms ?? null),
    ]);
  }
  return [
    `${report.store} store vs raw driver, ${report.objects.toLocaleString('en-US')} objects of ${report.size.toLocaleString('en-US')} bytes, one process, govc first`,
    note,
    '',
    columns(table),
    '',
    'time x = govc mean time per op / raw mean time per op (raw ops/s / govc ops/s); p50 x = govc p50 / raw p50. 1.00x = no overhead.',
    'latencies in ms.',
  ].join('\n') + '\n';
}

interface CompareOptions {
  store: string;
  objects: number;
  size: number;
  json?: boolean;
}

async function main(options: CompareOptions): Promise<void> {
  const benchOptions = checkBenchOptions({ objects: options.objects, size: options.size });
  const { store } = await openHealthyStore(options.store);
  let report: BenchReport;
  try {
    report = await runBench(store, benchOptions, terminalProgress());
  } finally {
    await store.close();
  }
  const loaded = await loadBaseline(report.store);
  let baseline: BaselineResult[] | undefined;
  let note: string;
  if ('run' in loaded) {
    const dir = baselineDir(options.store);
    try {
      process.stderr.write(`running ${loaded.name} in ${dir}\n`);
      baseline = await loaded.run({ ...benchOptions, dir, connection: options.store });
      note = `baseline: ${loaded.name}() from bench/baselines/${report.store}-raw.ts`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    note = `baseline: none; ${loaded.missing}`;
  }
  const rows = compare(report, baseline);
  if (options.json) {
    const out = {
      ...toJson(report),
      uri: redactUri(options.store),
      baseline: baseline ?? null,
      baseline_note: note,
      ratios: rows.map((r) => ({ op: r.op, mean_time_ratio: r.meanRatio, p50_ratio: r.p50Ratio })),
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } else {
    process.stdout.write(formatComparison(report, rows, note));
  }
}

const program = new Command('compare')
  .description('run govc datastore bench and the raw-driver baseline of the same store type in one run, and print both with their ratio')
  .requiredOption('--store <uri>', 'store URI, e.g. sqlite://./bench.db')
  .option('--objects <n>', 'as govc datastore bench --objects', parseIntegerOption('--objects', MAX_OBJECTS), DEFAULT_OBJECTS)
  .option('--size <bytes>', 'as govc datastore bench --size', parseIntegerOption('--size', MAX_SIZE), DEFAULT_SIZE)
  .option('--json', 'print one JSON object: the bench JSON plus baseline and ratios')
  .action(async (options: CompareOptions) => {
    try {
      await main(options);
    } catch (err) {
      if (err instanceof StoreUnavailable) process.stderr.write(err.lines().join('\n') + '\n');
      else if (err instanceof RangeError) process.stderr.write(`compare: ${err.message}\n`);
      else throw err;
      process.exitCode = 1;
    }
  });

await program.parseAsync(process.argv);
