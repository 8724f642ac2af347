/** Rows as SQLite stores them and the records the core uses: ms integers for dates, JSON text for metadata, 0/1 for booleans. */
import type { AuditEvent, JsonObject, Ref, Repository, User, Visibility } from '../../types.js';

export interface RepositoryRow {
  id: string;
  name: string;
  description: string;
  path: string;
  visibility: string;
  owner_id: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface UserRow {
  id: string;
  username: string;
  email: string;
  display_name: string;
  is_admin: number;
  metadata: string;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface EventRow {
  id: string;
  timestamp: number;
  user_id: string | null;
  action: string;
  resource: string | null;
  repository_id: string | null;
  details: string;
}

export interface RefRow {
  name: string;
  type: string;
  target: string;
}

export const REPOSITORY_COLUMNS = 'id, name, description, path, visibility, owner_id, metadata, created_at, updated_at, version';
export const USER_COLUMNS = 'id, username, email, display_name, is_admin, metadata, created_at, updated_at, version';
export const EVENT_COLUMNS = 'id, timestamp, user_id, action, resource, repository_id, details';

export function repositoryFromRow(r: RepositoryRow): Repository {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    path: r.path,
    visibility: r.visibility as Visibility,
    ownerId: r.owner_id,
    metadata: JSON.parse(r.metadata) as JsonObject,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    version: r.version,
  };
}

export function repositoryToRow(r: Repository): RepositoryRow {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    path: r.path,
    visibility: r.visibility,
    owner_id: r.ownerId,
    metadata: JSON.stringify(r.metadata),
    created_at: r.createdAt.getTime(),
    updated_at: r.updatedAt.getTime(),
    version: r.version,
  };
}

export function userFromRow(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    displayName: r.display_name,
    isAdmin: r.is_admin === 1,
    metadata: JSON.parse(r.metadata) as JsonObject,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    version: r.version,
  };
}

export function userToRow(u: User): UserRow {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    display_name: u.displayName,
    is_admin: u.isAdmin ? 1 : 0,
    metadata: JSON.stringify(u.metadata),
    created_at: u.createdAt.getTime(),
    updated_at: u.updatedAt.getTime(),
    version: u.version,
  };
}

export function eventFromRow(r: EventRow): AuditEvent {
  return {
    id: r.id,
    timestamp: new Date(r.timestamp),
    userId: r.user_id,
    action: r.action,
    resource: r.resource,
    repositoryId: r.repository_id,
    details: JSON.parse(r.details) as JsonObject,
  };
}

export function eventToRow(e: AuditEvent): EventRow {
  return {
    id: e.id,
    timestamp: e.timestamp.getTime(),
    user_id: e.userId,
    action: e.action,
    resource: e.resource,
    repository_id: e.repositoryId,
    details: JSON.stringify(e.details),
  };
}

export function refFromRow(r: RefRow): Ref {
  return { name: r.name, type: r.type as Ref['type'], target: r.target };
}
