/**
 * The first administrator: `govc serve --init-admin <username>` creates the
 * user (when absent) and prints a token once. When the user exists already
 * nothing changes and no token is printed, so leaving the flag in a service
 * file is harmless.
 */
import type { DataStore } from '../datastore/store.js';
import { issueToken } from './auth/tokens.js';
import { checkUsername } from './rest/users.js';

export async function initAdmin(store: DataStore, username: string, email?: string): Promise<{ created: boolean; token?: string }> {
  checkUsername(username);
  const existing = await store.getUserByUsername(username);
  if (existing) return { created: false };
  const user = await store.createUser({ username, email: email ?? `${username}@users.govc.local`, isAdmin: true });
  const { token } = await issueToken(store, user.id, 'init-admin');
  await store.logEvent({ action: 'user.create', userId: null, resource: `user:${username}`, details: { userId: user.id, isAdmin: true, via: 'serve --init-admin' } });
  return { created: true, token };
}
