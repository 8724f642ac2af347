/**
 * Parallel writes and reads with N = 1, 4, 16, 64 workers: throughput (all
 * operations over wall time) and p50/p99 against N. Embedded stores that
 * several processes may open (sqlite, lmdb) get one worker thread per worker,
 * each with its own store handle; every other store gets N operations in
 * flight on one handle (for a server store: N requests over its connection
 * pool; for rocksdb and memory, which one process owns, async interleaving).
 */
import { Worker } from 'node:worker_threads';
import { BlobSource } from '../blobs.js';
import { shuffled } from '../ops.js';
import { Timings } from '../timings.js';
import type { DataStore } from '../../datastore/store.js';
import { GROUP_BENCHMARKS } from './names.js';
import type { BenchmarkGroup } from './context.js';
import { rowFromSamples } from './measure.js';
import type { BenchResult } from './result.js';
import type { WorkerDone, WorkerTask } from './parallel-worker.js';

const THREAD_STORES = new Set(['sqlite', 'lmdb']);
const WORKER = new URL('./parallel-worker.js', import.meta.url);

type Op = 'write' | 'read';

function merge(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all.sort();
}

/** What one parallel run needs: the store (async mode) or its URI (threads mode). */
export interface ParallelTarget {
  uri: string;
  store: DataStore;
  objectBytes: number;
}

export type ParallelMode = 'threads' | 'async';

export interface ParallelOutcome {
  /** Latencies of the operations that succeeded, ascending. */
  samples: Float64Array;
  wallMs: number;
  errors: number;
  firstError?: string;
}

/** threads for embedded stores several processes may open, async (N in flight on one handle) for the rest. */
export function parallelMode(store: DataStore): ParallelMode {
  return THREAD_STORES.has(store.type) && store.capabilities.multiProcess ? 'threads' : 'async';
}

/** Runs `workers` x `perWorker` operations; reads cycle through `ids`. */
export function runParallel(mode: ParallelMode, target: ParallelTarget, op: Op, workers: number, perWorker: number, ids: string[]): Promise<ParallelOutcome> {
  return mode === 'threads' ? inThreads(target, op, workers, perWorker, ids) : inFlight(target, op, workers, perWorker, ids);
}

async function inThreads(target: ParallelTarget, op: Op, workers: number, perWorker: number, ids: string[]): Promise<ParallelOutcome> {
  const started = Array.from({ length: workers }, (_, w) => {
    const task: WorkerTask = { uri: target.uri, op, count: perWorker, size: target.objectBytes, ids: ids.length ? rotate(ids, w * perWorker) : [], seed: (Date.now() & 0xffff) * 256 + w };
    const worker = new Worker(WORKER, { workerData: task });
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    const done = new Promise<WorkerDone>((resolve, reject) => {
      ready.then(() =>
        worker.once('message', (m: WorkerDone | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m))),
      );
      worker.once('error', reject);
    });
    return { worker, ready, done };
  });
  try {
    await Promise.all(started.map((s) => s.ready));
    const t0 = performance.now();
    for (const s of started) s.worker.postMessage('go');
    // allSettled: terminating a worker inside a native sqlite call aborts the process, so every worker finishes first.
    const settled = await Promise.allSettled(started.map((s) => s.done));
    const wallMs = performance.now() - t0;
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const parts = settled.map((s) => (s as PromiseFulfilledResult<WorkerDone>).value);
    return { samples: merge(parts.map((p) => p.samples)), wallMs, errors: parts.reduce((n, p) => n + p.errors, 0), firstError: parts.find((p) => p.firstError)?.firstError };
  } finally {
    await Promise.all(started.map((s) => s.worker.terminate()));
  }
}

function rotate<T>(xs: T[], by: number): T[] {
  const k = by % xs.length;
  return xs.slice(k).concat(xs.slice(0, k));
}

async function inFlight(target: ParallelTarget, op: Op, workers: number, perWorker: number, ids: string[]): Promise<ParallelOutcome> {
  const blobs = new BlobSource(target.objectBytes);
  const timings = Array.from({ length: workers }, () => new Timings(perWorker));
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  await Promise.all(
    timings.map(async (t, w) => {
      for (let i = 0; i < perWorker; i++) {
        try {
          if (op === 'write') {
            const data = blobs.next();
            await t.time(() => target.store.putObject({ type: 'blob', data }));
          } else {
            const id = ids[(w * perWorker + i) % ids.length];
            if (!(await t.time(() => target.store.getObject(id)))) throw new Error(`parallel read of ${id} found nothing`);
          }
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  const wallMs = performance.now() - t0;
  return { samples: merge(timings.map((t) => t.sorted())), wallMs, errors, firstError };
}

export const parallelGroup: BenchmarkGroup = {
  group: 'parallel',
  names: GROUP_BENCHMARKS.parallel,
  async run(ctx, wanted) {
    const type = ctx.store.type;
    const mode = parallelMode(ctx.store);
    const total = ctx.sizes.parallelOps;
    // Reads go to objects written here, in random order.
    const blobs = new BlobSource(ctx.sizes.objectBytes);
    const ids: string[] = [];
    for (let i = 0; i < total; i += 1000) ids.push(...(await ctx.store.putObjects(Array.from({ length: Math.min(1000, total - i) }, () => ({ type: 'blob' as const, data: blobs.next() })))));
    const order = shuffled(ids.length);
    const readIds = Array.from(order, (i) => ids[i]);
    const rows: BenchResult[] = [];
    for (const op of ['write', 'read'] as const) {
      const name = `parallel_${op}`;
      if (!wanted(name)) continue;
      for (const workers of ctx.sizes.workers) {
        const perWorker = Math.max(1, Math.floor(total / workers));
        ctx.log(`  ${name} x${workers} (${mode})`);
        const { samples, wallMs, errors, firstError } = await runParallel(mode, { uri: ctx.uri, store: ctx.store, objectBytes: ctx.sizes.objectBytes }, op, workers, perWorker, readIds);
        const row = rowFromSamples(
            {
              group: 'parallel',
              name,
              store: type,
              targetMs: op === 'write' ? 1 : 5,
              workers,
              mode,
              note: `${op === 'write' ? 'putObject of a new' : 'getObject of a stored'} ${ctx.sizes.objectBytes}-byte blob; ${workers} workers x ${perWorker} ops; ops/s = successful ops / wall time`,
            },
            samples,
            (samples.length * 1000) / wallMs,
          );
        rows.push({ ...row, errors, ...(firstError ? { note: `${row.note}; ${errors} failed, first: ${firstError}` } : {}) });
      }
    }
    return rows;
  },
};
