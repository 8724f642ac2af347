/** What the main thread and an engine worker say to each other (besides the streams of port-stream.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { StoreConfig } from '../../datastore/config.js';
import type { Repository } from '../../datastore/types.js';
import type { Access, ProtocolVersion } from '../../git/protocol/index.js';
import type { ProtocolLimits } from '../../git/protocol/limits.js';
import type { PackCacheOptions } from '../../git/protocol/pack-cache.js';
import type { CloneListOptions } from '../../git/protocol/clone-lists.js';
import type { PushEventBase } from '../../git/protocol/push-event.js';

/** What a worker opens and serves with: the server's own store config, limits, tmp dir, pack cache and clone lists. */
export interface EngineWorkerData {
  datastore: string | StoreConfig;
  limits: ProtocolLimits;
  tmpDir: string;
  packCache?: PackCacheOptions;
  cloneLists?: CloneListOptions;
}

export type EngineService = 'upload-pack' | 'receive-pack';

/** One request for the engine: the main thread has authenticated the caller and found the repository. */
export interface EngineJob {
  service: EngineService;
  repo: Repository;
  access: Access;
  /** Smart HTTP (one round) or a whole SSH conversation. */
  stateless: boolean;
  version: ProtocolVersion;
  /** A push's audit event, the transport's part: the worker records it with the ref update. */
  pushEvent?: PushEventBase;
}

export type ToWorker = ({ type: 'job'; input: MessagePort; output: MessagePort } & EngineJob) | { type: 'close' };

export type FromWorker = { type: 'ready' } | { type: 'fatal'; message: string };

/** The trailer of a job's output stream: the engine's result (undefined: no pack was sent, or no push was made). */
export interface JobTrailer {
  result?: unknown;
}
