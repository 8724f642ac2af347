/** `govc datastore export|import|migrate|verify`: moving a store's content between stores (src/datastore/migration). */
import type { Command } from 'commander';
import { changeLogOf } from '../datastore/change-log.js';
import { checkpointPrefix, copyStore, type CopyOptions, type CopySummary } from '../datastore/migration/copy.js';
import { readCheckpoint } from '../datastore/migration/record-ops.js';
import { migrateLive } from '../datastore/migration/live.js';
import { verifyStores, type VerifyReport } from '../datastore/migration/verify.js';
import { DataStoreError, InvalidArgumentError, UnsupportedError } from '../datastore/errors.js';
import type { DataStore } from '../datastore/store.js';
import { DEFAULT_TIMEOUT_MS, openHealthyStore, parseIntegerOption, redactUri, reportingUnavailable } from './datastore-commands.js';
import { progressBar } from './progress-bar.js';

const MB = 1024 * 1024;

interface Common {
  json?: boolean;
  timeout: number;
}

async function withStores<T>(uris: string[], timeout: number, fn: (stores: DataStore[]) => Promise<T>): Promise<T> {
  const stores: DataStore[] = [];
  try {
    for (const uri of uris) stores.push((await openHealthyStore(uri, timeout)).store);
    return await fn(stores);
  } finally {
    for (const s of stores) await s.close().catch(() => undefined);
  }
}

/** Runs a long command with a progress bar; a failure of a store mid-way says that the same command resumes. */
async function withProgress<T>(resumable: boolean, fn: (bar: ReturnType<typeof progressBar>) => Promise<T>): Promise<T> {
  const bar = progressBar();
  try {
    return await fn(bar);
  } catch (err) {
    bar.stop();
    if (resumable && err instanceof DataStoreError && err.code !== 'INVALID_DATA' && err.code !== 'INVALID_ARGUMENT') {
      err.message += '\n  what was written is kept with a checkpoint in the target: run the same command again once the store is back, and it goes on from there';
    }
    throw err;
  } finally {
    bar.stop();
  }
}

const seconds = (start: number) => (performance.now() - start) / 1000;
const print = (json: boolean | undefined, data: object, text: string): void => void process.stdout.write(json ? JSON.stringify(data) + '\n' : text + '\n');

async function exportCommand(o: Common & { source: string; output: string }): Promise<void> {
  await withStores([o.source], o.timeout, ([store]) =>
    withProgress(false, async (bar) => {
      const start = performance.now();
      // loaded when used: tar and its stream library would slow every govc command's start
      const { exportArchive } = await import('../datastore/migration/archive/write-archive.js');
      const s = await exportArchive(store, o.output, bar.onProgress);
      const t = seconds(start);
      print(o.json, { ...s, output: o.output, seconds: t }, `exported ${s.records} records (${s.counts.object} objects, ${s.counts.repository} repositories, ${s.counts.ref} refs, ${s.counts.user} users, ${s.counts.event} events, ${s.counts.config} config keys) to ${o.output}: ${s.archiveBytes} bytes in ${t.toFixed(1)} s`);
    }),
  );
}

async function importCommand(o: Common & { target: string; input: string; batchSize: number }): Promise<void> {
  await withStores([o.target], o.timeout, ([store]) =>
    withProgress(true, async (bar) => {
      const start = performance.now();
      const { importArchive } = await import('../datastore/migration/archive/import-archive.js');
      const s = await importArchive(store, o.input, { batchSize: o.batchSize, onProgress: bar.onProgress });
      const t = seconds(start);
      const resumed = s.resumedAfter > 0 ? ` (resumed after record ${s.resumedAfter})` : '';
      print(o.json, { ...s, seconds: t }, `imported ${s.written} of ${s.records} records from ${o.input}${resumed} in ${t.toFixed(1)} s${s.eventsAlreadyPresent ? `; ${s.eventsAlreadyPresent} events were already there` : ''}`);
    }),
  );
}

