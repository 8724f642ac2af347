/**
 * What the protocol engine is told about one connection, whatever carries it
 * (smart HTTP, SSH): the store and repository, what the caller may do, the
 * server's limits, and how the transport runs the protocol.
 */
import type { DataStore } from '../../datastore/store.js';
import type { Repository } from '../../datastore/types.js';
import { DEFAULT_PROTOCOL_LIMITS, type ProtocolLimits } from './limits.js';
import type { CloneListOptions } from './clone-lists.js';
import type { PackCacheOptions } from './pack-cache.js';
import type { PushEventBase } from './push-event.js';

/** What the caller may do: fetch (read), push (write), force-push (admin). */
export type Access = 'read' | 'write' | 'admin';

export interface ProtocolSession {
  store: DataStore;
  repo: Repository;
  access: Access;
  /** The limits to enforce; defaults when absent. */
  limits?: ProtocolLimits;
  /** Where a pushed pack waits while it is checked. */
  tmpDir?: string;
  /** Check every pushed object as git's receive.fsckObjects does. Default true. */
  fsckObjects?: boolean;
  /** The text an error is answered with (the HTTP layer knows its own errors). Default: a store error's message. */
  describeError?: (err: unknown) => string;
  /** Where clones' packs are kept for identical clones; none when absent. */
  packCache?: PackCacheOptions;
  /** Where the object lists of clones are kept (clone-lists.ts); none when absent. */
  cloneLists?: CloneListOptions;
  /**
   * A push's audit event, the transport's part: the engine records it in the
   * write that moves the refs (PushResult.eventRecorded); when no write moved
   * them, the transport records it. None when absent.
   */
  pushEvent?: PushEventBase;
}

export interface Transport {
  /**
   * Smart HTTP: one request per round, no advertisement (served apart on
   * info/refs). Otherwise (SSH) the advertisement comes first and the whole
   * conversation runs on one stream.
   */
  stateless: boolean;
  /**
   * The first bytes of the request body as the transport saw them, for a
   * body it refuses before the engine reads a line (over a size limit): they
   * tell whether a push asked for side-band, the framing of its refusal.
   */
  head?: () => Buffer | undefined;
}

export function limitsOf(session: ProtocolSession): ProtocolLimits {
  return session.limits ?? DEFAULT_PROTOCOL_LIMITS;
}

/** The pack cache as sendPack takes it: the session's, for its repository. */
export function packCacheOf(session: ProtocolSession): { options: PackCacheOptions; repositoryId: string } | undefined {
  return session.packCache && { options: session.packCache, repositoryId: session.repo.id };
}

/** The clone lists as sendPack takes them: the session's, for its repository. */
export function cloneListsOf(session: ProtocolSession): { options: CloneListOptions; repositoryId: string } | undefined {
  return session.cloneLists && { options: session.cloneLists, repositoryId: session.repo.id };
}
