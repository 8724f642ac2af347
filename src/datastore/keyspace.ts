/**
 * Every config-key prefix the system keeps for itself, declared once. Config
 * keys a user sets through the API or CLI may not start with any of them, and
 * nothing outside the module that owns a prefix reads or writes under it.
 */
export const KEYSPACE = {
  /** API token hashes: `<prefix><sha256>` → TokenRecord (server/auth/tokens). */
  token: 'govc.auth.token.',
  /** Repository grants: `<prefix><repositoryId>.<userId>` → level (server/auth/permissions). */
  permission: 'govc.auth.perm.',
  /** Users' SSH public keys (server/ssh). */
  sshKey: 'govc.auth.sshkey.',
  /** The commit index, per repository (datastore/commit-index/keys). */
  commitIndex: 'git/commit-index/',
  /** Objects gc found unreachable, with the time it did (git/maintenance/prune). */
  unreachable: 'gc/unreachable/',
  /** Migration checkpoints kept in a target store (datastore/migration). */
  migration: 'govc.migration.',
  /** Layer bookkeeping, e.g. encryption key rotation progress (datastore/layers). */
  layer: 'govc.layer.',
} as const;

export type KeyspaceName = keyof typeof KEYSPACE;

/** The internal prefix `key` falls under, if any. */
export function internalPrefixOf(key: string): string | undefined {
  return Object.values(KEYSPACE).find((prefix) => key.startsWith(prefix));
}

/** Whether a listing by `prefix` could return internal keys (a prefix of one, or inside one). */
export function overlapsInternal(prefix: string): boolean {
  return Object.values(KEYSPACE).some((p) => p.startsWith(prefix) || prefix.startsWith(p));
}

/**
 * The config prefixes that belong to one repository, deleted with it.
 * Repository ids hold no '.' or '/' (inputs.ts), so one id's prefix never
 * covers another's keys.
 */
export function repositoryKeyPrefixes(repositoryId: string): string[] {
  return [`${KEYSPACE.permission}${repositoryId}.`, `${KEYSPACE.commitIndex}${repositoryId}/`];
}
