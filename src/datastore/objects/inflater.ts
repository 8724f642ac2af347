/**
 * Inflates stored entries of a known size. `zlib.inflateSync` builds a
 * stream object and a native zlib state per call and tears them down after;
 * for the ~100k small trees and deltas a clone's walk reads, that setup cost
 * three times the inflating itself. As ObjectDeflater does for deflate, this
 * keeps ONE native state per thread and resets it between entries, driving
 * it through the handle calls Node's own inflateSync makes. Those are not
 * public API: if this Node's zlib handle does not look and behave as
 * expected (checked once, with round trips and a truncated stream), every
 * call uses plain `inflateSync`.
 *
 * The output is one buffer of `size + 1` bytes of its own (not a view of a
 * shared chunk, which a cache would keep alive): a stream that fills the
 * extra byte inflates past `size`, and one that ends short leaves room,
 * which zlib reports as an unexpected end of input under Z_FINISH.
 */
import { constants, createInflate, deflateSync, type Inflate } from 'node:zlib';
import { reusableHandle, type ZlibHandle } from './zlib-handle.js';


/** Larger entries are rare in a walk; they keep inflateSync and its output bound. */
export const MAX_REUSED_SIZE = 1 << 20;

/** What went wrong, for the caller's error message. */
export class InflateFailure extends Error {}

export interface Inflated {
  data: Buffer;
  /** Bytes of the input the zlib stream took. */
  consumed: number;
}

class ReusedInflater {
  private stream: Inflate;
  private handle: ZlibHandle;
  private state: Uint32Array;

  constructor() {
    this.stream = createInflate();
    ({ handle: this.handle, state: this.state } = reusableHandle(this.stream));
  }

  /**
   * The `size` bytes the zlib stream at the start of `zlib` inflates to, and
   * how many bytes of `zlib` the stream took (others may follow it, as the
   * next entries follow one in a pack); an InflateFailure when it is corrupt
   * or not exactly `size`.
   */
  inflate(zlib: Uint8Array, size: number): Inflated {
    const out = Buffer.allocUnsafeSlow(size + 1);
    this.handle.writeSync(constants.Z_FINISH, zlib, 0, zlib.byteLength, out, 0, out.length);
    if (this.stream.destroyed) throw new InflateFailure('corrupt zlib stream');
    const produced = out.length - this.state[0];
    const consumed = zlib.byteLength - this.state[1];
    this.handle.reset();
    if (produced !== size) throw new InflateFailure(produced > size ? `inflates past ${size} bytes` : `inflates to ${produced} bytes, not ${size}`);
    return { data: out.subarray(0, size), consumed };
  }

  close(): void {
    this.stream.close();
  }
}

let shared: ReusedInflater | undefined;
let usable: boolean | undefined;

/**
 * `zlib` inflated, when it is at most MAX_REUSED_SIZE and this Node allows
 * reuse; else undefined (the caller uses inflateSync). Throws InflateFailure.
 */
export function inflateReused(zlib: Uint8Array, size: number): Buffer | undefined {
  return inflateLeading(zlib, size)?.data;
}

/** Like inflateReused, for a zlib stream that other bytes may follow: says how many bytes it took. */
export function inflateLeading(zlib: Uint8Array, size: number): Inflated | undefined {
  if (size > MAX_REUSED_SIZE || !(usable ??= selfCheck())) return undefined;
  shared ??= new ReusedInflater();
  try {
    return shared.inflate(zlib, size);
  } catch (err) {
    // A failed state is not reused: the next entry gets a fresh one.
    shared.close();
    shared = undefined;
    throw err;
  }
}

/** Round trips of empty, small and chunk-sized data, and failures for a truncated stream and a wrong size. */
function selfCheck(): boolean {
  let probe: ReusedInflater | undefined;
  try {
    probe = new ReusedInflater();
    const samples = [Buffer.alloc(0), Buffer.from('tree 1\n'), Buffer.alloc(100_000, 'abcdefgh'), Buffer.from('again')];
    for (const s of samples) if (!probe.inflate(deflateSync(s), s.length).data.equals(s)) return false;
    // A stream followed by other bytes: all of it inflated, and only its own bytes counted.
    const lead = deflateSync(samples[1]);
    const followed = probe.inflate(Buffer.concat([lead, deflateSync(samples[3])]), samples[1].length);
    if (!followed.data.equals(samples[1]) || followed.consumed !== lead.length) return false;
    const fails = (zlib: Buffer, size: number) => {
      try {
        probe!.inflate(zlib, size);
        return false;
      } catch (err) {
        if (!(err instanceof InflateFailure)) throw err;
        probe!.close();
        probe = new ReusedInflater();
        return true;
      }
    };
    const z = deflateSync(Buffer.alloc(5000, 'xyz'));
    if (!fails(z.subarray(0, z.length - 6), 5000) || !fails(z, 4999) || !fails(z, 5001)) return false;
    return probe.inflate(z, 5000).data.equals(Buffer.alloc(5000, 'xyz'));
  } catch {
    return false;
  } finally {
    probe?.close();
  }
}
