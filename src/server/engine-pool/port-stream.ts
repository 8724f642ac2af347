/**
 * Bytes between the main thread and an engine worker over a MessagePort,
 * with backpressure: a sender has at most `window` chunks the receiver has
 * not taken yet, so neither side ever holds a whole pack. The receiver acks
 * each chunk once its consumer asks for the next; it can abort the stream
 * (the client went away); the sender ends it with a trailer (the engine's
 * result) or fails it with an error. A port whose other side is gone (the
 * worker died) fails the stream.
 */
import type { MessagePort } from 'node:worker_threads';
import { Writable } from 'node:stream';
import { HttpError, statusOf } from '../http-error.js';
import { extendHead } from '../http-util.js';

/** Chunks in flight per stream: with the engine's 64 KiB packets, under 1 MiB. */
export const WINDOW = 16;

/** An error as it crosses a port: what statusOf makes of it, and where it came from for the log. */
export interface WireError {
  status: number;
  code: string;
  message: string;
  stack?: string;
}

type Forward =
  | { kind: 'chunk'; data: Uint8Array }
  | { kind: 'end'; trailer?: unknown }
  | { kind: 'fail'; error: WireError; head?: Uint8Array };
type Backward = { kind: 'ack' } | { kind: 'abort'; message: string };

export function toWire(err: unknown): WireError {
  const { status, code, message } = statusOf(err);
  return { status, code, message, ...(err instanceof Error && err.stack ? { stack: err.stack } : {}) };
}

/** The error a wire error stands for: answered as the other side would have answered it. */
export function fromWire(wire: WireError): HttpError {
  const err = new HttpError(wire.status, wire.message, wire.code);
  if (wire.stack) err.stack = `${err.stack}\n  from the engine worker: ${wire.stack}`;
  return err;
}

/** The request's engine worker stopped (crashed or was killed) before it finished. */
export class WorkerGoneError extends HttpError {
  constructor() {
    super(503, 'the server worker running this request stopped before it finished; retry (the server has replaced it)', 'WORKER_GONE');
  }
}

/** The client stopped reading the answer. */
export class ClientGoneError extends Error {
  constructor(message = 'client went away') {
    super(message);
  }
}

export class PortSender {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  /** Why the receiver stopped taking chunks, once it did. */
  private stopped: Error | undefined;
  private readonly onStop: Array<(err: Error) => void> = [];

  constructor(
    private readonly port: MessagePort,
    private readonly window = WINDOW,
  ) {
    port.on('message', (m: Backward) => {
      if (m.kind === 'ack') this.inFlight--;
      else this.stop(new ClientGoneError(m.message));
      this.wake();
    });
    port.once('close', () => this.stop(new ClientGoneError('the other side of the stream closed')));
  }

  get aborted(): Error | undefined {
    return this.stopped;
  }

  /** Calls `fn` once the receiver aborts (at once if it has). */
  onAbort(fn: (err: Error) => void): void {
    if (this.stopped) fn(this.stopped);
    else this.onStop.push(fn);
  }

  /** Resolves once the chunk may be followed by another (the window has room). */
  async send(chunk: Buffer): Promise<void> {
    if (this.stopped) throw this.stopped;
    // A copy of exactly these bytes, moved rather than cloned (a Buffer may view a larger pool).
    const data = new Uint8Array(chunk);
    this.post({ kind: 'chunk', data }, [data.buffer]);
    this.inFlight++;
    while (this.inFlight >= this.window && !this.stopped) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.stopped) throw this.stopped;
  }

  end(trailer?: unknown): void {
    this.post({ kind: 'end', ...(trailer !== undefined ? { trailer } : {}) });
  }

  fail(err: unknown, head?: Buffer): void {
    this.post({ kind: 'fail', error: toWire(err), ...(head ? { head: new Uint8Array(head) } : {}) });
  }

  private post(m: Forward, transfer: ArrayBuffer[] = []): void {
    try {
      this.port.postMessage(m, transfer);
    } catch {
      // The port is closed: the receiver is gone, and stop() has said so.
    }
  }

  private stop(err: Error): void {
    if (this.stopped) return;
    this.stopped = err;
    for (const fn of this.onStop.splice(0)) fn(err);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** A Writable over a sender: what the engine writes its answer to. */
export function portWritable(sender: PortSender): Writable {
  const writable = new Writable({
    highWaterMark: 1 << 16,
    write(chunk: Buffer, _enc, cb) {
      sender.send(chunk).then(() => cb(), cb);
    },
  });
  sender.onAbort((err) => writable.destroy(err));
  return writable;
}

/**
 * What a received stream told: its trailer, and its `head` (the first bytes,
 * or those the sender saw when it failed), from which the engine learns
 * whether a push it refuses early asked for side-band.
 */
export interface Received {
  trailer?: unknown;
  head?: Buffer;
}

/**
 * The chunks a port receives, acked as they are consumed; returns at the
 * sender's end, throws its failure (or WorkerGoneError once the port closes).
 * A consumer that stops early aborts the sender. `ended` learns the trailer.
 */
export async function* receiveChunks(port: MessagePort, ended: Received = {}): AsyncGenerator<Buffer, void, undefined> {
  const queue: Forward[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const onMessage = (m: Forward) => {
    queue.push(m);
    wake?.();
  };
  const onClose = () => {
    closed = true;
    wake?.();
  };
  port.on('message', onMessage);
  port.once('close', onClose);
  let finished = false;
  try {
    for (;;) {
      while (queue.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const m = queue.shift();
      if (!m) throw new WorkerGoneError();
      if (m.kind === 'end') {
        finished = true;
        ended.trailer = m.trailer;
        return;
      }
      if (m.kind === 'fail') {
        finished = true;
        if (m.head) ended.head = Buffer.from(m.head);
        throw fromWire(m.error);
      }
      const chunk = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      ended.head = extendHead(ended.head, chunk);
      yield chunk;
      port.postMessage({ kind: 'ack' } satisfies Backward);
    }
  } finally {
    port.off('message', onMessage);
    port.off('close', onClose);
    if (!finished && !closed) {
      try {
        port.postMessage({ kind: 'abort', message: 'the receiver stopped reading' } satisfies Backward);
      } catch {
        // closed meanwhile
      }
    }
  }
}
