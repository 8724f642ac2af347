/**
 * Where a git answer stands, read from the bytes passing through the main
 * thread: at a pkt-line boundary or not, and whether side-band packets have
 * begun. When a worker dies mid-answer this says how to tell git: an `ERR`
 * line before anything else or between lines, a band-3 packet once
 * side-band runs, and nothing (the connection is cut) inside a packet or a
 * raw pack, where no message can be framed.
 */
import { errPacket, pkt } from '../../git/protocol/index.js';

export class AnswerFraming {
  private written = 0;
  /** Bytes still to come of the current packet; -1 once the stream is no longer pkt-lines (a raw pack). */
  private remaining = 0;
  private header = '';
  private sideband = false;
  /** The first payload byte of a packet still needs reading. */
  private atPayloadStart = false;

  observe(chunk: Buffer): void {
    this.written += chunk.length;
    let i = 0;
    while (i < chunk.length && this.remaining >= 0) {
      if (this.remaining > 0) {
        if (this.atPayloadStart) {
          this.sideband = chunk[i] >= 1 && chunk[i] <= 3;
          this.atPayloadStart = false;
        }
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      this.header += String.fromCharCode(chunk[i++]);
      if (this.header.length < 4) continue;
      const length = /^[0-9a-f]{4}$/.test(this.header) ? parseInt(this.header, 16) : NaN;
      this.header = '';
      if (Number.isNaN(length) || (length > 0 && length < 4 && length !== 1 && length !== 2)) this.remaining = -1;
      else if (length > 4) {
        this.remaining = length - 4;
        this.atPayloadStart = true;
      }
    }
  }

  /** The bytes that tell git `message` here, or undefined when the connection must just be cut. */
  failure(message: string): Buffer | undefined {
    if (this.written === 0) return errPacket(message);
    if (this.remaining !== 0 || this.header !== '') return undefined;
    if (this.sideband) return pkt(Buffer.from(`\x03govc: ${message}\n`, 'utf8'));
    return errPacket(message);
  }
}
