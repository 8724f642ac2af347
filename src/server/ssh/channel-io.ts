/**
 * An SSH channel as the protocol engine's input and output, with the limits
 * smart HTTP puts on a request body: at most `limit.bytes` from the client
 * over the whole conversation, and cut by silence as server.timeouts.idle
 * says, counting only the time spent waiting on the client (reading while
 * the engine waits for input, or writing while the client reads nothing);
 * time the server spends working never counts.
 */
import type { ServerChannel } from 'ssh2';
import { HttpError } from '../http-error.js';
import type { BodyLimit } from '../http-util.js';

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** The client's bytes, guarded. Ending the iteration leaves the channel open for the answer. */
export async function* channelInput(channel: ServerChannel, limit: BodyLimit, idleMs: number): AsyncGenerator<Buffer> {
  const chunks = channel.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]();
  let received = 0;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HttpError(408, `the client sent nothing for ${seconds(idleMs)} s while the server waited (server.timeouts.idle)`, 'TIMEOUT')), idleMs);
    });
    let next: IteratorResult<Buffer>;
    try {
      next = await Promise.race([chunks.next(), silence]);
    } finally {
      clearTimeout(timer);
    }
    if (next.done) return;
    received += next.value.length;
    if (received > limit.bytes) throw new HttpError(413, limit.message, 'TOO_LARGE');
    yield next.value;
  }
}

/**
 * Cuts the channel when the client stops reading: its window stays shut, so
 * writes wait for 'drain' that never comes. Returns a function that stops watching.
 */
export function cutStalledOutput(channel: ServerChannel, idleMs: number, log: (line: string) => void): () => void {
  let movedAt = Date.now();
  const moved = () => (movedAt = Date.now());
  channel.on('drain', moved);
  const timer = setInterval(() => {
    if (!channel.writableNeedDrain) return void moved();
    if (Date.now() - movedAt < idleMs) return;
    log(`govc: closing an SSH channel whose client has not read for ${seconds(idleMs)} s (server.timeouts.idle)`);
    channel.destroy();
  }, Math.max(10, Math.floor(idleMs / 4)));
  timer.unref();
  return () => {
    clearInterval(timer);
    channel.off('drain', moved);
  };
}