function printVerify(json: boolean | undefined, r: VerifyReport, t: number): void {
  if (json) return print(true, { ...r, seconds: t }, '');
  const lines = r.first.map((d) => `${d.problem.padEnd(17)} ${d.kind} ${d.key}`);
  if (r.differences > r.first.length) lines.push(`... and ${r.differences - r.first.length} more`);
  const counts = Object.entries(r.compared).map(([k, n]) => `${n} ${k}s`).join(', ');
  lines.push(r.equal ? `equal: compared ${counts} in ${t.toFixed(1)} s` : `${r.differences} differences (compared ${counts})`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function verifyCommand(o: Common & { source: string; target: string; parallel: number; show: number }): Promise<void> {
  await withStores([o.source, o.target], o.timeout, ([source, target]) =>
    withProgress(false, async (bar) => {
      const start = performance.now();
      const r = await verifyStores(source, target, { parallel: o.parallel, keep: o.show, onProgress: bar.onProgress });
      bar.stop();
      printVerify(o.json, r, seconds(start));
      if (!r.equal) process.exitCode = 1;
    }),
  );
}

interface MigrateOptions extends Common {
  source: string;
  target: string;
  parallel: number;
  batchSize: number;
  incremental?: boolean;
  follow?: boolean;
  poll: number;
  verify?: boolean;
  live?: boolean;
}

async function liveCommand(o: MigrateOptions): Promise<void> {
  await withStores([o.source, o.target], o.timeout, ([source, target]) =>
    withProgress(true, async (bar) => {
      const start = performance.now();
      const s = await migrateLive(source, target, redactUri(o.source), { parallel: o.parallel, batchSize: o.batchSize, onProgress: bar.onProgress });
      bar.stop();
      const t = seconds(start);
      print(o.json, { ...s, seconds: t }, `backfilled ${s.backfill.copied.object} objects and ${s.backfill.copied.event} events, ${s.passes} incremental passes, verified equal, cut over at ${s.cutOverAt} (${t.toFixed(1)} s): the server now reads from the target; point its config at the target alone when convenient`);
    }),
  );
}

function printCopy(o: MigrateOptions, s: CopySummary, t: number): void {
  const rate = { objectsPerSecond: s.copied.object / t, mbPerSecond: s.objectBytes / MB / t };
  const copied = Object.entries(s.copied).map(([k, n]) => `${n} ${k}s`).join(', ');
  const via = s.changeLog ? ` (what ${s.changeLog} named)` : '';
  print(o.json, { ...s, seconds: t, ...rate }, `${s.resumed ? 'resumed and ' : ''}copied ${copied}${s.deleted ? `, deleted ${s.deleted}` : ''}${via} in ${t.toFixed(1)} s (${rate.objectsPerSecond.toFixed(0)} objects/s, ${rate.mbPerSecond.toFixed(1)} MB/s of stored entries)`);
}

/** --follow: an incremental run, then another each time the source's change log wakes it (or every --poll ms), until SIGINT or SIGTERM. */
async function follow(o: MigrateOptions, source: DataStore, target: DataStore, copy: CopyOptions): Promise<void> {
  const log = changeLogOf(source.driver);
  if (!log) throw new UnsupportedError(`the ${source.type} store keeps no change log to follow (PostgreSQL and Redis do); run migrate --incremental from time to time instead`);
  let stopping = false;
  const stop = () => void (stopping = true);
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const positionKey = `${checkpointPrefix(redactUri(o.source))}log`;
  while (!stopping) {
    const start = performance.now();
    const s = await copyStore(source, target, redactUri(o.source), { ...copy, stop: () => stopping });
    printCopy(o, s, seconds(start));
    const at = await readCheckpoint<{ position: string }>(target, positionKey);
    // short waits, so a signal ends the run within a second
    for (const until = Date.now() + o.poll; !stopping && Date.now() < until; ) {
      if (await log.waitForChanges(at?.position ?? '0', Math.min(1000, until - Date.now()))) break;
    }
  }
}

async function migrateCommand(o: MigrateOptions): Promise<void> {
  if (o.live) return liveCommand(o);
  if (o.follow && !o.incremental) throw new InvalidArgumentError('--follow goes with --incremental: govc datastore migrate --incremental --follow --source ... --target ...');
  await withStores([o.source, o.target], o.timeout, ([source, target]) =>
    withProgress(true, async (bar) => {
      const copy: CopyOptions = { parallel: o.parallel, batchSize: o.batchSize, incremental: o.incremental, follower: redactUri(o.target), onProgress: o.follow ? undefined : bar.onProgress };
      if (o.follow) return follow(o, source, target, copy);
      const start = performance.now();
      const s = await copyStore(source, target, redactUri(o.source), copy);
      bar.stop();
      printCopy(o, s, seconds(start));
      if (!o.verify) return;
      const v0 = performance.now();
      const r = await verifyStores(source, target, { parallel: o.parallel });
      printVerify(o.json, r, seconds(v0));
      if (!r.equal) process.exitCode = 1;
    }),
  );
}

/** Adds export, import, migrate and verify to `govc datastore`. */
export function registerMigrationCommands(datastore: Command): void {
  const timeout = parseIntegerOption('--timeout', 3_600_000);
  const parallel = parseIntegerOption('--parallel', 16);
  const batch = parseIntegerOption('--batch-size', 10_000);
  /** A subcommand with the options every one of them has. */
  const command = (name: string) =>
    datastore
      .command(name)
      .option('--json', 'print one JSON summary')
      .option('--timeout <ms>', 'give up on a store that does not answer within this time when opening', timeout, DEFAULT_TIMEOUT_MS);

  command('export')
    .description('write everything in a store (objects as stored, refs, repositories, users, tokens, events, config) to a govc archive (.tar.gz; format in README)')
    .requiredOption('--source <uri>', 'store to export')
    .requiredOption('--output <file>', 'archive to write (written as <file>.partial, renamed when complete)')
    .action(reportingUnavailable(exportCommand));

  command('import')
    .description('load a govc archive into a store; the archive is checked whole first, a killed import resumes where it stopped')
    .requiredOption('--target <uri>', 'store to load into')
    .requiredOption('--input <file>', 'archive written by govc datastore export')
    .option('--batch-size <n>', 'records per atomic write', batch, 500)
    .action(reportingUnavailable(importCommand));

  command('migrate')
    .description('copy everything from one store into another; resumable (a checkpoint in the target): run it again after a failure')
    .requiredOption('--source <uri>', 'store to copy from')
    .requiredOption('--target <uri>', 'store to copy into')
    .option('--parallel <n>', 'object shards copied at once', parallel, 4)
    .option('--batch-size <n>', 'records per atomic write', batch, 500)
    .option('--incremental', 'copy only what changed since the last run (through the change log of a PostgreSQL or Redis source), and delete what the source no longer has')
    .option('--follow', 'with --incremental: keep running, copying each change as the source logs it, until SIGINT/SIGTERM')
    .option('--poll <ms>', 'with --follow: run at least this often even if no change woke it', parseIntegerOption('--poll', 3_600_000), 10_000)
    .option('--live', 'while govc serve dual-writes through a migrating store: backfill, incremental passes, verify, then cut over its reads to the target')
    .option('--verify', 'compare both stores afterwards; exit status 1 on any difference')
    .action(reportingUnavailable(migrateCommand));

  command('verify')
    .description('compare two stores (objects by id and content, refs, repositories, users, events, config); print differences, exit status 1 on any')
    .requiredOption('--source <uri>', 'store to compare')
    .requiredOption('--target <uri>', 'store to compare with')
    .option('--parallel <n>', 'object shards compared at once', parallel, 4)
    .option('--show <n>', 'differences printed', parseIntegerOption('--show', 1_000_000), 100)
    .action(reportingUnavailable(verifyCommand));
}
