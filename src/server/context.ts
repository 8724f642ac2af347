/** What every handler gets: the shared server state and this request's caller. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataStore } from '../datastore/store.js';
import type { JsonObject, Repository, User } from '../datastore/types.js';
import { atLeast, levelFor, type Level } from './auth/permissions.js';
import type { ServerConfig } from './config.js';
import { forbidden, notFound, unauthorized } from './http-error.js';
import type { ServerMetrics } from './metrics.js';

export interface ServerState {
  store: DataStore;
  config: ServerConfig;
  metrics: ServerMetrics;
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

  /** Records an audit event by this caller. */
  async audit(action: string, resource: string | null, repositoryId: string | null, details: JsonObject = {}): Promise<void> {
    await this.store.logEvent({ action, userId: this.user?.id ?? null, resource, repositoryId, details });
  }
}
