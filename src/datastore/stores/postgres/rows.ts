/** Table rows to the data model, and the data model to statement parameters. */
import type { AuditEvent, JsonObject, ObjectEncoding, ObjectEntry, ObjectType, Ref, Repository, User, Visibility } from '../../types.js';

export interface RepositoryRow {
  id: string;
  name: string;
  description: string;
  path: string;
  visibility: string;
  owner_id: string | null;
  metadata: JsonObject;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface UserRow {
  id: string;
  username: string;
  email: string;
  display_name: string;
  is_admin: boolean;
  metadata: JsonObject;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface EventRow {
  id: string;
  occurred_at: Date;
  user_id: string | null;
  action: string;
  resource: string | null;
  repository_id: string | null;
  details: JsonObject;
}

export interface RefRow {
  name: string;
  type: string;
  target: string;
}

export interface EntryRow {
  id: string;
  type: string;
  /** BIGINT comes back as text. */
  size: string;
  encoding: number;
  base: string | null;
  /** The entry's bytes; null when they are too large to come back inline. */
  data: Buffer | null;
}

export const REPOSITORY_COLUMNS = ['id', 'name', 'description', 'path', 'visibility', 'owner_id', 'metadata', 'created_at', 'updated_at', 'version'] as const;
export const USER_COLUMNS = ['id', 'username', 'email', 'display_name', 'is_admin', 'metadata', 'created_at', 'updated_at', 'version'] as const;
export const EVENT_COLUMNS = ['id', 'occurred_at', 'user_id', 'action', 'resource', 'repository_id', 'details'] as const;

export function toRepository(r: RepositoryRow): Repository {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    path: r.path,
    visibility: r.visibility as Visibility,
    ownerId: r.owner_id,
    metadata: r.metadata,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    version: r.version,
  };
}

export function repositoryParams(r: Repository): unknown[] {
  return [r.id, r.name, r.description, r.path, r.visibility, r.ownerId, JSON.stringify(r.metadata), r.createdAt.toISOString(), r.updatedAt.toISOString(), r.version];
}

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    displayName: r.display_name,
    isAdmin: r.is_admin,
    metadata: r.metadata,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    version: r.version,
  };
}

export function userParams(u: User): unknown[] {
  return [u.id, u.username, u.email, u.displayName, u.isAdmin, JSON.stringify(u.metadata), u.createdAt.toISOString(), u.updatedAt.toISOString(), u.version];
}

export function toEvent(r: EventRow): AuditEvent {
  return {
    id: r.id,
    timestamp: r.occurred_at,
    userId: r.user_id,
    action: r.action,
    resource: r.resource,
    repositoryId: r.repository_id,
    details: r.details,
  };
}

export function eventParams(e: AuditEvent): unknown[] {
  return [e.id, e.timestamp.toISOString(), e.userId, e.action, e.resource, e.repositoryId, JSON.stringify(e.details)];
}

export function toRef(r: RefRow): Ref {
  return { name: r.name, type: r.type as Ref['type'], target: r.target };
}

export function objectType(type: string): ObjectType {
  return type as ObjectType;
}

/** An entry exactly as stored; `bytes` are the row's data (or what the large-read path fetched). */
export function toEntry(r: EntryRow, bytes: Buffer): ObjectEntry {
  return { id: r.id, type: objectType(r.type), size: Number(r.size), encoding: r.encoding as ObjectEncoding, base: r.base, bytes };
}

/** The objects columns an entry fills, in statement parameter order. */
export const ENTRY_COLUMNS = ['id', 'type', 'size', 'encoding', 'base', 'data'] as const;

export function entryData(e: ObjectEntry): Buffer {
  return Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
}

/** An entry's parameters, in ENTRY_COLUMNS order. */
export function entryParams(e: ObjectEntry): unknown[] {
  return [e.id, e.type, e.size, e.encoding, e.base, entryData(e)];
}
