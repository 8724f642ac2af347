/**
 * Deflates pack entries, each as its own zlib stream (git inflates every
 * entry on its own). `zlib.deflateSync` builds a stream object and a native
 * zlib state per call and tears them down after; for the tens of thousands
 * of small objects of a clone that setup costs more than the compression.
 * This keeps ONE native state per pack and resets it between objects,
 * driving it through the same handle calls Node's own deflateSync makes
 * (`processChunkSync` in lib/zlib.js). Those are not public API: if this
 * Node's zlib handle does not look and behave as expected (checked once,
 * with a round trip), every call uses plain `deflateSync` instead.
 */
import { constants, createDeflate, deflateSync, inflateSync, type Deflate } from 'node:zlib';
import { reusableHandle, type ZlibHandle } from '../../datastore/objects/zlib-handle.js';


const SCRATCH = 64 << 10;

let reusable: boolean | undefined;

/** Whether this Node's zlib handle can be reused (checked once per process). */
function canReuse(): boolean {
  return (reusable ??= selfCheck());
}

export class ObjectDeflater {
  private stream?: Deflate;
  private handle?: ZlibHandle;
  private state?: Uint32Array;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH);

  /** `reuse` is for the self-check and tests; by default it is on when this Node allows it. */
  constructor(
    private readonly level: number,
    reuse = canReuse(),
  ) {
    if (reuse) this.open();
  }

  /** Whether objects go through one reused zlib state (false: deflateSync per object). */
  get reusing(): boolean {
    return this.handle !== undefined;
  }

  /** `prefix` (an entry header) followed by the zlib stream of `data`, in one buffer. */
  deflate(data: Uint8Array, prefix: Uint8Array = EMPTY): Buffer {
    if (!this.handle) return Buffer.concat([prefix, deflateSync(data, { level: this.level })]);
    try {
      return this.deflateReusing(data, prefix);
    } catch (err) {
      // A failed state is not reused: the next object gets a fresh one.
      this.close();
      this.open();
      throw err;
    }
  }

  close(): void {
    this.stream?.close();
    this.stream = this.handle = this.state = undefined;
  }

  private open(): void {
    const stream = createDeflate({ level: this.level });
    ({ handle: this.handle, state: this.state } = reusableHandle(stream));
    this.stream = stream;
  }

  private deflateReusing(data: Uint8Array, prefix: Uint8Array): Buffer {
    const handle = this.handle!;
    const state = this.state!;
    const scratch = this.scratch;
    const parts: Buffer[] = [];
    let total = 0;
    scratch.set(prefix, 0);
    let outOff = prefix.length;
    let inOff = 0;
    let inLeft = data.byteLength;
    for (;;) {
      const outLen = scratch.length - outOff;
      handle.writeSync(constants.Z_FINISH, data, inOff, inLeft, scratch, outOff, outLen);
      if (this.stream!.destroyed) throw new Error('zlib failed to deflate a pack entry');
      const availOut = state[0];
      const availIn = state[1];
      inOff += inLeft - availIn;
      inLeft = availIn;
      outOff += outLen - availOut;
      if (availOut !== 0) break; // Z_FINISH with room to spare: the stream is complete.
      parts.push(Buffer.from(scratch.subarray(0, outOff)));
      total += outOff;
      outOff = 0;
    }
    handle.reset();
    const last = Buffer.from(scratch.subarray(0, outOff));
    if (parts.length === 0) return last;
    parts.push(last);
    return Buffer.concat(parts, total + outOff);
  }
}

const EMPTY = Buffer.alloc(0);

/** A round trip through a reused handle, prefix and all, on empty, small and multi-buffer inputs. */
function selfCheck(): boolean {
  let probe: ObjectDeflater | undefined;
  try {
    probe = new ObjectDeflater(1, true);
    const samples = [Buffer.alloc(0), Buffer.from('tree 1\n'), Buffer.alloc(3 * SCRATCH, 'abcdefgh'), randomish(SCRATCH + 17), Buffer.from('again')];
    for (const s of samples) {
      const out = probe.deflate(s, Buffer.of(7, 8));
      if (out[0] !== 7 || out[1] !== 8 || !inflateSync(out.subarray(2)).equals(s)) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    probe?.close();
  }
}

/** Incompressible bytes (zlib output larger than the input), deterministic. */
function randomish(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
