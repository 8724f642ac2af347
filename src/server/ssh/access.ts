/**
 * The repository an SSH user asks for, if they may act on it at `needed`
 * level: the same rules as smart HTTP (auth/permissions.ts). A repository the
 * user may not read is "not found", exactly like one that does not exist.
 */
import type { DataStore } from '../../datastore/store.js';
import type { Repository, User } from '../../datastore/types.js';
import { atLeast, levelFor, type Level } from '../auth/permissions.js';
import { forbidden, notFound } from '../http-error.js';

export async function repositoryFor(store: DataStore, user: User, name: string, needed: Level): Promise<{ repo: Repository; level: Level }> {
  const repo = await store.getRepositoryByName(name);
  const level = repo ? await levelFor(store, user, repo, false) : 'none';
  if (!repo || level === 'none') throw notFound(`repository ${name}`);
  if (!atLeast(level, needed)) throw forbidden(`you need ${needed} permission on ${name}; you have ${level}`);
  return { repo, level };
}
