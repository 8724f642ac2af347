/**
 * 100,000 operations per second on the fastest read path: getObject of small
 * stored blobs, on the memory store in this thread and on lmdb and sqlite
 * with one worker thread per core (each its own store handle).
 */
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createStore } from '../../datastore/builtin.js';
import { BlobSource } from '../blobs.js';
import { rowFromSamples } from '../suite/measure.js';
import { runParallel, type ParallelMode } from '../suite/parallel.js';
import type { BenchResult } from '../suite/result.js';

const GOAL = '100,000 operations per second';
const OBJECTS = 10_000;
const SIZE = 256;
const TARGET = 100_000;

async function measure(uri: string, mode: ParallelMode, workers: number, seconds: number, log: (line: string) => void): Promise<BenchResult> {
  const store = await createStore(uri);
  try {
    const blobs = new BlobSource(SIZE);
    const ids: string[] = [];
    for (let i = 0; i < OBJECTS; i += 1000) ids.push(...(await store.putObjects(Array.from({ length: 1000 }, () => ({ type: 'blob' as const, data: blobs.next() })))));
    const target = { uri, store, objectBytes: SIZE };
    // Calibrate, then size the run to about `seconds`.
    const probe = await runParallel(mode, target, 'read', workers, 5_000, ids);
    const rate = (probe.samples.length * 1000) / probe.wallMs;
    const perWorker = Math.max(1_000, Math.round((rate * seconds) / workers));
    log(`  ${store.type} ${mode} x${workers}: ~${Math.round(rate)}/s in the probe; ${perWorker} reads per worker`);
    const { samples, wallMs, errors } = await runParallel(mode, target, 'read', workers, perWorker, ids);
    const row = rowFromSamples(
      { group: 'scale', name: `scale_ops_read_${store.type}`, store: store.type, targetMs: null, workers, mode, goal: GOAL, note: `getObject of ${SIZE}-byte blobs (${OBJECTS} stored), ${workers} ${mode === 'threads' ? 'worker threads' : 'in flight in one thread'}, ${samples.length.toLocaleString('en-US')} reads in ${(wallMs / 1000).toFixed(1)} s; ops/s = reads / wall time` },
      samples,
      (samples.length * 1000) / wallMs,
    );
    return { ...row, errors, holds: errors === 0 && (row.opsPerSec ?? 0) >= TARGET };
  } finally {
    await store.close();
  }
}

export async function scaleOpsRate(seconds: number, log: (line: string) => void): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'govc-scale-ops-'));
  const cores = cpus().length;
  try {
    return [
      await measure('memory://', 'async', 1, seconds, log),
      await measure(`lmdb://${join(dir, 'lmdb')}`, 'threads', cores, seconds, log),
      await measure(`sqlite://${join(dir, 'store.db')}`, 'threads', cores, seconds, log),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
