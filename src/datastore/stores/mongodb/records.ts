/**
 * How records are kept: every ref, repository, user and config value is an
 * immutable version document, written once by the commit that made it
 * (`s`, its log sequence) and marked superseded (`sup`) by the commit that
 * replaced or deleted it. A snapshot at sequence S sees exactly the versions
 * with s <= S < sup. Inserting a version never overwrites one, and `sup` is
 * set to one deterministic value, so a commit can be applied again by anyone
 * (roll-forward) without harming later ones. Values are JSON text, so keys
 * of user metadata ($, dots) never meet the server's field-name rules.
 */
import type { Ref, Repository, User } from '../../types.js';

/** Record kinds: ref, repository (project), user, config. */
export type RecordKind = 'r' | 'p' | 'u' | 'c';

/** `sup` of a version nothing has superseded. */
export const CURRENT = Number.MAX_SAFE_INTEGER;

/** Fields a record's listings filter and sort on, copied beside its value. */
export interface RecordFields {
  /** Hex of the UTF-8 bytes of the sort field: byte order under any collation. */
  kx: string;
  name?: string;
  email?: string;
  vis?: string;
  owner?: string | null;
  admin?: boolean;
}

export interface RecordDoc extends RecordFields {
  _id: string;
  c: RecordKind;
  /** Group: the repository id for refs, '' for the rest. */
  g: string;
  k: string;
  s: number;
  sup: number;
  v: string;
}

export function hexKey(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/** The smallest hex string above every key that starts with `prefix` (hex digits end at f). */
export function hexPrefixEnd(prefix: string): string {
  return hexKey(prefix) + 'g';
}

export function versionId(c: RecordKind, g: string, k: string, s: number): string {
  return `${c}${JSON.stringify([g, k])}${s.toString(16).padStart(14, '0')}`;
}

/** The snapshot filter: versions a reader at sequence `s` sees. */
export function visibleAt(s: number): { s: { $lte: number }; sup: { $gt: number } } {
  return { s: { $lte: s }, sup: { $gt: s } };
}

export { repositoryFromJson as decodeRepository, repositoryToJson as encodeRepository, userFromJson as decodeUser, userToJson as encodeUser } from '../../record-json.js';

export function repositoryFields(r: Repository): RecordFields {
  return { kx: hexKey(r.name), name: r.name, vis: r.visibility, owner: r.ownerId };
}

export function userFields(u: User): RecordFields {
  return { kx: hexKey(u.username), name: u.username, email: u.email, admin: u.isAdmin };
}

export function encodeRef(ref: Ref): string {
  return JSON.stringify({ type: ref.type, target: ref.target });
}

export function decodeRef(name: string, text: string): Ref {
  const { type, target } = JSON.parse(text) as Pick<Ref, 'type' | 'target'>;
  return { name, type, target };
}
