import { InvalidArgumentError, type Command } from 'commander';
import { formatReport } from '../bench/format.js';
import { BATCH_CAP, BENCH_OPS, LIST_PAGE, OP_DESCRIPTIONS, SECONDARY_CAP } from '../bench/ops.js';
import { checkBenchOptions, DEFAULT_OBJECTS, DEFAULT_SIZE, MAX_OBJECTS, MAX_SIZE, parsePositiveInteger } from '../bench/options.js';
import { terminalProgress } from '../bench/progress.js';
import { toJson } from '../bench/report.js';
import { runBench } from '../bench/run-bench.js';
import { createStore, defaultRegistry } from '../datastore/builtin.js';
import { ConnectionError, DataStoreError } from '../datastore/errors.js';
import { OptionReader } from '../datastore/options.js';
import type { DataStore } from '../datastore/store.js';
import { pruneStore } from '../git/index.js';
import { registerMigrationCommands } from './datastore-migrate.js';
import { progressBar } from './progress-bar.js';
import { registerRotateKeyCommand } from './rotate-key-command.js';
import type { Capabilities, HealthStatus } from '../datastore/types.js';
import type { StoreConfig } from '../datastore/config.js';
import { prepareDefault, storeFromFlags, storeOptions, type StoreFlags } from './store-option.js';

export const DEFAULT_TIMEOUT_MS = 15_000;

/** Thrown when a store cannot be opened or is unhealthy; says what was tried, what failed and what to check. */
export class StoreUnavailable extends Error {
  constructor(
    /** The URI as given, with any password hidden. */
    readonly uri: string,
    readonly code: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`cannot use store ${uri}: ${reason}`);
  }

  get tried(): string {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(this.uri)?.[1];
    return scheme ? `opening ${this.uri} as a ${scheme.toLowerCase()} store, then a health check` : `reading ${JSON.stringify(this.uri)} as a store URI`;
  }

  lines(): string[] {
    return [`govc: cannot use store ${this.uri}`, `  tried: ${this.tried}`, `  error: ${this.reason} [${this.code}]`, `  check: ${this.hint}`];
  }
}

/** The URI with any password replaced, safe to print. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) {
      url.password = '***';
      return url.toString();
    }
  } catch {
    // not a URL the WHATWG parser accepts (sqlite://./x): nothing to redact
  }
  return uri;
}

/** What to check when the error does not say, by error code. */
function hintFor(code: string): string {
  switch (code) {
    case 'CONFIG':
      return `the URI: <type>://<connection>, e.g. sqlite://./data/govc.db or memory://; query parameters are store options. Known types: ${defaultRegistry.types().join(', ')}`;
    case 'UNSUPPORTED':
      return 'that this store type is available in this build of govc, or use another type';
    case 'TIMEOUT':
      return 'that the database server is reachable from here (host, port, firewall), or raise --timeout';
    default:
      return 'for a database server: that it is running and reachable at that host and port, with that user, password and database; for a file store: that the directory exists, is writable by you, and the file is a store of that type';
  }
}

/** Stores end connection errors with "; check ..." (or ". Check ..."): that part becomes the check line. */
export function splitCheck(message: string): { reason: string; check?: string } {
  const m = /^(.*?)(?:;|\.)\s+check (.+)$/is.exec(message);
  return m ? { reason: m[1], check: m[2].replace(/\.$/, '') } : { reason: message };
}

export function describeFailure(uri: string, err: unknown): StoreUnavailable {
  if (err instanceof StoreUnavailable) return err;
  const known = err instanceof DataStoreError ? err.code : (err as { code?: unknown })?.code === 'TIMEOUT' ? 'TIMEOUT' : undefined;
  const { reason, check } = splitCheck(err instanceof Error ? err.message : String(err));
  return new StoreUnavailable(redactUri(uri), known ?? 'CONNECTION', reason, check ?? hintFor(known ?? 'CONNECTION'));
}

