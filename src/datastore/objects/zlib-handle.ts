/**
 * The native handle inside a Node zlib stream, driven directly by the
 * inflater and deflater that reuse one zlib state per thread (the calls
 * Node's own inflateSync and deflateSync make, `processChunkSync` in
 * lib/zlib.js). Not public API: `reusableHandle` checks its shape and throws
 * when this Node's streams differ, so the callers fall back to the sync calls.
 */
import type { Deflate, Inflate } from 'node:zlib';

export interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  reset(): void;
}

interface ZlibInternals {
  _handle?: ZlibHandle;
  /** [avail_out, avail_in] after the last write. */
  _writeState?: Uint32Array;
}

/** The handle and write state of `stream`, which takes errors silently from now on; closes it and throws when there are none. */
export function reusableHandle(stream: Inflate | Deflate): { handle: ZlibHandle; state: Uint32Array } {
  const internals = stream as unknown as ZlibInternals;
  const handle = internals._handle;
  const state = internals._writeState;
  if (typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array)) {
    stream.close();
    throw new Error("this Node's zlib streams have no reusable handle");
  }
  // Errors reach the stream through destroy(); without a listener they would be thrown asynchronously.
  stream.on('error', () => undefined);
  return { handle, state };
}
