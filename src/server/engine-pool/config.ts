/**
 * YAML `server.workers`: the engine pool that runs clones and pushes off the
 * main event loop (see pool.ts).
 *
 *   workers: {threads: 2, per_thread: 4, queue: 64, retry_after: 5s}
 *
 * `threads: 0` (or `govc serve --workers 0`) runs every request on the main
 * loop, as does a store that cannot be opened by a second thread.
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../datastore/errors.js';
import { OptionReader } from '../../datastore/options.js';

export interface WorkersConfig {
  /** Worker threads, each with its own store connection; 0: none. */
  threads: number;
  /** Requests one thread runs at once (their I/O interleaves). */
  perThread: number;
  /** Requests that wait for a slot; one more is answered "busy". */
  queue: number;
  /** What a busy answer tells the client to wait before retrying. */
  retryAfterMs: number;
}

export const DEFAULT_WORKERS: Readonly<WorkersConfig> = Object.freeze({
  threads: availableParallelism(),
  perThread: 4,
  queue: 64,
  retryAfterMs: 5000,
});

const MAX_THREADS = 256;

export function parseWorkers(block: Record<string, unknown>): WorkersConfig {
  const reader = new OptionReader('server.workers', block);
  const config: WorkersConfig = {
    threads: reader.int('threads', DEFAULT_WORKERS.threads, 0, MAX_THREADS),
    perThread: reader.int('per_thread', DEFAULT_WORKERS.perThread, 1, 1024),
    queue: reader.int('queue', DEFAULT_WORKERS.queue, 0, 1_000_000),
    retryAfterMs: reader.durationMs('retry_after', DEFAULT_WORKERS.retryAfterMs),
  };
  reader.done();
  if (config.retryAfterMs < 1000) {
    throw new ConfigError('server.workers.retry_after must be at least 1s: HTTP Retry-After counts whole seconds', { key: 'server.workers.retry_after' });
  }
  return config;
}

/** A count given on the command line (`--workers 4`), within `min`..`max`; `what` names it in the refusal. */
export function parseCount(value: string | number, where: string, min: number, max: number, what: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${where} must be a number of ${what} from ${min} to ${max}; got ${JSON.stringify(value)}`, { key: where });
  }
  return n;
}

/** `--workers N` (threads; 0 = off). */
export function parseWorkerThreads(value: string | number, where: string): number {
  return parseCount(value, where, 0, MAX_THREADS, 'worker threads (0: git on the main loop)');
}
