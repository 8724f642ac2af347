/** `govc bench report`: benchmarks.md and its SVG charts from one or more suite JSON files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult, SuiteJson } from '../suite/result.js';
import { againstWorkers, distributions, latencyBars, targetBars } from './charts.js';
import { renderMarkdown, type ChartLink } from './markdown.js';
import { renderSvg, type ChartSpec } from './svg.js';

export { compareRuns, formatComparison } from './compare.js';

/** Charts directory, relative to the Markdown file. */
const CHART_DIR = 'benchmarks';

function chartsFor(results: BenchResult[]): Array<ChartLink & { spec: ChartSpec }> {
  const out: Array<ChartLink & { spec: ChartSpec }> = [];
  const add = (group: string, file: string, title: string, spec: ChartSpec) => out.push({ group, file, title, spec });
  const of = (g: string) => results.filter((r) => r.group === g && !r.skipped && r.p50Ms !== null);
  const single = (g: string) => of(g).filter((r) => r.workers === undefined);
  for (const g of ['objects', 'metadata', 'history', 'scale']) {
    const rows = single(g);
    const targeted = rows.filter((r) => r.targetMs !== null);
    const untargeted = rows.filter((r) => r.targetMs === null);
    if (targeted.length) add(g, `${g}-vs-target.svg`, `${g}: p99 per store (bars), p50 (black tick), plan target (red dashes)`, targetBars(targeted, `${g}: p99 per store against the plan's target`));
    if (untargeted.length) add(g, `${g}-latency.svg`, `${g}: p50 per store (no plan target)`, latencyBars(untargeted, `${g}: p50 per store`));
    if (g !== 'scale' && rows.some((r) => r.quantilesMs?.length)) add(g, `${g}-distribution.svg`, `${g}: latency distributions`, distributions(rows, `${g}: latency by percentile`));
  }
  for (const [g, x] of [['parallel', 'workers'], ['server', 'connections']] as const) {
    const rows = of(g).filter((r) => r.workers !== undefined);
    if (!rows.length) continue;
    add(g, `${g}-throughput.svg`, `${g}: throughput against ${x}`, againstWorkers(rows, `${g}: ops/s against ${x}`, 'opsPerSec', x));
    add(g, `${g}-p99.svg`, `${g}: p99 against ${x}`, againstWorkers(rows, `${g}: p99 against ${x}`, 'p99Ms', x));
  }
  return out;
}

/** Writes OUT/benchmarks.md and OUT/benchmarks/*.svg; returns the paths written. */
export async function writeReport(docs: SuiteJson[], outDir: string, reportCommand: string): Promise<string[]> {
  if (docs.length === 0) throw new RangeError('no input to report on');
  const charts = chartsFor(docs.flatMap((d) => d.results));
  mkdirSync(join(outDir, CHART_DIR), { recursive: true });
  const written: string[] = [];
  for (const c of charts) {
    const path = join(outDir, CHART_DIR, c.file);
    writeFileSync(path, await renderSvg(c.spec));
    written.push(path);
  }
  const md = join(outDir, 'benchmarks.md');
  writeFileSync(md, renderMarkdown(docs, charts, reportCommand, CHART_DIR));
  written.push(md);
  return written;
}
