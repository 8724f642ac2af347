/**
 * The engine pool: worker threads, each with its own store connection, that
 * run clones and pushes (pack walking, delta and zlib work, pack indexing and
 * checks) off the main event loop, which only authenticates, routes and moves
 * bytes. Each thread runs up to `perThread` requests at once; beyond every
 * slot, up to `queue` requests wait in order; beyond that a request is
 * refused at once with ServerBusyError. A worker that dies fails the
 * requests it was running (WorkerGoneError) and is replaced.
 */
import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { MessageChannel, Worker } from 'node:worker_threads';
import { HttpError } from '../http-error.js';
import { GitOutput } from '../../git/protocol/sideband.js';
import { AnswerFraming } from './framing.js';
import type { EngineJob, EngineService, EngineWorkerData, FromWorker, JobTrailer, ToWorker } from './messages.js';
import { PortSender, receiveChunks, WorkerGoneError, type Received } from './port-stream.js';

export interface PoolOptions {
  threads: number;
  perThread: number;
  queue: number;
  retryAfterMs: number;
  worker: EngineWorkerData;
  log: (line: string) => void;
}

/** Every slot and the queue are taken: the client is told to come back. */
export class ServerBusyError extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    super(503, `server busy, retry in ${retryAfterSeconds} s`, 'BUSY');
  }
}

interface PoolWorker {
  thread: Worker;
  /** The thread's id while it ran (a Worker's threadId is -1 once it has exited). */
  id: number;
  /** Slots reserved on this thread (running or about to run). */
  load: number;
  /** Closes the answer ports of the jobs it runs: their requests fail at once when it dies. */
  readonly jobs: Set<() => void>;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
const RESPAWN_DELAY_MS = 1000;
const CLOSE_TIMEOUT_MS = 10_000;

export class EnginePool extends EventEmitter {
  private readonly workers: PoolWorker[] = [];
  private readonly waiting: Array<(w: PoolWorker) => void> = [];
  private closing = false;
  private closed: Promise<void> | undefined;
  /** Requests handed to a thread so far, by service. */
  readonly jobsRun: Record<EngineService, number> = { 'upload-pack': 0, 'receive-pack': 0 };

  private constructor(private readonly options: PoolOptions) {
    super();
  }

