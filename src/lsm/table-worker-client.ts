/**
 * The main thread's side of one table worker (table-worker.ts): starts it
 * when the first job is due, sends one job at a time, and turns its answer
 * back into table metadata (Buffers, not the structured-clone copies) or an
 * LsmError. stop() ends a job under way by terminating the worker; its
 * unfinished outputs are deleted here, since they are in no version.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FlushRequest, MergeRequest, TableJob, TableJobReply } from './table-worker.js';
import { unlinkQuietly } from './core.js';
import { LsmError, type LsmErrorCode } from './errors.js';
import { tableName } from './files.js';
import type { TableWriteResult } from './table-writer.js';
import type { FileMeta } from './version.js';

const WORKER = new URL('./table-worker.js', import.meta.url);

/** A job ended by close() (its worker terminated). */
export class Stopped extends Error {
  constructor() {
    super('lsm background job stopped');
  }
}

/** A job as the caller gives it: the client numbers it. */
type JobRequest = Omit<MergeRequest, 'id'> | Omit<FlushRequest, 'id'>;

export class TableWorkerClient {
  private worker: Worker | undefined;
  private pending: { id: number; job: TableJob['job']; numbers: number[]; resolve: (r: TableWriteResult) => void; reject: (e: unknown) => void } | undefined;
  private nextId = 1;

  run(req: JobRequest): Promise<TableWriteResult> {
    const w = this.start();
    const id = this.nextId++;
    return new Promise<TableWriteResult>((resolve, reject) => {
      this.pending = { id, job: req.job, numbers: req.numbers, resolve, reject };
      w.ref();
      w.postMessage({ ...req, id });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER);
    w.on('message', (reply: TableJobReply) => {
      const p = this.pending;
      if (!p || p.id !== reply.id) return;
      this.pending = undefined;
      w.unref();
      if ('error' in reply) {
        const e = reply.error;
        p.reject(e.code ? new LsmError(e.code as LsmErrorCode, e.message, e.details) : new Error(`lsm ${p.job}: ${e.message}`));
      } else p.resolve({ tables: reply.tables.map(asBuffers), discard: new Map(reply.discard) });
    });
    w.on('error', (err) => this.fail(err));
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
      this.fail(new Error('lsm table worker exited'));
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private fail(err: unknown): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  /** Ends the worker (and a job under way: it rejects with Stopped). */
  async stop(dir: string): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (w) await w.terminate();
    if (p) {
      for (const n of p.numbers) unlinkQuietly(join(dir, tableName(n)));
      p.reject(new Stopped());
    }
  }
}

/** Structured clone turns Buffers into plain Uint8Arrays. */
function asBuffers(f: FileMeta): FileMeta {
  const b = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return { ...f, smallest: b(f.smallest), largest: b(f.largest) };
}
