/**
 * Git's pkt-line framing: a 4-hex-digit length (including itself) then the
 * payload; "0000" is a flush, "0001" a delimiter (protocol v2).
 */
import { InvalidArgumentError } from '../../datastore/errors.js';

export const FLUSH = Buffer.from('0000', 'latin1');
export const DELIM = Buffer.from('0001', 'latin1');
export const MAX_PKT_PAYLOAD = 65516;

export function pkt(payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  if (body.length > MAX_PKT_PAYLOAD) throw new InvalidArgumentError(`pkt-line payload of ${body.length} bytes is over ${MAX_PKT_PAYLOAD}`);
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'latin1'), body]);
}

export type PktLine = { kind: 'flush' } | { kind: 'delim' } | { kind: 'data'; data: Buffer };

/**
 * Reads pkt-lines from a byte stream, then hands back whatever follows them
 * (a pack, for receive-pack) without copying the rest into memory.
 */
export class PktReader {
  private buffer: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly iterator: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    const it = source[Symbol.asyncIterator]();
    this.iterator = {
      next: async () => {
        const r = await it.next();
        if (r.done) return r;
        const v = r.value;
        return { done: false, value: typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
      },
    };
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffer.length < n && !this.done) {
      const r = await this.iterator.next();
      if (r.done) this.done = true;
      else this.buffer = this.buffer.length === 0 ? r.value : Buffer.concat([this.buffer, r.value]);
    }
    return this.buffer.length >= n;
  }

  /** The next pkt-line, or undefined at the end of the stream. */
  async read(): Promise<PktLine | undefined> {
    if (!(await this.fill(4))) {
      if (this.buffer.length > 0) throw new InvalidArgumentError('truncated pkt-line length');
      return undefined;
    }
    const header = this.buffer.subarray(0, 4).toString('latin1');
    if (!/^[0-9a-f]{4}$/i.test(header)) throw new InvalidArgumentError(`bad pkt-line length ${JSON.stringify(header)}`);
    const len = parseInt(header, 16);
    if (len === 0 || len === 1) {
      this.buffer = this.buffer.subarray(4);
      return { kind: len === 0 ? 'flush' : 'delim' };
    }
    if (len < 4) throw new InvalidArgumentError(`bad pkt-line length ${len}`);
    if (!(await this.fill(len))) throw new InvalidArgumentError('truncated pkt-line');
    const data = this.buffer.subarray(4, len);
    this.buffer = this.buffer.subarray(len);
    return { kind: 'data', data };
  }

  /** A data line as text without its trailing newline; undefined for flush/delim/end. */
  async readText(): Promise<string | undefined | null> {
    const line = await this.read();
    if (!line) return undefined;
    if (line.kind !== 'data') return null;
    return trimNewline(line.data.toString('utf8'));
  }

  /** The bytes after the last pkt-line read, as a stream. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.buffer.length > 0) {
      const b = this.buffer;
      this.buffer = Buffer.alloc(0);
      yield b;
    }
    while (!this.done) {
      const r = await this.iterator.next();
      if (r.done) this.done = true;
      else yield r.value;
    }
  }
}

function trimNewline(s: string): string {
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}
