/** One worker thread of the parallel benchmarks: opens its own store, waits for the start signal, runs its share, returns the latencies. */
import { parentPort, workerData } from 'node:worker_threads';
import { createStore } from '../../datastore/builtin.js';
import { BlobSource } from '../blobs.js';
import { Timings } from '../timings.js';

export interface WorkerTask {
  uri: string;
  op: 'write' | 'read';
  count: number;
  size: number;
  /** Ids to read (op read), in the order to read them. */
  ids: string[];
  /** Makes each worker's blobs distinct from the others'. */
  seed: number;
}

export interface WorkerDone {
  samples: Float64Array;
  /** Operations that threw (e.g. SQLITE_BUSY with many writers), with the first message. */
  errors: number;
  firstError?: string;
}

const task = workerData as WorkerTask;
const store = await createStore(task.uri);
const t = new Timings(task.count);
const blobs = new BlobSource(task.size);
parentPort!.postMessage('ready');
parentPort!.once('message', async () => {
  try {
    let errors = 0;
    let firstError: string | undefined;
    for (let i = 0; i < task.count; i++) {
      try {
        if (task.op === 'write') {
          const data = blobs.next();
          data.writeUInt32BE(task.seed, data.length - 4); // distinct across workers; the counter keeps them distinct within one
          await t.time(() => store.putObject({ type: 'blob', data }));
        } else {
          const id = task.ids[i % task.ids.length];
          const found = await t.time(() => store.getObject(id));
          if (!found) throw new Error(`worker could not read ${id}`);
        }
      } catch (err) {
        // Counted, not fatal: the row reports how many operations failed at this N.
        errors++;
        firstError ??= (err as Error).message;
      }
    }
    await store.close();
    const done: WorkerDone = { samples: t.sorted(), errors, firstError };
    parentPort!.postMessage(done);
  } catch (err) {
    await store.close().catch(() => undefined);
    parentPort!.postMessage({ error: (err as Error).message });
  }
});
