/**
 * Writes to a git client with backpressure (an HTTP response, an SSH channel:
 * any Writable): raw, or multiplexed on side-band channels (1 data,
 * 2 progress, 3 fatal error) once negotiated.
 */
import { Writable } from 'node:stream';
import { once } from 'node:events';
import { pkt } from './pkt-line.js';

export type Band = 1 | 2 | 3;
export type Sideband = 'none' | 'side-band' | 'side-band-64k';

/** The side-band a client asked for in its capabilities, if any. */
export function sidebandOf(caps: ReadonlySet<string>): Sideband {
  return caps.has('side-band-64k') ? 'side-band-64k' : caps.has('side-band') ? 'side-band' : 'none';
}

export class GitOutput {
  private sideband: Sideband = 'none';
  private quiet = false;
  /** Bytes written so far: nothing written yet means an error can still be the whole answer. */
  bytes = 0;

  constructor(private readonly out: Writable) {}

  /** From now on data goes on band 1 and progress on band 2 (payload 65515 bytes for side-band-64k, 995 for side-band). */
  multiplex(sideband: Sideband, quiet = false): this {
    this.sideband = sideband;
    this.quiet = quiet;
    return this;
  }

  get multiplexed(): boolean {
    return this.sideband !== 'none';
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.out.destroyed) throw new Error('client went away');
    this.bytes += chunk.length;
    if (this.out.write(chunk)) return;
    const ac = new AbortController();
    try {
      await Promise.race([once(this.out, 'drain', { signal: ac.signal }), once(this.out, 'close', { signal: ac.signal })]);
    } finally {
      ac.abort();
    }
  }

  /**
   * A Writable for a pack: coalesces the many small writes of a pack writer
   * into full side-band packets (one packet per object would cost a syscall
   * and an HTTP chunk each).
   */
  packSink(): Writable {
    const max = this.multiplexed ? (this.sideband === 'side-band-64k' ? 65520 : 1000) - 5 : 65536;
    let pending: Buffer[] = [];
    let size = 0;
    const flush = async () => {
      if (size === 0) return;
      const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending, size);
      pending = [];
      size = 0;
      await this.data(chunk);
    };
    return new Writable({
      highWaterMark: 1 << 16,
      write: (chunk: Buffer, _enc, cb) => {
        pending.push(chunk);
        size += chunk.length;
        if (size < max) return cb();
        flush().then(() => cb(), cb);
      },
      final: (cb) => {
        flush().then(() => cb(), cb);
      },
    });
  }

  /** Pack or report data: band 1 when multiplexed, raw otherwise. */
  async data(chunk: Buffer): Promise<void> {
    if (!this.multiplexed) return this.write(chunk);
    const max = (this.sideband === 'side-band-64k' ? 65520 : 1000) - 5;
    for (let i = 0; i < chunk.length; i += max) await this.band(1, chunk.subarray(i, i + max));
  }

  /** A progress message, shown by git as "remote: ..."; dropped when not multiplexed or quiet. */
  async progress(text: string): Promise<void> {
    if (!this.multiplexed || this.quiet) return;
    await this.band(2, Buffer.from(text, 'utf8'));
  }

  /** A fatal error the client prints; only possible when multiplexed. */
  async error(text: string): Promise<void> {
    if (this.multiplexed) await this.band(3, Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8'));
  }

  private band(band: Band, payload: Buffer): Promise<void> {
    return this.write(pkt(Buffer.concat([Buffer.of(band), payload])));
  }
}
