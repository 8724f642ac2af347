/** `govc bench report --compare old.json new.json`: ratios per benchmark, and which ones regressed past a threshold. */
import { columns } from '../format.js';
import { rowKey, type BenchResult, type SuiteJson } from '../suite/result.js';

export interface ComparedRow {
  key: string;
  oldP50: number | null;
  newP50: number | null;
  /** new p50 / old p50: above 1 is slower. */
  p50Ratio: number | null;
  /** old ops/s / new ops/s: above 1 is slower. */
  throughputRatio: number | null;
  regressed: boolean;
}

export interface Comparison {
  rows: ComparedRow[];
  regressions: number;
  /** Benchmarks in one run only. */
  onlyOld: string[];
  onlyNew: string[];
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);

export function compareRuns(oldDoc: SuiteJson, newDoc: SuiteJson, threshold: number): Comparison {
  const byKey = (rs: BenchResult[]) => new Map(rs.filter((r) => !r.skipped && !r.failed).map((r) => [rowKey(r), r]));
  const olds = byKey(oldDoc.results);
  const news = byKey(newDoc.results);
  const rows: ComparedRow[] = [];
  for (const [key, n] of news) {
    const o = olds.get(key);
    if (!o) continue;
    const p50Ratio = ratio(n.p50Ms, o.p50Ms);
    const throughputRatio = ratio(o.opsPerSec, n.opsPerSec);
    const regressed = (p50Ratio !== null && p50Ratio > threshold) || (throughputRatio !== null && throughputRatio > threshold);
    rows.push({ key, oldP50: o.p50Ms, newP50: n.p50Ms, p50Ratio, throughputRatio, regressed });
  }
  return {
    rows,
    regressions: rows.filter((r) => r.regressed).length,
    onlyOld: [...olds.keys()].filter((k) => !news.has(k)),
    onlyNew: [...news.keys()].filter((k) => !olds.has(k)),
  };
}

const fmt = (x: number | null, d = 3) => (x === null ? '-' : x.toFixed(d));

export function formatComparison(c: Comparison, oldPath: string, newPath: string): string {
  const table = [['benchmark', 'old p50 ms', 'new p50 ms', 'p50 new/old', 'ops/s old/new', '']];
  for (const r of c.rows) table.push([r.key, fmt(r.oldP50), fmt(r.newP50), fmt(r.p50Ratio, 2), fmt(r.throughputRatio, 2), r.regressed ? 'REGRESSION' : '']);
  const lines = [`old: ${oldPath}`, `new: ${newPath}`, '', columns(table), ''];
  if (c.onlyOld.length) lines.push(`only in old: ${c.onlyOld.join(', ')}`);
  if (c.onlyNew.length) lines.push(`only in new: ${c.onlyNew.join(', ')}`);
  lines.push(c.regressions ? `${c.regressions} regression${c.regressions === 1 ? '' : 's'} past the threshold` : 'no regression past the threshold');
  return lines.join('\n') + '\n';
}
