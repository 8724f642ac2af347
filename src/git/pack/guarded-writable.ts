/**
 * Writes to a stream with backpressure and its errors caught from the start.
 * Without it, a write error (a full disk, a file-size limit, a vanished
 * client) emitted between two writes has no listener and crashes the
 * process, and a write after it fails with ERR_STREAM_DESTROYED that hides
 * the cause; waiting for 'drain' on a stream that already failed hangs.
 * Here the first error is kept and thrown by the next write or end.
 */
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';

export class GuardedWritable {
  private failure?: Error;
  private readonly onError = (err: Error) => void (this.failure ??= err);

  constructor(readonly out: Writable) {
    out.on('error', this.onError);
  }

  /** Throws the stream's first error, or says it closed, when it can take no more. */
  check(): void {
    if (this.failure) throw this.failure;
    if (this.out.destroyed || this.out.writableEnded) throw new Error('the destination closed before everything was written');
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.check();
    if (!this.out.write(chunk)) await this.drained();
    this.check();
  }

  /** Ends the stream and waits until everything is flushed (or throws the error that stopped it). */
  async end(): Promise<void> {
    this.check();
    this.out.end();
    await finished(this.out);
    if (this.failure) throw this.failure;
  }

  /** Stops listening (the stream's later errors are its owner's again). */
  release(): void {
    this.out.off('error', this.onError);
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (err?: Error) => {
        this.out.off('drain', onDrain);
        this.out.off('error', onFail);
        this.out.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => settle();
      const onFail = (err: Error) => settle(err);
      const onClose = () => settle(this.failure ?? new Error('the destination closed before everything was written'));
      this.out.on('drain', onDrain);
      this.out.on('error', onFail);
      this.out.on('close', onClose);
    });
  }
}
