/**
 * Users' SSH public keys in the store's config, under KEYSPACE.sshKey:
 *   `<prefix>id.<keyId>`            → KeyRecord (the key's one owner; looked up at login)
 *   `<prefix>user.<userId>.<keyId>` → ''  (lists one user's keys without a scan of all)
 * keyId is the hex SHA-256 of the key blob, the digest its fingerprint shows.
 * The id record decides who owns a key; a user's list shows only keys whose
 * record still names that user.
 */
import { KEYSPACE } from '../../datastore/keyspace.js';
import { ConflictError } from '../../datastore/errors.js';
import type { Operations } from '../../datastore/operations.js';
import type { User } from '../../datastore/types.js';
import { keyIdOf } from './fingerprint.js';
import type { PublicKey } from './public-key.js';

export interface KeyRecord {
  userId: string;
  title: string;
  /** `<type> <base64>` */
  key: string;
  fingerprint: string;
  createdAt: string;
}

export interface StoredKey extends KeyRecord {
  id: string;
}

const idKey = (keyId: string) => `${KEYSPACE.sshKey}id.${keyId}`;
const userPrefix = (userId: string) => `${KEYSPACE.sshKey}user.${userId}.`;

/** Adds `key` to the user; a key another user (or this one) has already is a ConflictError. Run it in a transaction. */
export async function addKey(ops: Operations, userId: string, key: PublicKey, title: string): Promise<StoredKey> {
  const existing = await readRecord(ops, key.id);
  // A key left by a deleted user is free again.
  if (existing && (await ops.getUser(existing.userId))) {
    throw new ConflictError(
      existing.userId === userId
        ? `you have added this key already (${key.fingerprint})`
        : `this key (${key.fingerprint}) belongs to another account; a key identifies one user, so make a new one with ssh-keygen -t ed25519`,
    );
  }
  const record: KeyRecord = { userId, title, key: key.openssh, fingerprint: key.fingerprint, createdAt: new Date().toISOString() };
  await ops.setConfig(idKey(key.id), JSON.stringify(record));
  await ops.setConfig(userPrefix(userId) + key.id, '');
  return { id: key.id, ...record };
}

export async function listKeys(ops: Operations, userId: string): Promise<StoredKey[]> {
  const out: StoredKey[] = [];
  const prefix = userPrefix(userId);
  for await (const [name] of ops.listConfig(prefix)) {
    const id = name.slice(prefix.length);
    const record = await readRecord(ops, id);
    if (record?.userId === userId) out.push({ id, ...record });
  }
  return out;
}

/** Removes the user's key; false when the user has no such key. Run it in a transaction. */
export async function deleteKey(ops: Operations, userId: string, keyId: string): Promise<StoredKey | undefined> {
  const record = await readRecord(ops, keyId);
  await ops.deleteConfig(userPrefix(userId) + keyId);
  if (record?.userId !== userId) return undefined;
  await ops.deleteConfig(idKey(keyId));
  return { id: keyId, ...record };
}

/** Removes every key of a user (when the user is deleted). */
export async function dropKeys(ops: Operations, userId: string): Promise<void> {
  for (const key of await listKeys(ops, userId)) await deleteKey(ops, userId, key.id);
}

/** The user a key blob belongs to, with the key's record; undefined for an unknown key or a deleted user. */
export async function ownerOf(ops: Operations, blob: Buffer): Promise<{ user: User; key: StoredKey } | undefined> {
  const id = keyIdOf(blob);
  const record = await readRecord(ops, id);
  if (!record) return undefined;
  const user = await ops.getUser(record.userId);
  return user ? { user, key: { id, ...record } } : undefined;
}

async function readRecord(ops: Operations, keyId: string): Promise<KeyRecord | undefined> {
  const raw = await ops.getConfig(idKey(keyId));
  return raw === undefined ? undefined : (JSON.parse(raw) as KeyRecord);
}
