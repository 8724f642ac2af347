/**
 * The pack verifier's worker thread (pack-verifier.ts): reads the pack
 * through the main thread's own file descriptor (threads share it, so both
 * read the same file even if its path is replaced meanwhile), resolves each
 * object asked for, deltas applied, and checks it hashes to its id. Requests
 * are answered one at a time, in order: the reader's window is shared.
 */
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { DataStoreError } from '../../datastore/errors.js';
import type { ObjectFormat } from '../../datastore/types.js';
import type { PackFile } from './file-window.js';
import { PackIndex } from './pack-index.js';
import { PackReader } from './pack-reader.js';
import { verifyEach } from './pack-verifier.js';

export interface VerifyWorkerData {
  fd: number;
  size: number;
  format: ObjectFormat;
  /** The .idx bytes (ref-delta bases are found through it). */
  index: Uint8Array;
  cacheBytes?: number;
}

export interface VerifyRequest {
  seq: number;
  ids: string[];
  offsets: Float64Array;
}

export type VerifyReply =
  | { seq: number; types: Uint8Array; sizes: Float64Array }
  | { seq: number; error: { message: string; code?: string; details?: Record<string, unknown> } };

const data = workerData as VerifyWorkerData;
const index = PackIndex.parse(Buffer.from(data.index.buffer, data.index.byteOffset, data.index.byteLength), data.format);
// Synchronous reads: this thread does nothing else, and a read is a page-cache copy.
const file: PackFile = {
  fd: data.fd,
  read: async (buffer, offset, length, position) => ({ bytesRead: readSync(data.fd, buffer, offset, length, position) }),
  close: async () => undefined, // the main thread owns the descriptor
};
const reader = new PackReader(file, data.size, (id) => index.offsetOf(id), { format: data.format, cacheBytes: data.cacheBytes });

async function verify(req: VerifyRequest): Promise<VerifyReply> {
  try {
    return { seq: req.seq, ...(await verifyEach(reader, req.ids, req.offsets)) };
  } catch (err) {
    const e = err as Error;
    return { seq: req.seq, error: { message: e.message, ...(err instanceof DataStoreError ? { code: err.code, details: err.details } : {}) } };
  }
}

let queue = Promise.resolve();
parentPort!.on('message', (req: VerifyRequest) => {
  queue = queue.then(async () => {
    const reply = await verify(req);
    if ('types' in reply) parentPort!.postMessage(reply, [reply.types.buffer as ArrayBuffer, reply.sizes.buffer as ArrayBuffer]);
    else parentPort!.postMessage(reply);
  });
});
