/** What every handler gets: the shared server state and this request's caller. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataStore, Transaction } from '../datastore/store.js';
import type { Operations } from '../datastore/operations.js';
import type { JsonObject, Repository, User } from '../datastore/types.js';
import { atLeast, levelFor, type Level } from './auth/permissions.js';
import type { Audience, ServerConfig } from './config.js';
import { forbidden, notFound, unauthorized } from './http-error.js';
import { bodyStream, readJson, type BodyGuard, type BodyLimit } from './http-util.js';
import { limitMessage, type ServerLimits } from './limits.js';
import type { ServerMetrics } from './metrics.js';
import type { PackCacheOptions } from '../git/protocol/pack-cache.js';
import type { CloneListOptions } from '../git/protocol/clone-lists.js';
import type { Engine } from './engine-pool/engine.js';

export interface ServerState {
  store: DataStore;
  config: ServerConfig;
  metrics: ServerMetrics;
  /** The configured limits (server.limits): git handlers enforce object, pack, repository and count limits from here. */
  limits: ServerLimits;
  /** This server process's own temporary directory: pass it as `tmpDir` when receiving a pack. */
  tmpDir: string;
  /** Where clones' packs are kept (server.pack_cache), unless it is off. */
  packCache?: PackCacheOptions;
  /** Where clones' object lists are kept (server.clone_lists), unless they are off. */
  cloneLists?: CloneListOptions;
  /** Where upload-pack and receive-pack run: the engine pool's threads, or the main loop. */
  engine: Engine;
}

/**
 * A transaction handed to helpers typed for a DataStore (the auth helpers in
 * auth/permissions.ts and auth/tokens.ts): they only call data operations,
 * which a Transaction has as well. Once those helpers take `Operations`,
 * this goes away.
 */
export function asStore(tx: Transaction): DataStore {
  return tx as unknown as DataStore;
}

export class RequestContext {
  constructor(
    readonly state: ServerState,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly url: URL,
    readonly params: string[],
    readonly user: User | undefined,
  ) {}

  get store(): DataStore {
    return this.state.store;
  }

  requireUser(): User {
    if (!this.user) throw unauthorized();
    return this.user;
  }

  requireAdmin(): User {
    const user = this.requireUser();
    if (!user.isAdmin) throw forbidden('only administrators may do this');
    return user;
  }

  /**
   * The repository if the caller may act on it at `needed` level. A repository
   * the caller may not read is "not found", exactly like one that does not
   * exist; `askForCredentials` turns that into a 401 for anonymous callers so
   * git prompts for a token.
   */
  async repository(name: string, needed: Level, askForCredentials = false): Promise<{ repo: Repository; level: Level }> {
    const repo = await this.store.getRepositoryByName(name);
    const level = repo ? await levelFor(this.store, this.user, repo, this.state.config.anonymousRead) : 'none';
    if (!repo || level === 'none') {
      if (!this.user && (askForCredentials || !this.state.config.anonymousRead)) throw unauthorized();
      throw notFound(`repository ${name}`);
    }
    if (!atLeast(level, needed)) {
      if (!this.user) throw unauthorized();
      throw forbidden(`you need ${needed} permission on ${name}; you have ${level}`);
    }
    return { repo, level };
  }

  /** Whether this caller belongs to `audience` (server.expose). */
  isIn(audience: Audience): boolean {
    if (audience === 'anyone') return true;
    if (audience === 'authenticated') return this.user !== undefined;
    return this.user?.isAdmin === true;
  }

  /** The JSON body, within server.limits.max_json_body. */
  readJson(): Promise<Record<string, unknown>> {
    const max = this.state.limits.maxJsonBody;
    return readJson(this.req, { bytes: max, message: limitMessage('request body', 'maxJsonBody', max) }, this.state.config.timeouts.idleMs);
  }

  /** The request body as a stream (gunzipped), cut at `limit` or when the client goes silent. */
  body(limit: BodyLimit): BodyGuard {
    return bodyStream(this.req, limit, this.state.config.timeouts.idleMs);
  }

  /**
   * Runs a request's writes, its audit event included, in one transaction:
   * all of them apply or none. Check everything that can be checked before.
   */
  writeAll<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.store.transaction(fn);
  }

  /** Records an audit event by this caller; inside writeAll, pass its transaction. */
  async audit(action: string, resource: string | null, repositoryId: string | null, details: JsonObject = {}, into: Operations = this.store): Promise<void> {
    await into.logEvent({ action, userId: this.user?.id ?? null, resource, repositoryId, details });
  }
}
