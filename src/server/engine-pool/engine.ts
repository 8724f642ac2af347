/**
 * Where git's CPU-heavy work runs for a server: in the engine pool's worker
 * threads when the store can be opened by a second thread and
 * server.workers.threads > 0, else on the main event loop. HTTP and SSH
 * reserve a slot before they answer (so a full server says "busy" before it
 * starts), then run upload-pack or receive-pack in it.
 */
import type { Writable } from 'node:stream';
import { storeOpensTwice } from '../../datastore/builtin.js';
import {
  serveReceivePack,
  serveUploadPack,
  type ProtocolSession,
  type ProtocolVersion,
  type PushResult,
  type Transport,
  type UploadPackResult,
} from '../../git/protocol/index.js';
import type { EngineWorkerData } from './messages.js';
import { EnginePool, type PoolSlot, type ServerBusyError } from './pool.js';
import type { WorkersConfig } from './config.js';

export { ServerBusyError } from './pool.js';

export interface EngineSlot {
  uploadPack(session: ProtocolSession, input: AsyncIterable<Buffer>, output: Writable, transport: Transport & { version: ProtocolVersion }): Promise<UploadPackResult | undefined>;
  receivePack(session: ProtocolSession, input: AsyncIterable<Buffer>, output: Writable, transport: Transport): Promise<PushResult | undefined>;
  /** Gives the slot back unused (the request was refused before the engine ran). */
  release(): void;
}

export interface Engine {
  /** The pool, when git runs in worker threads. */
  readonly pool?: EnginePool;
  /** A slot for one request; waits in the queue when every slot is busy; rejects with ServerBusyError when the queue is full too. */
  reserve(): Promise<EngineSlot>;
  /** What a request now would be refused with, when every slot and the queue are taken (info/refs answers 503 then). */
  busy(): ServerBusyError | undefined;
  close(): Promise<void>;
}

/** The engine on the main event loop: no slots, never busy. */
const MAIN_LOOP_SLOT: EngineSlot = {
  uploadPack: serveUploadPack,
  receivePack: serveReceivePack,
  release: () => undefined,
};

export const MAIN_LOOP_ENGINE: Engine = {
  reserve: () => Promise.resolve(MAIN_LOOP_SLOT),
  busy: () => undefined,
  close: () => Promise.resolve(),
};

function poolSlot(slot: PoolSlot): EngineSlot {
  const job = (session: ProtocolSession, stateless: boolean, version: ProtocolVersion) => ({ repo: session.repo, access: session.access, stateless, version, pushEvent: session.pushEvent });
  return {
    async uploadPack(session, input, output, transport) {
      const result = await slot.run({ service: 'upload-pack', ...job(session, transport.stateless, transport.version) }, input, output, transport.head);
      return result as UploadPackResult | undefined;
    },
    async receivePack(session, input, output, transport) {
      const result = await slot.run({ service: 'receive-pack', ...job(session, transport.stateless, 0) }, input, output, transport.head);
      return result as PushResult | undefined;
    },
    release: () => slot.release(),
  };
}

/** The engine for a server: a pool when the config asks for threads and the store opens twice, else the main loop. */
export async function startEngine(workers: WorkersConfig, worker: EngineWorkerData, log: (line: string) => void): Promise<Engine> {
  if (workers.threads === 0) return MAIN_LOOP_ENGINE;
  if (!storeOpensTwice(worker.datastore)) {
    log('govc: this store cannot be opened by a second thread (memory, sqlite :memory:, rocksdb, lsm); git runs on the main event loop (server.workers is not used)');
    return MAIN_LOOP_ENGINE;
  }
  const pool = await EnginePool.start({ ...workers, worker, log });
  return {
    pool,
    reserve: async () => poolSlot(await pool.reserve()),
    busy: () => pool.busy(),
    close: () => pool.close(),
  };
}
