/** `govc bench`: the benchmark suite, its scale runs, and its report. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SCALE_RUNS } from '../bench/scale/names.js';
import { GROUPS, type SuiteJson } from '../bench/suite/result.js';
import { selection, SUITE_BENCHMARKS } from '../bench/suite/names.js';
import { parseSizes, PRESETS } from '../bench/suite/sizes.js';
import { openHealthyStore, redactUri, reportingUnavailable } from './datastore-commands.js';

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
/** Repeatable, not split: a --set value may hold commas (workers=1,4,16). */
const repeat = (value: string, previous: string[] = []) => [...previous, value];
const log = (line: string) => process.stderr.write(`${line}\n`);
const commandLine = () => ['govc', ...process.argv.slice(2)].join(' ');

interface RunOptions {
  stores: string[];
  only?: string[];
  size: string;
  set?: string[];
  json?: boolean;
  out?: string;
}

function emit(doc: SuiteJson, options: { json?: boolean; out?: string }, file: string): void {
  const text = JSON.stringify(doc, null, 1) + '\n';
  if (options.out) {
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, file), text);
    log(`govc: wrote ${join(options.out, file)}`);
  }
  if (options.json || !options.out) process.stdout.write(text);
}

async function run(options: RunOptions, command: Command): Promise<void> {
  let sizes;
  try {
    sizes = parseSizes(options.size, options.set);
    selection(options.only); // throws on a name that is no group or benchmark
  } catch (err) {
    command.error(`error: ${(err as Error).message}`);
  }
  const { runSuite } = await import('../bench/suite/run-suite.js');
  const doc = await runSuite({
    stores: options.stores,
    sizes: sizes!,
    only: options.only,
    command: commandLine(),
    open: async (uri) => (await openHealthyStore(uri)).store,
    redact: redactUri,
    log,
  });
  emit(doc, options, 'results.json');
  const failed = doc.results.filter((r) => r.failed);
  if (failed.length) {
    log(`govc: ${failed.length} benchmark${failed.length === 1 ? '' : 's'} failed: ${[...new Set(failed.map((r) => `${r.store} ${r.group}: ${r.failed}`))].join('; ')}`);
    process.exitCode = 1;
  }
}

interface ReportOptions {
  input?: string;
  out: string;
  compare?: string[];
  threshold: string;
}

function readSuite(path: string): SuiteJson {
  let doc: SuiteJson;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as SuiteJson;
  } catch (err) {
    throw new RangeError(`cannot read ${path} as govc bench JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(doc?.results)) throw new RangeError(`${path} is not govc bench output (no results array); make it with govc bench --out DIR`);
  return doc;
}

async function report(options: ReportOptions, command: Command): Promise<void> {
  const threshold = Number(options.threshold);
  if (!(threshold > 1)) command.error(`error: --threshold must be a ratio above 1, e.g. 1.5; got ${options.threshold}`);
  if (options.compare) {
    if (options.compare.length !== 2) command.error('error: --compare takes two files: --compare old.json new.json');
    const [oldDoc, newDoc] = options.compare.map(readSuite);
    const { compareRuns, formatComparison } = await import('../bench/report/compare.js');
    const cmp = compareRuns(oldDoc, newDoc, threshold);
    process.stdout.write(formatComparison(cmp, options.compare[0], options.compare[1]));
    if (cmp.regressions > 0) process.exitCode = 1;
    return;
  }
  if (!options.input) command.error('error: give --input results.json (or --compare old.json new.json)');
  const inputs = options.input!.split(',').map((p) => readSuite(p.trim()));
  // The charting packages load only for the report, not for every govc command.
  const { writeReport } = await import('../bench/report/index.js');
  const written = await writeReport(inputs, options.out, commandLine());
  log(`govc: wrote ${written.join(', ')}`);
}

interface ScaleOptions {
  store?: string;
  only?: string[];
  json?: boolean;
  out?: string;
  objects: string;
  repositories: string;
  connections: string;
  seconds: string;
}

async function scale(options: ScaleOptions): Promise<void> {
  const { runScale } = await import('../bench/scale/run-scale.js');
  const doc = await runScale({ ...options, command: commandLine(), log, open: async (uri) => (await openHealthyStore(uri)).store, redact: redactUri });
  emit(doc, options, options.only ? `scale-${options.only.join('-')}.json` : 'scale.json');
  if (doc.results.some((r) => r.failed)) process.exitCode = 1;
}

export function registerBenchCommand(program: Command): void {
  const bench = program.command('bench').description('the benchmark suite (objects, metadata, parallel, history, server load) on one or more stores, its scale runs, and its report');
  bench
    .command('run', { isDefault: true })
    .description('run the suite on every store given; JSON to stdout or DIR/results.json')
    .requiredOption('--stores <uris>', 'store URIs, comma-separated or repeated, e.g. sqlite://./b.db,postgres://postgres@127.0.0.1/test', collect)
    .option('--only <names>', `groups (${GROUPS.filter((g) => g !== 'scale').join(', ')}) or benchmarks, comma-separated`, collect)
    .option('--size <preset>', `sizes: ${Object.entries(PRESETS).map(([k, v]) => `${k} (${v.objects} objects, ${v.commits} commits, ${v.branches} branches)`).join(', ')}`, 'moderate')
    .option('--set <name=value>', 'override one size, e.g. commits=100000 or workers=1,4,16,64 (repeatable)', repeat)
    .option('--json', 'print the JSON to stdout (also with --out)')
    .option('--out <dir>', 'write DIR/results.json')
    .addHelpText('after', `\nBenchmarks: ${SUITE_BENCHMARKS.join(', ')}.\nThe suite writes objects, events and repositories into each store and deletes its repositories at the end: point it at scratch stores.`)
    .action(reportingUnavailable(run));
  bench
    .command('report')
    .description('write Markdown and SVG charts from suite JSON, or compare two runs')
    .option('--input <files>', 'results.json (and scale.json), comma-separated')
    .option('--out <dir>', 'directory for benchmarks.md and its charts', 'docs')
    .option('--compare <files...>', 'old.json new.json: print a table of ratios; exit status 1 when a benchmark regressed past --threshold')
    .option('--threshold <ratio>', 'a p50 latency (or 1/throughput) ratio above this is a regression', '1.5')
    .action(report);
  bench
    .command('scale')
    .description(`the scale runs (${SCALE_RUNS.join(', ')}); long, not for CI`)
    .option('--store <uri>', 'store for the object and repository runs (default: a fresh sqlite file)')
    .option('--only <names>', `runs, comma-separated: ${SCALE_RUNS.join(', ')}`, collect)
    .option('--objects <n>', 'objects in the one repository', '1000000')
    .option('--repositories <n>', 'repositories', '1000')
    .option('--connections <n>', 'concurrent connections held open against govc serve', '10000')
    .option('--seconds <n>', 'seconds of load in the connection and ops/s runs', '10')
    .option('--json', 'print the JSON to stdout (also with --out)')
    .option('--out <dir>', 'write DIR/scale.json')
    .action(reportingUnavailable(scale));
}
