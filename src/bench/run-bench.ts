/**
 * The benchmark behind `govc datastore bench`: each phase times every single
 * operation with performance.now(), outside of data generation and checks.
 * Every phase also checks its results, so a store that returns wrong answers
 * fails the bench instead of looking fast.
 */
import { randomBytes } from 'node:crypto';
import type { DataStore } from '../datastore/store.js';
import { ConflictError, UnsupportedError } from '../datastore/errors.js';
import { BlobSource } from './blobs.js';
import { IdList } from '../datastore/id-list.js';
import { BATCH_SIZE, BENCH_OPS, LIST_PAGE, opCounts, planTargetMs, shuffled, type BenchOp } from './ops.js';
import { silentProgress, type Progress } from './progress.js';
import type { BenchReport, OpResult } from './report.js';
import { Timings } from './timings.js';
import type { BenchOptions } from './options.js';

/** Repositories the metadata phase queries. */
const QUERY_REPOSITORIES = 100;
/** Audit events logged per setup transaction. */
const EVENT_CHUNK = 1000;
/** Yield to the event loop every this many ops, so timers (the progress bar) run even on a store that never does I/O. */
const YIELD_EVERY = 512;

class BenchError extends Error {}

interface Run {
  store: DataStore;
  blobs: BlobSource;
  counts: Record<BenchOp, number>;
  progress: Progress;
  /** Ids of the put phase, reused by get, has and the ref phases. */
  ids: IdList;
  /** Prefix of every repository the run creates, unique per run so reruns on one store do not collide. */
  tag: string;
  repositoryIds: string[];
}

type Phase = (run: Run, t: Timings) => Promise<void>;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function step(run: Run, i: number): Promise<void> {
  run.progress.tick();
  if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
}

async function createRepository(run: Run, name: string): Promise<string> {
  const repo = await run.store.createRepository({ name: `${run.tag}-${name}` });
  run.repositoryIds.push(repo.id);
  return repo.id;
}

