/**
 * transact() for engines without a native write transaction (RocksDB, an LSM):
 * writes are serialised in this process by a mutex, the plan reads the latest
 * state synchronously, and its ops commit as one atomic batch. Correct only
 * while this process is the engine's single writer, which such engines
 * enforce with an exclusive lock on their directory.
 */
import type { KvOp, KvPlan, KvSyncReader } from './engine.js';

/** A FIFO mutex: run() calls execute one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export async function serializedTransact<T>(
  mutex: Mutex,
  reader: KvSyncReader,
  commit: (ops: KvOp[]) => Promise<void>,
  plan: (reader: KvSyncReader) => KvPlan<T>,
): Promise<T> {
  return mutex.run(async () => {
    const { ops, result } = plan(reader);
    if (ops.length > 0) await commit(ops);
    return result;
  });
}
