/** The report's Markdown: how it was made, on what machine, then one section per group with its table and charts. */
import type { BenchResult, SuiteJson } from '../suite/result.js';
import { verdict } from '../suite/result.js';

export interface ChartLink {
  group: string;
  title: string;
  file: string;
}

const num = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined ? '-' : x >= 1000 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(digits);

const GROUP_TITLES: Record<string, string> = {
  objects: 'Objects: write, read cold and warm, scan, batch of 1,000',
  metadata: 'Metadata and complex queries',
  parallel: 'Parallel writes and reads against workers',
  history: 'Git: commit traversal, branches, fast-forward checks, tree diff',
  server: 'Server load (autocannon, git clone)',
  scale: 'Scale runs',
};

function table(rows: BenchResult[]): string[] {
  const withWorkers = rows.some((r) => r.workers !== undefined);
  const head = ['benchmark', 'store', ...(withWorkers ? ['N'] : []), 'count', 'ops/s', 'p50 ms', 'p99 ms', 'target ms', 'p99 < target', ...(rows.some((r) => r.errors) ? ['errors'] : []), ...(rows.some((r) => r.goal) ? ['goal', 'holds'] : [])];
  const out = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows) {
    const cells = [
      r.name,
      r.store,
      ...(withWorkers ? [r.workers === undefined ? '-' : String(r.workers)] : []),
      r.count.toLocaleString('en-US'),
      num(r.opsPerSec, 1),
      num(r.p50Ms),
      num(r.p99Ms),
      r.targetMs === null ? '-' : `< ${r.targetMs}`,
      r.failed ? '**FAILED**' : r.skipped ? 'skipped' : verdict(r) === 'OVER' ? '**OVER**' : verdict(r),
      ...(rows.some((x) => x.errors) ? [String(r.errors ?? 0)] : []),
      ...(rows.some((x) => x.goal) ? [r.goal ?? '', r.holds === undefined ? '' : r.holds ? 'yes' : '**no**'] : []),
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  return out;
}

function notes(rows: BenchResult[]): string[] {
  const seen = new Map<string, string>();
  for (const r of rows) if (r.note && !seen.has(r.name)) seen.set(r.name, r.note.replace(/; first failure: .*/, ''));
  const skipped = rows.filter((r) => r.skipped || r.failed).map((r) => (r.failed ? `- ${r.store} ${r.name} **failed**: ${r.failed}` : `- ${r.store} ${r.name} skipped: ${r.skipped}`));
  return [...[...seen].map(([name, note]) => `- **${name}**: ${note}`), ...skipped];
}

/** The load at each run's start, for the reader to judge how quiet the machine was. */
function machineNote(docs: SuiteJson[]): string {
  const loads = docs.map((d) => d.machine.loadAverage[0]);
  return (
    `> 1-minute load average at each run's start: ${loads.join(', ')}, on ${docs[0].machine.cpus} cores. Runs made one after another start with the previous run's own load in that average; ` +
    'a load well above the core count from other work makes the figures noisy and low. Clients, servers and stores share the cores: compare stores within one run, and runs only side by side (`govc bench report --compare old.json new.json`).'
  );
}

export function renderMarkdown(docs: SuiteJson[], charts: ChartLink[], reportCommand: string, chartDir: string): string {
  const m = docs[0].machine;
  const lines = [
    '# govc benchmarks',
    '',
    'Made by:',
    '',
    '```sh',
    ...docs.map((d) => d.command),
    reportCommand,
    '```',
    '',
    `Run ${docs.map((d) => `${d.started} to ${d.finished}`).join('; ')} on ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average at the start ${m.loadAverage.join(' / ')}.`,
    '',
    machineNote(docs),
    '',
    'Targets are the plan\'s "Minimum Performance Targets" (object write < 1 ms, read < 0.5 ms from cache and < 5 ms from disk, simple metadata query < 10 ms, complex query < 100 ms, batch of 1,000 < 100 ms), compared with p99; `-` where the plan sets none. Sizes: ' +
      docs.map((d) => Object.entries(d.sizes).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`).join(', ')).join('; ') +
      '.',
    '',
  ];
  const results = docs.flatMap((d) => d.results);
  const groups = [...new Set(results.map((r) => r.group))];
  for (const g of groups) {
    const rows = results.filter((r) => r.group === g);
    lines.push(`## ${GROUP_TITLES[g] ?? g}`, '', ...table(rows), '', ...notes(rows), '');
    for (const c of charts.filter((c) => c.group === g)) lines.push(`![${c.title}](${chartDir}/${c.file})`, '');
  }
  return lines.join('\n');
}