const phases: Record<BenchOp, Phase> = {
  async put(run, t) {
    for (let i = 0; i < run.counts.put; i++) {
      const data = run.blobs.next();
      run.ids.push(await t.time(() => run.store.putObject({ type: 'blob', data })));
      await step(run, i);
    }
  },

  async get(run, t) {
    const order = shuffled(run.ids.length);
    for (let i = 0; i < order.length; i++) {
      const id = run.ids.at(order[i]);
      const found = await t.time(() => run.store.getObject(id));
      if (!found || found.data.byteLength !== run.blobs.size) throw new BenchError(`get of ${id} did not return the ${run.blobs.size}-byte blob written by the put phase`);
      await step(run, i);
    }
  },

  async has(run, t) {
    const order = shuffled(run.ids.length);
    for (let i = 0; i < order.length; i++) {
      const id = run.ids.at(order[i]);
      if (!(await t.time(() => run.store.hasObject(id)))) throw new BenchError(`has of ${id} said false for an object written by the put phase`);
      await step(run, i);
    }
  },

  async batch_put_1000(run, t) {
    for (let i = 0; i < run.counts.batch_put_1000; i++) {
      const batch = Array.from({ length: BATCH_SIZE }, () => ({ type: 'blob' as const, data: run.blobs.next() }));
      const ids = await t.time(() => run.store.putObjects(batch));
      if (ids.length !== BATCH_SIZE) throw new BenchError(`batch put returned ${ids.length} ids for ${BATCH_SIZE} objects`);
      await step(run, i);
    }
  },

  async list(run, t) {
    let cursor: string | undefined;
    for (let i = 0; i < run.counts.list; i++) {
      const page = await t.time(() => run.store.listObjectsPage({ limit: LIST_PAGE, cursor }));
      if (page.items.length === 0) throw new BenchError('list returned no object ids although the put phase wrote some');
      cursor = page.nextCursor; // at the end, start over from the first page
      await step(run, i);
    }
  },

  async ref_cas(run, t) {
    const repositoryId = await createRepository(run, 'cas');
    const name = 'refs/heads/main';
    const first = run.ids.at(0);
    // Targets cycle through every id but the first, so a ref that never moved is caught below.
    const targetAt = (i: number) => (run.ids.length === 1 ? first : run.ids.at(1 + (i % (run.ids.length - 1))));
    let current = first;
    await run.store.updateRefs(repositoryId, [{ name, old: null, new: current }]);
    for (let i = 0; i < run.counts.ref_cas; i++) {
      const next = targetAt(i);
      await t.time(() => run.store.updateRefs(repositoryId, [{ name, old: current, new: next }]));
      current = next;
      await step(run, i);
    }
    const ref = await run.store.getRef(repositoryId, name);
    if (ref?.target !== current) throw new BenchError(`after ${run.counts.ref_cas} compare-and-swaps ${name} is ${ref?.target}, not ${current}`);
    if (current !== first) {
      const stale = await run.store.updateRefs(repositoryId, [{ name, old: first, new: first }]).then(
        () => undefined,
        (err: unknown) => err,
      );
      if (!(stale instanceof ConflictError)) throw new BenchError(`a compare-and-swap with a stale old value was not refused with ConflictError (got ${String(stale)})`);
    }
  },

  async metadata_query(run, t) {
    const repositories: string[] = [];
    for (let r = 0; r < QUERY_REPOSITORIES; r++) repositories.push(await createRepository(run, `query-${r}`));
    const actions = ['push', 'fetch', 'clone', 'settings'];
    const events = run.counts.metadata_query;
    for (let start = 0; start < events; start += EVENT_CHUNK) {
      const end = Math.min(events, start + EVENT_CHUNK);
      const logAll = async (target: Pick<DataStore, 'logEvent'>) => {
        for (let e = start; e < end; e++) {
          await target.logEvent({ action: actions[e % actions.length], repositoryId: repositories[e % repositories.length], resource: 'refs/heads/main' });
        }
      };
      if (run.store.capabilities.transactions) await run.store.transaction(logAll);
      else await logAll(run.store);
    }
    for (let i = 0; i < run.counts.metadata_query; i++) {
      const repositoryId = repositories[Math.floor(Math.random() * repositories.length)];
      const page = await t.time(() => run.store.queryEvents({ repositoryId, action: 'push', order: 'desc', limit: 20 }));
      if (page.items.some((e) => e.repositoryId !== repositoryId || e.action !== 'push')) throw new BenchError('metadata query returned events outside its filter');
      await step(run, i);
    }
  },

  async transaction(run, t) {
    if (!run.store.capabilities.transactions) throw new UnsupportedError(`${run.store.type} store has no transactions`);
    const repositoryId = await createRepository(run, 'tx');
    const name = 'refs/heads/main';
    let current: string | null = null;
    for (let i = 0; i < run.counts.transaction; i++) {
      const data = run.blobs.next();
      const old = current;
      current = await t.time(() =>
        run.store.transaction(async (tx) => {
          const id = await tx.putObject({ type: 'blob', data });
          await tx.updateRefs(repositoryId, [{ name, old, new: id }]);
          await tx.logEvent({ action: 'push', repositoryId, resource: name });
          return id;
        }),
      );
      await step(run, i);
    }
  },
};

/** Runs every phase against an open store and returns one result per op. The store keeps the objects; the run's repositories (and their refs) are deleted at the end. */
export async function runBench(store: DataStore, options: BenchOptions, progress: Progress = silentProgress): Promise<BenchReport> {
  const run: Run = {
    store,
    blobs: new BlobSource(options.size),
    counts: opCounts(options.objects),
    progress,
    ids: new IdList(opCounts(options.objects).put),
    tag: `bench-${randomBytes(4).toString('hex')}`,
    repositoryIds: [],
  };
  const results: OpResult[] = [];
  try {
    for (const op of BENCH_OPS) {
      const count = run.counts[op];
      const targetMs = planTargetMs(op, store.type);
      progress.phase(op, count);
      const t = new Timings(count);
      try {
        await phases[op](run, t);
      } catch (err) {
        if (!(err instanceof UnsupportedError)) throw err;
        results.push({ op, count: 0, opsPerSec: null, p50Ms: null, p99Ms: null, targetMs, skipped: err.message });
        continue;
      }
      const s = t.summary();
      results.push({ op, count: s.count, opsPerSec: s.opsPerSec, p50Ms: s.p50Ms, p99Ms: s.p99Ms, targetMs });
    }
  } finally {
    progress.stop();
    for (const id of run.repositoryIds) await store.deleteRepository(id).catch(() => undefined);
  }
  return { store: store.type, objects: options.objects, size: options.size, results };
}
