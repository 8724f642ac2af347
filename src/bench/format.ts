/** The human-readable bench table. */
import type { BenchReport } from './report.js';

export function formatOpsPerSec(value: number | null): string {
  return value === null ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 1 : 0 });
}

export function formatMs(value: number | null): string {
  if (value === null) return '-';
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

/** Lays out rows as columns: the first left-aligned, the rest right-aligned. */
export function columns(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

function verdict(p99: number | null, target: number | null): string {
  if (p99 === null || target === null) return '';
  return p99 < target ? 'ok' : 'OVER';
}

export function formatReport(report: BenchReport): string {
  const rows = [['op', 'count', 'ops/s', 'p50 ms', 'p99 ms', 'target ms', 'p99 < target']];
  for (const r of report.results) {
    rows.push([
      r.op,
      r.count.toLocaleString('en-US'),
      formatOpsPerSec(r.opsPerSec),
      formatMs(r.p50Ms),
      formatMs(r.p99Ms),
      r.targetMs === null ? '-' : `< ${r.targetMs}`,
      r.skipped ? 'skipped' : verdict(r.p99Ms, r.targetMs),
    ]);
  }
  const lines = [
    `${report.store} store, ${report.objects.toLocaleString('en-US')} objects of ${report.size.toLocaleString('en-US')} bytes`,
    '',
    columns(rows),
    '',
    'ops/s = timed operations / time spent inside them; one op of batch_put_1000 is one batch of 1000 objects.',
    'target = the plan\'s "Performance Requirements" (get: 0.5 ms from cache = the memory store, 5 ms from disk); - = the plan sets none.',
  ];
  for (const r of report.results) if (r.skipped) lines.push(`${r.op} skipped: ${r.skipped}`);
  lines.push('What each op does: govc datastore bench --help');
  return lines.join('\n') + '\n';
}
