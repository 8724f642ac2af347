/**
 * Who may do what on a repository. Levels: none < read < write < admin.
 * - server admins and the repository's owner: admin
 * - collaborators: the level granted (config key `govc.auth.perm.<repoId>.<userId>`)
 * - everyone else: read on public repositories (anonymous too when anonymous_read), none on private ones
 * Writing means pushing fast-forwards, creating and deleting refs; a
 * non-fast-forward (forced) update needs admin.
 */
import { KEYSPACE } from '../../datastore/keyspace.js';
import type { DataStore } from '../../datastore/store.js';
import type { Repository, User } from '../../datastore/types.js';

export type Level = 'none' | 'read' | 'write' | 'admin';
export const GRANTABLE: readonly Level[] = ['read', 'write', 'admin'];
const RANK: Record<Level, number> = { none: 0, read: 1, write: 2, admin: 3 };

export const PERM_KEY_PREFIX = KEYSPACE.permission;

function permKey(repositoryId: string, userId: string): string {
  return `${PERM_KEY_PREFIX}${repositoryId}.${userId}`;
}

export function atLeast(level: Level, needed: Level): boolean {
  return RANK[level] >= RANK[needed];
}

export async function levelFor(store: DataStore, user: User | undefined, repo: Repository, anonymousRead: boolean): Promise<Level> {
  if (user && (user.isAdmin || repo.ownerId === user.id)) return 'admin';
  let granted: Level = 'none';
  if (user) {
    const raw = await store.getConfig(permKey(repo.id, user.id));
    if (raw === 'read' || raw === 'write' || raw === 'admin') granted = raw;
  }
  const base: Level = repo.visibility === 'public' && (user || anonymousRead) ? 'read' : 'none';
  return RANK[granted] > RANK[base] ? granted : base;
}

export async function grant(store: DataStore, repositoryId: string, userId: string, level: Level): Promise<void> {
  if (level === 'none') await store.deleteConfig(permKey(repositoryId, userId));
  else await store.setConfig(permKey(repositoryId, userId), level);
}

export async function listGrants(store: DataStore, repositoryId: string): Promise<Array<{ userId: string; level: Level }>> {
  const prefix = `${PERM_KEY_PREFIX}${repositoryId}.`;
  const out: Array<{ userId: string; level: Level }> = [];
  for await (const [key, value] of store.listConfig(prefix)) out.push({ userId: key.slice(prefix.length), level: value as Level });
  return out;
}

