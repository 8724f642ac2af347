/**
 * API tokens. A token is shown once when created; the store keeps only its
 * SHA-256, as config key `govc.auth.token.<hash>`, so a leaked database
 * does not leak credentials. Lookup is by hash, so timing reveals nothing of the token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { KEYSPACE } from '../../datastore/keyspace.js';
import type { DataStore } from '../../datastore/store.js';
import type { User } from '../../datastore/types.js';

export const TOKEN_KEY_PREFIX = KEYSPACE.token;

export interface TokenRecord {
  userId: string;
  name: string;
  createdAt: string;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return `govc_${randomBytes(32).toString('base64url')}`;
}

/** Creates a token for the user and returns it; only its hash is stored. */
export async function issueToken(store: DataStore, userId: string, name = 'default'): Promise<{ token: string; id: string }> {
  const token = newToken();
  const id = hashToken(token);
  const record: TokenRecord = { userId, name, createdAt: new Date().toISOString() };
  await store.setConfig(TOKEN_KEY_PREFIX + id, JSON.stringify(record));
  return { token, id: id.slice(0, 16) };
}

/** The user a token belongs to, or undefined for an unknown or revoked token. */
export async function userForToken(store: DataStore, token: string): Promise<User | undefined> {
  if (!token.startsWith('govc_') || token.length > 200) return undefined;
  const hash = hashToken(token);
  const raw = await store.getConfig(TOKEN_KEY_PREFIX + hash);
  if (raw === undefined) return undefined;
  const record = JSON.parse(raw) as TokenRecord;
  return store.getUser(record.userId);
}

/** The user's tokens (id = first 16 hex digits of the hash, name, createdAt). */
export async function listTokens(store: DataStore, userId: string): Promise<Array<{ id: string; name: string; createdAt: string }>> {
  const out: Array<{ id: string; name: string; createdAt: string }> = [];
  for await (const [key, value] of store.listConfig(TOKEN_KEY_PREFIX)) {
    const record = JSON.parse(value) as TokenRecord;
    if (record.userId === userId) out.push({ id: key.slice(TOKEN_KEY_PREFIX.length, TOKEN_KEY_PREFIX.length + 16), name: record.name, createdAt: record.createdAt });
  }
  return out;
}

/** Revokes the user's tokens whose id starts with `idPrefix` (all of them when omitted); returns how many. */
export async function revokeTokens(store: DataStore, userId: string, idPrefix = ''): Promise<number> {
  const doomed: string[] = [];
  for await (const [key, value] of store.listConfig(TOKEN_KEY_PREFIX + idPrefix)) {
    if ((JSON.parse(value) as TokenRecord).userId === userId) doomed.push(key);
  }
  for (const key of doomed) await store.deleteConfig(key);
  return doomed.length;
}