  /** Starts every thread; resolves once each has opened the store (rejects with the first that cannot). */
  static async start(options: PoolOptions): Promise<EnginePool> {
    const pool = new EnginePool(options);
    try {
      await Promise.all(Array.from({ length: options.threads }, () => pool.spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): { threads: number; slots: number; busy: number; queued: number } {
    return {
      threads: this.workers.length,
      slots: this.workers.length * this.options.perThread,
      busy: this.workers.reduce((n, w) => n + w.load, 0),
      queued: this.waiting.length,
    };
  }

  /** What a request now would be answered with when every slot and the queue are taken. */
  busy(): ServerBusyError | undefined {
    return this.freeWorker() === undefined && this.waiting.length >= this.options.queue ? this.busyError() : undefined;
  }

  private busyError(): ServerBusyError {
    return new ServerBusyError(Math.ceil(this.options.retryAfterMs / 1000));
  }

  /** A slot for one request: at once, after waiting in the queue, or ServerBusyError when the queue is full. */
  reserve(): Promise<PoolSlot> {
    if (this.closing) return Promise.reject(new HttpError(503, 'the server is shutting down; retry in a moment', 'CLOSED'));
    const free = this.freeWorker();
    if (free) return Promise.resolve(this.take(free));
    if (this.waiting.length >= this.options.queue) return Promise.reject(this.busyError());
    return new Promise((resolve) => this.waiting.push((w) => resolve(this.take(w))));
  }

  /** Ends a thread as a crash or an operator's kill would: its requests fail and the pool replaces it. */
  async terminateThread(threadId: number): Promise<void> {
    await this.workers.find((w) => w.id === threadId)?.thread.terminate();
  }

  /** Lets the running requests finish (up to a timeout), then stops every thread. */
  close(): Promise<void> {
    return (this.closed ??= this.stopAll());
  }

  private async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = new Promise<void>((resolve) => w.thread.once('exit', () => resolve()));
        w.thread.postMessage({ type: 'close' } satisfies ToWorker);
        const timer = setTimeout(() => void w.thread.terminate(), CLOSE_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Runs `job` on `worker`: `input` streams in, the answer streams to `output` (not ended); resolves to the engine's result. */
  async run(worker: PoolWorker, job: EngineJob, input: AsyncIterable<Buffer>, output: Writable, head?: () => Buffer | undefined): Promise<unknown> {
    const inbound = new MessageChannel();
    const outbound = new MessageChannel();
    const closePorts = () => {
      inbound.port1.close();
      outbound.port2.close();
    };
    worker.jobs.add(closePorts);
    try {
      if (!this.workers.includes(worker)) throw new WorkerGoneError();
      worker.thread.postMessage({ type: 'job', ...job, input: inbound.port2, output: outbound.port1 } satisfies ToWorker, [inbound.port2, outbound.port1]);
      this.jobsRun[job.service]++;
      this.emit('job', worker.id, job);
      void pump(input, new PortSender(inbound.port1), head);
      const framing = new AnswerFraming();
      const out = new GitOutput(output);
      const ended: Received = {};
      try {
        for await (const chunk of receiveChunks(outbound.port2, ended)) {
          framing.observe(chunk);
          await out.write(chunk);
        }
      } catch (err) {
        if (err instanceof WorkerGoneError) tellGone(output, framing, err);
        throw err;
      }
      return (ended.trailer as JobTrailer | undefined)?.result;
    } finally {
      worker.jobs.delete(closePorts);
      closePorts();
    }
  }

  release(worker: PoolWorker): void {
    worker.load--;
    this.dispatch();
  }

  private freeWorker(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.workers) if (w.load < this.options.perThread && (!best || w.load < best.load)) best = w;
    return best;
  }

  private take(worker: PoolWorker): PoolSlot {
    worker.load++;
    return new PoolSlot(this, worker);
  }

  private dispatch(): void {
    for (let free = this.freeWorker(); free && this.waiting.length > 0; free = this.freeWorker()) this.waiting.shift()!(free);
  }

  private spawn(): Promise<void> {
    const thread = new Worker(WORKER_URL, { workerData: this.options.worker });
    const worker: PoolWorker = { thread, id: thread.threadId, load: 0, jobs: new Set() };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      thread.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          // A thread that opened its store after the pool began closing (another failed to start) is not kept.
          if (this.closing) {
            void thread.terminate();
            return reject(new Error('the engine pool closed while a worker was starting'));
          }
          ready = true;
          this.workers.push(worker);
          this.dispatch();
          resolve();
        } else {
          reject(new Error(`an engine worker could not open the store: ${m.message}`));
          void thread.terminate();
        }
      });
      thread.on('error', (err) => {
        if (!ready) reject(err);
        else this.options.log(`govc: engine worker ${worker.id} failed: ${err.stack ?? String(err)}`);
      });
      thread.once('exit', (code) => {
        if (!ready) return reject(new Error(`an engine worker exited with code ${code} before it was ready`));
        this.lost(worker, code);
      });
    });
  }

  private lost(worker: PoolWorker, code: number): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    for (const close of worker.jobs) close();
    if (this.closing) return;
    this.options.log(`govc: engine worker ${worker.id} exited with code ${code}; the requests it was running failed; starting another`);
    const respawn = () => {
      if (this.closing) return;
      this.spawn().catch((err: Error) => {
        this.options.log(`govc: ${err.message}; trying again in ${RESPAWN_DELAY_MS} ms`);
        setTimeout(respawn, RESPAWN_DELAY_MS).unref();
      });
    };
    respawn();
  }
}

/** One reserved slot: run one job in it, or release it unused. */
export class PoolSlot {
  private used = false;

  constructor(
    private readonly pool: EnginePool,
    private readonly worker: PoolWorker,
  ) {}

  async run(job: EngineJob, input: AsyncIterable<Buffer>, output: Writable, head?: () => Buffer | undefined): Promise<unknown> {
    if (this.used) throw new Error('an engine slot runs one request');
    this.used = true;
    try {
      return await this.pool.run(this.worker, job, input, output, head);
    } finally {
      this.pool.release(this.worker);
    }
  }

  release(): void {
    if (this.used) return;
    this.used = true;
    this.pool.release(this.worker);
  }
}

/** Moves the request body to the worker; a body that cannot be read fails there, as the engine would have seen it. */
async function pump(input: AsyncIterable<Buffer>, sender: PortSender, head?: () => Buffer | undefined): Promise<void> {
  try {
    for await (const chunk of input) {
      if (sender.aborted) break;
      await sender.send(chunk);
    }
    sender.end();
  } catch (err) {
    if (!sender.aborted) sender.fail(err, head?.());
  }
}

/** A worker died mid-answer: git is told in the framing it reads now, or the connection is cut where none fits. */
function tellGone(output: Writable, framing: AnswerFraming, err: Error): void {
  const bytes = framing.failure(err.message);
  if (bytes && !output.destroyed) output.write(bytes);
  else output.destroy();
}
