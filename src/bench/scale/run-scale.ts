/** `govc bench scale`: the plan's scalability targets, each measured once and reported as holding or not. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataStore } from '../../datastore/store.js';
import { parsePositiveInteger } from '../options.js';
import { runTag } from '../suite/context.js';
import { SUITE_FORMAT, type BenchResult, type SuiteJson } from '../suite/result.js';
import { machine } from '../suite/run-suite.js';
import { scaleConnections } from './connections.js';
import { scaleObjects } from './objects.js';
import { scaleOpsRate } from './ops-rate.js';
import { scaleRepositories } from './repositories.js';

import { SCALE_RUNS } from './names.js';

export { SCALE_RUNS };

export interface ScaleRun {
  store?: string;
  only?: string[];
  objects: string;
  repositories: string;
  connections: string;
  seconds: string;
  command: string;
  log(line: string): void;
  open(uri: string): Promise<DataStore>;
  redact(uri: string): string;
}

export async function runScale(run: ScaleRun): Promise<SuiteJson> {
  const objects = parsePositiveInteger('--objects', run.objects, 100_000_000);
  const repositories = parsePositiveInteger('--repositories', run.repositories, 1_000_000);
  const connections = parsePositiveInteger('--connections', run.connections, 60_000);
  const seconds = parsePositiveInteger('--seconds', run.seconds, 3600);
  const only = run.only ?? [...SCALE_RUNS];
  for (const o of only) if (!(SCALE_RUNS as readonly string[]).includes(o)) throw new RangeError(`--only ${o}: scale runs are ${SCALE_RUNS.join(', ')}`);
  const started = new Date().toISOString();
  const loadBefore = machine().loadAverage;
  const scratch = run.store ? undefined : mkdtempSync(join(tmpdir(), 'govc-scale-'));
  const uri = run.store ?? `sqlite://${join(scratch!, 'scale.db')}`;
  const results: BenchResult[] = [];
  const tag = runTag();
  /** One failing run must not lose the others: its row says it failed, and the command exits 1. */
  const attempt = async (name: string, fn: () => Promise<BenchResult[]>) => {
    try {
      results.push(...(await fn()));
    } catch (err) {
      run.log(`scale: ${name} FAILED: ${(err as Error).message}`);
      results.push({ group: 'scale', name: `scale_${name}`, store: '-', count: 0, opsPerSec: null, p50Ms: null, p99Ms: null, targetMs: null, failed: (err as Error).message });
    }
  };
  try {
    if (only.includes('objects') || only.includes('repositories')) {
      const store = await run.open(uri);
      try {
        if (only.includes('objects')) {
          run.log(`scale: ${objects} objects in one repository on ${store.type}`);
          await attempt('objects', () => scaleObjects(store, objects, tag, run.log));
        }
        if (only.includes('repositories')) {
          run.log(`scale: ${repositories} repositories on ${store.type}`);
          await attempt('repositories', () => scaleRepositories(store, repositories, tag, run.log));
        }
      } finally {
        await store.close();
      }
    }
    if (only.includes('connections')) {
      run.log(`scale: ${connections} concurrent connections to govc serve`);
      await attempt('connections', () => scaleConnections(connections, seconds, run.log));
    }
    if (only.includes('ops')) {
      run.log('scale: aggregate reads per second on the fastest read path');
      await attempt('ops', () => scaleOpsRate(seconds, run.log));
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  return {
    format: SUITE_FORMAT,
    command: run.command,
    started,
    finished: new Date().toISOString(),
    machine: { ...machine(), loadAverage: loadBefore },
    sizes: { objects, repositories, connections, seconds, loadAverageAtEnd: machine().loadAverage },
    stores: [run.redact(uri)],
    results,
  };
}
