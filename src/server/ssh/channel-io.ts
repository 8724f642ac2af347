/**
 * An SSH channel as the protocol engine's input and output, with the limits
 * smart HTTP puts on a request: at most `limit.bytes` from the client over
 * the whole conversation, and cut by silence, counting only time spent
 * waiting on the client, never time the server spends working:
 * - in the middle of a request (the client has sent part of it and the server
 *   has not answered since), server.timeouts.idle;
 * - when it is the client's turn after an answer (say, while it indexes a
 *   large pack before saying goodbye), server.timeouts.request, the bound on
 *   a whole request; SSH keepalives find clients that vanished sooner;
 * - a write the client does not read (its window stays shut) for
 *   server.timeouts.idle.
 */
import { Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';
import { HttpError } from '../http-error.js';
import type { BodyLimit } from '../http-util.js';

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export interface ChannelTimeouts {
  idleMs: number;
  requestMs: number;
}

export class ChannelIo {
  /** What the engine writes to: forwarded to the channel with its backpressure. */
  readonly output: Writable;
  /** The server has written since the client last sent anything. */
  private answered = true;
  /** When the write now waiting for the client's window began, if one is. */
  private blockedSince: number | undefined;
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    private readonly channel: ServerChannel,
    private readonly limit: BodyLimit,
    private readonly timeouts: ChannelTimeouts,
    log: (line: string) => void,
  ) {
    this.output = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.answered = true;
        if (channel.destroyed) return done(new Error('client went away'));
        if (channel.write(chunk)) return done();
        this.blockedSince = Date.now();
        const settle = () => {
          channel.off('drain', settle);
          channel.off('close', settle);
          this.blockedSince = undefined;
          done(channel.destroyed ? new Error('client went away') : null);
        };
        channel.on('drain', settle);
        channel.on('close', settle);
      },
    });
    this.output.on('error', () => undefined);
    this.watchdog = setInterval(() => {
      if (this.blockedSince === undefined || Date.now() - this.blockedSince < timeouts.idleMs) return;
      log(`govc: closing an SSH channel whose client has not read for ${seconds(timeouts.idleMs)} s (server.timeouts.idle)`);
      channel.destroy();
    }, Math.max(10, Math.floor(timeouts.idleMs / 4)));
    this.watchdog.unref();
  }

  /** The client's bytes, guarded. Ending the iteration leaves the channel open for the answer. */
  async *input(): AsyncGenerator<Buffer> {
    const chunks = this.channel.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]();
    let received = 0;
    for (;;) {
      const waitMs = this.answered ? this.timeouts.requestMs : this.timeouts.idleMs;
      const setting = this.answered ? 'server.timeouts.request' : 'server.timeouts.idle';
      let timer: NodeJS.Timeout | undefined;
      const silence = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HttpError(408, `the client sent nothing for ${seconds(waitMs)} s while the server waited (${setting})`, 'TIMEOUT')), waitMs);
      });
      let next: IteratorResult<Buffer>;
      try {
        next = await Promise.race([chunks.next(), silence]);
      } finally {
        clearTimeout(timer);
      }
      if (next.done) return;
      this.answered = false;
      const room = this.limit.bytes - received;
      received += next.value.length;
      if (received > this.limit.bytes) {
        // The part within the limit first: the engine then has the push's commands, and so knows
        // whether to send this refusal in side-band framing, where git shows it.
        if (room > 0) yield next.value.subarray(0, room);
        throw new HttpError(413, this.limit.message, 'TOO_LARGE');
      }
      yield next.value;
    }
  }

  /** Waits until everything the engine wrote is in the channel (or the channel is gone), then stops watching. */
  async close(): Promise<void> {
    try {
      if (!this.output.destroyed) await new Promise<void>((resolve) => this.output.end(() => resolve()));
    } finally {
      clearInterval(this.watchdog);
    }
  }
}
