/** Runs the chosen benchmark groups on each store in turn and collects one JSON document. */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { DataStore } from '../../datastore/store.js';
import type { BenchmarkGroup, SuiteContext } from './context.js';
import { runTag } from './context.js';
import { historyGroup } from './history.js';
import { metadataGroup } from './metadata.js';
import { objectsGroup } from './objects.js';
import { parallelGroup } from './parallel.js';
import { selection } from './names.js';
import { SUITE_FORMAT, type BenchResult, type SuiteJson } from './result.js';
import { serverGroup } from './server.js';
import type { SuiteSizes } from './sizes.js';

/** The groups `govc bench` runs by default, in order (the scale runs are separate: `govc bench scale`). */
export const SUITE_GROUPS: readonly BenchmarkGroup[] = [objectsGroup, metadataGroup, parallelGroup, historyGroup, serverGroup];

export function machine(): SuiteJson['machine'] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export interface SuiteRun {
  stores: string[];
  sizes: SuiteSizes;
  only?: string[];
  command: string;
  open(uri: string): Promise<DataStore>;
  redact(uri: string): string;
  log(line: string): void;
}

export async function runSuite(run: SuiteRun): Promise<SuiteJson> {
  const started = new Date().toISOString();
  const wanted = selection(run.only);
  const results: BenchResult[] = [];
  const loadBefore = machine().loadAverage;
  for (const uri of run.stores) {
    let store = await run.open(uri);
    const ctx: SuiteContext = {
      uri,
      get store() {
        return store;
      },
      sizes: run.sizes,
      tag: runTag(),
      async reopen() {
        await store.close();
        store = await run.open(uri);
        return store;
      },
      log: run.log,
    };
    try {
      for (const group of SUITE_GROUPS) {
        if (!group.names.some((n) => wanted(group, n))) continue;
        run.log(`${store.type}: ${group.group}`);
        const t0 = performance.now();
        try {
          results.push(...(await group.run(ctx, (name) => wanted(group, name))));
        } catch (err) {
          // One failing group must not lose a long run's other results; the rows say it failed and the command exits 1.
          const message = (err as Error).message;
          run.log(`${store.type}: ${group.group} FAILED: ${message}`);
          for (const name of group.names.filter((n) => wanted(group, n))) results.push({ group: group.group, name, store: store.type, count: 0, opsPerSec: null, p50Ms: null, p99Ms: null, targetMs: null, failed: message });
        }
        run.log(`${store.type}: ${group.group} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    } finally {
      await store.close();
    }
  }
  const m = machine();
  return {
    format: SUITE_FORMAT,
    command: run.command,
    started,
    finished: new Date().toISOString(),
    machine: { ...m, loadAverage: loadBefore },
    sizes: { ...run.sizes, freeMemoryGiBAtEnd: Math.round(freemem() / 2 ** 30), loadAverageAtEnd: m.loadAverage },
    stores: run.stores.map(run.redact),
    results,
  };
}
