/**
 * Catches an input that never returns. A timer in the test's own thread
 * cannot fire while synchronous parser code loops, so a worker thread watches
 * a shared clock: if one input runs past the limit, it prints the input and
 * kills the process (the test runner then reports the file as failed).
 */
import { Worker } from 'node:worker_threads';

const MAX_LABEL = 16384;

const WORKER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { state, label, limit } = workerData;
const words = new Float64Array(state);
setInterval(() => {
  const started = words[0];
  if (started > 0 && Date.now() - started > limit) {
    const text = Buffer.from(label).subarray(0, words[1]).toString('latin1');
    writeSync(2, '\\nfuzz watchdog: an input ran over ' + limit + ' ms, killing the test process\\n' + text + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, 100);
`;

export class Watchdog {
  private readonly words = new Float64Array(new SharedArrayBuffer(16));
  private readonly label = new Uint8Array(new SharedArrayBuffer(MAX_LABEL));
  private readonly worker: Worker;

  constructor(limitMs: number) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { state: this.words.buffer, label: this.label.buffer, limit: limitMs } });
    this.worker.unref();
  }

  /** An input starts; `label` is what to print if it never ends. */
  arm(label: string): void {
    const bytes = Buffer.from(label.slice(0, MAX_LABEL), 'latin1');
    this.label.set(bytes);
    this.words[1] = bytes.length;
    this.words[0] = Date.now();
  }

  disarm(): void {
    this.words[0] = 0;
  }

  stop(): void {
    void this.worker.terminate();
  }
}