/** Rejects after `ms` unless `promise` settles first (a server that never answers must not hang the command). */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer to ${what} within ${ms} ms`), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Opens the store and checks it answers; throws StoreUnavailable with what to check. `label` names a store given as a config. */
export async function openHealthyStore(source: string | StoreConfig, timeoutMs = DEFAULT_TIMEOUT_MS, label = String(source)): Promise<{ store: DataStore; health: HealthStatus }> {
  const uri = typeof source === 'string' ? source : label;
  let store: DataStore;
  try {
    store = await withTimeout(createStore(source), timeoutMs, 'opening the store');
  } catch (err) {
    throw describeFailure(uri, err);
  }
  const health = await withTimeout(store.healthCheck(), timeoutMs, 'the health check').catch(
    (err: Error): HealthStatus => ({ healthy: false, latencyMs: timeoutMs, details: { type: store.type }, error: err.message }),
  );
  if (!health.healthy) {
    await store.close().catch(() => undefined);
    throw describeFailure(uri, new ConnectionError(`the store opened but its health check failed: ${health.error}`));
  }
  return { store, health };
}

/** A commander option parser for a whole number in [1, max]; a bad value is a usage error naming the option. */
export function parseIntegerOption(what: string, max: number) {
  return (text: string) => {
    try {
      return parsePositiveInteger(what, text, max);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

function formatCapabilities(caps: Capabilities): string[] {
  return [
    `  transactions    ${yesNo(caps.transactions)}${caps.transactions ? ` (isolation: ${caps.isolationLevels.join(', ')})` : ''}`,
    `  persistent      ${yesNo(caps.persistent)}`,
    `  durable         ${yesNo(caps.durable)}`,
    `  multi-process   ${yesNo(caps.multiProcess)}`,
    `  max object      ${caps.maxObjectSize.toLocaleString('en-US')} bytes`,
    `  change events   ${yesNo(caps.changeEvents)}`,
    `  ttl             ${yesNo(caps.ttl)}`,
  ];
}

function formatDetails(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

function printFailure(f: StoreUnavailable, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify({ uri: f.uri, healthy: false, code: f.code, error: f.reason, check: f.hint }) + '\n');
  process.stderr.write(f.lines().join('\n') + '\n');
  process.exitCode = 1;
}

/** Resolves the command's store (store-option.ts) and opens it healthy. */
function openChosenStore(flags: StoreFlags, timeoutMs: number): Promise<{ store: DataStore; health: HealthStatus; label: string }> {
  const resolved = storeFromFlags(flags);
  prepareDefault(resolved);
  return openHealthyStore(resolved.datastore, timeoutMs, resolved.label).then((opened) => ({ ...opened, label: resolved.label }));
}

interface CheckOptions extends StoreFlags {
  json?: boolean;
  timeout: number;
}

async function check(options: CheckOptions): Promise<void> {
  const { store, health, label } = await openChosenStore(options, options.timeout);
  try {
    const metrics = await store.metrics();
    const uri = redactUri(label);
    if (options.json) {
      const out = {
        store: store.type,
        uri,
        healthy: true,
        latency_ms: Math.round(health.latencyMs * 1000) / 1000,
        details: health.details,
        capabilities: store.capabilities,
        objects: metrics.objectCount,
        storage_bytes: metrics.storageBytes,
      };
      process.stdout.write(JSON.stringify(out) + '\n');
      return;
    }
    const lines = [
      `store     ${store.type} (${uri})`,
      `health    ok, ${health.latencyMs.toFixed(3)} ms`,
      `details   ${formatDetails(health.details)}`,
      `contents  ${metrics.objectCount.toLocaleString('en-US')} objects, ${metrics.storageBytes.toLocaleString('en-US')} bytes`,
      'capabilities',
      ...formatCapabilities(store.capabilities),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await store.close();
  }
}

interface BenchCliOptions extends StoreFlags {
  objects: number;
  size: number;
  json?: boolean;
  timeout: number;
}

async function bench(options: BenchCliOptions, command: Command): Promise<void> {
  const benchOptions = { objects: options.objects, size: options.size };
  try {
    checkBenchOptions(benchOptions);
  } catch (err) {
    command.error(`error: ${(err as Error).message}`);
  }
  const { store } = await openChosenStore(options, options.timeout);
  try {
    const report = await runBench(store, benchOptions, terminalProgress());
    process.stdout.write(options.json ? JSON.stringify(toJson(report)) + '\n' : formatReport(report));
  } finally {
    await store.close();
  }
}

/** Runs an action; a store that cannot be used ends the command with its explanation and exit status 1. */
export function reportingUnavailable<T extends { json?: boolean }>(action: (options: T, command: Command) => Promise<void>) {
  return async (options: T, command: Command) => {
    try {
      await action(options, command);
    } catch (err) {
      if (!(err instanceof StoreUnavailable)) throw err;
      printFailure(err, options.json === true);
      // A server that never answered may leave a socket open; do not wait for it.
      if (err.code === 'TIMEOUT') process.exit(1);
    }
  };
}

interface GcCliOptions extends StoreFlags {
  grace: string;
  dryRun?: boolean;
  json?: boolean;
  timeout: number;
}

async function gc(options: GcCliOptions): Promise<void> {
  const graceMs = new OptionReader('datastore gc', { grace: options.grace }).durationMs('grace', 0);
  const { store } = await openChosenStore(options, options.timeout);
  const bar = progressBar();
  try {
    const r = await pruneStore(store, { graceMs, dryRun: options.dryRun, onProgress: bar.onProgress });
    bar.stop();
    const verb = options.dryRun ? 'would remove' : 'removed';
    process.stdout.write(
      options.json
        ? JSON.stringify({ dryRun: options.dryRun === true, graceMs, ...r }) + '\n'
        : `${r.repositories} repositories reach ${r.reachable} objects; ${r.unreachable} unreachable: ${verb} ${r.removed}, ${r.waiting} kept until unreachable for ${options.grace}\n`,
    );
  } finally {
    bar.stop();
    await store.close();
  }
}

/** `govc datastore ...`: check, bench, gc; export, import, migrate, verify. */
export function registerDatastoreCommands(program: Command): void {
  const datastore = program.command('datastore').description('inspect, benchmark and collect a store');
  const timeout = parseIntegerOption('--timeout', 3_600_000);

  storeOptions(datastore.command('check'))
    .description('open a store, print its health (latency, details) and capabilities; exit status 1 if it cannot be used')
    .option('--json', 'print one JSON object instead of text')
    .option('--timeout <ms>', 'give up on a store that does not answer within this time', timeout, DEFAULT_TIMEOUT_MS)
    .action(reportingUnavailable(check));

  storeOptions(datastore.command('bench'))
    .description('measure object put/get/has, batch put of 1000, list, ref compare-and-swap, metadata query and transaction against the plan\'s targets')
    .option('--objects <n>', 'objects written one by one and read back; other phases scale from it', parseIntegerOption('--objects', MAX_OBJECTS), DEFAULT_OBJECTS)
    .option('--size <bytes>', `bytes per object (at most ${MAX_SIZE})`, parseIntegerOption('--size', MAX_SIZE), DEFAULT_SIZE)
    .option('--json', 'print one JSON object: {store, objects, size, results: [{op, ops_per_sec, p50_ms, p99_ms, target_ms}]}')
    .option('--timeout <ms>', 'give up on a store that does not answer within this time when opening', timeout, DEFAULT_TIMEOUT_MS)
    .addHelpText('after', `\nOps (in this order):\n${BENCH_OPS.map((op) => `  ${op.padEnd(15)} ${OP_DESCRIPTIONS[op]}`).join('\n')}\n\nCounts: put, get and has run --objects times; batch_put_1000 runs objects/1000 batches (1 to ${BATCH_CAP}); list reads objects/${LIST_PAGE} pages; ref_cas, metadata_query and transaction run min(objects, ${SECONDARY_CAP.toLocaleString('en-US')}) times.\n\nThe bench writes objects and events into the store and deletes the repositories it made; point it at a scratch store.`)
    .action(reportingUnavailable(bench));

  storeOptions(datastore.command('gc'))
    .description('remove objects no repository reaches, once they have been unreachable for the grace period (a push stores objects just before it moves refs)')
    .option('--grace <duration>', 'how long an object must be seen unreachable before it goes: 30m, 1h, 14d; 0 removes at once', '1h')
    .option('--dry-run', 'say what would be removed, remove nothing and record nothing')
    .option('--json', 'print one JSON object')
    .option('--timeout <ms>', 'give up on a store that does not answer within this time when opening', timeout, DEFAULT_TIMEOUT_MS)
    .action(reportingUnavailable(gc));

  registerMigrationCommands(datastore);
  registerRotateKeyCommand(datastore);
}
