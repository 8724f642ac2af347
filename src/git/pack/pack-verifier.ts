/**
 * Checks a pack's objects against their ids: each resolved (deltas applied)
 * and hashed, answering its type and size. In the caller's thread, or on a
 * worker thread (verify-worker.ts) so that inflating and hashing run beside
 * the caller's own work (an import stores entries meanwhile): requests are
 * answered in order, and several may be outstanding.
 */
import { Worker } from 'node:worker_threads';
import { CapacityError, IntegrityError } from '../../datastore/errors.js';
import { OBJECT_TYPES } from '../../datastore/types.js';
import type { PackIndex } from './pack-index.js';
import type { PackReader } from './pack-reader.js';
import type { VerifyReply, VerifyRequest, VerifyWorkerData } from './verify-worker.js';

const WORKER = new URL('./verify-worker.js', import.meta.url);

export interface VerifiedObjects {
  /** Indexes into OBJECT_TYPES, in the order asked. */
  types: Uint8Array;
  sizes: Float64Array;
}

export interface PackVerifier {
  /** Resolves and hashes each object; a mismatch or a corrupt entry rejects with an IntegrityError. */
  verify(objects: ReadonlyArray<{ id: string; offset: number }>): Promise<VerifiedObjects>;
  close(): Promise<void>;
}

/** Resolves and hashes the objects at `offsets` against `ids` with `reader`: the work of either verifier. */
export async function verifyEach(reader: PackReader, ids: readonly string[], offsets: ArrayLike<number>): Promise<VerifiedObjects> {
  const types = new Uint8Array(ids.length);
  const sizes = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const obj = await reader.readVerified(ids[i], offsets[i]);
    types[i] = OBJECT_TYPES.indexOf(obj.type);
    sizes[i] = obj.data.byteLength;
  }
  return { types, sizes };
}

/** Verifies with `reader` itself, in this thread. */
export function inThreadVerifier(reader: PackReader): PackVerifier {
  return {
    verify: (objects) => verifyEach(reader, objects.map((o) => o.id), objects.map((o) => o.offset)),
    close: async () => undefined,
  };
}

/** The error a worker's reply stands for: the same class for the errors a pack read throws. */
function replyError(e: { message: string; code?: string; details?: Record<string, unknown> }): Error {
  if (e.code === 'INVALID_DATA') return new IntegrityError(e.message, e.details);
  if (e.code === 'CAPACITY') return new CapacityError(e.message, e.details);
  return new Error(`pack verifier: ${e.message}`);
}

/**
 * Verifies on a worker thread that reads `reader`'s file descriptor: close
 * this verifier before closing the reader.
 */
export function workerVerifier(reader: PackReader, index: PackIndex, options: { cacheBytes?: number } = {}): PackVerifier {
  const data: VerifyWorkerData = { fd: reader.fd, size: reader.size, format: reader.format, index: index.bytes, cacheBytes: options.cacheBytes };
  const worker = new Worker(WORKER, { workerData: data });
  const pending = new Map<number, { resolve: (v: VerifiedObjects) => void; reject: (e: unknown) => void }>();
  let nextSeq = 0;
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  worker.on('message', (reply: VerifyReply) => {
    const p = pending.get(reply.seq);
    if (!p) return;
    pending.delete(reply.seq);
    if ('error' in reply) p.reject(replyError(reply.error));
    else p.resolve({ types: reply.types, sizes: reply.sizes });
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', () => failAll(new Error('pack verifier: its worker thread stopped')));
  return {
    verify(objects) {
      if (failure) return Promise.reject(failure);
      const seq = nextSeq++;
      const req: VerifyRequest = { seq, ids: objects.map((o) => o.id), offsets: Float64Array.from(objects, (o) => o.offset) };
      return new Promise((resolve, reject) => {
        pending.set(seq, { resolve, reject });
        worker.postMessage(req, [req.offsets.buffer as ArrayBuffer]);
      });
    },
    async close() {
      failAll(new Error('pack verifier is closed'));
      await worker.terminate();
    },
  };
}
