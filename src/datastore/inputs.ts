/** What callers pass to create or change metadata, and how it becomes a stored record. */
import { InvalidArgumentError } from './errors.js';
import { newEventId, newId } from './ids.js';
import type { AuditEvent, JsonObject, Repository, User, Visibility } from './types.js';
import { checkDate, checkText } from './validate.js';

export interface RepositoryInput {
  name: string;
  id?: string;
  description?: string;
  path?: string;
  visibility?: Visibility;
  ownerId?: string | null;
  metadata?: JsonObject;
}

export type RepositoryPatch = Partial<Omit<RepositoryInput, 'id'>>;

export interface UserInput {
  username: string;
  email: string;
  id?: string;
  displayName?: string;
  isAdmin?: boolean;
  metadata?: JsonObject;
}

export type UserPatch = Partial<Omit<UserInput, 'id'>>;

export interface EventInput {
  action: string;
  userId?: string | null;
  resource?: string | null;
  repositoryId?: string | null;
  details?: JsonObject;
  timestamp?: Date;
}

function checkMetadata(what: string, value: unknown): JsonObject {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be a JSON object`);
  }
  try {
    return JSON.parse(JSON.stringify(value)) as JsonObject;
  } catch (err) {
    throw new InvalidArgumentError(`${what} must be JSON-serializable: ${(err as Error).message}`);
  }
}

function checkVisibility(value: unknown): Visibility {
  if (value === undefined) return 'public';
  if (value !== 'public' && value !== 'private') {
    throw new InvalidArgumentError(`visibility must be "public" or "private"; got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkOptionalText(what: string, value: unknown, max: number): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || value.length > max) throw new InvalidArgumentError(`${what} must be a string of at most ${max} characters`);
  return value;
}

function checkNullableId(what: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return checkText(what, value, 128);
}

/** Emails compare case-insensitively everywhere, so they are stored lower-cased. */
export function normalizeEmail(value: unknown): string {
  const email = checkText('email', value, 254);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new InvalidArgumentError(`email must look like name@host; got ${JSON.stringify(email)}`);
  return email.toLowerCase();
}

/** A new repository's id: letters, digits, '_' and '-' only, so it can end a key prefix (keyspace.ts). */
function checkRepositoryIdInput(value: unknown): string {
  const id = checkText('repository id', value, 128);
  if (!/^[A-Za-z0-9_-]+$/.test(id)) {
    throw new InvalidArgumentError(`repository id may hold only letters, digits, '_' and '-'; got ${JSON.stringify(id)}`);
  }
  return id;
}

export function buildRepository(input: RepositoryInput, existing?: Repository, now = new Date()): Repository {
  return {
    id: existing?.id ?? checkRepositoryIdInput(input.id ?? newId()),
    name: checkText('repository name', input.name),
    description: checkOptionalText('description', input.description, 4096),
    path: checkOptionalText('path', input.path, 4096),
    visibility: checkVisibility(input.visibility),
    ownerId: checkNullableId('ownerId', input.ownerId),
    metadata: checkMetadata('repository metadata', input.metadata),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    version: existing ? existing.version + 1 : 1,
  };
}

export function patchRepository(existing: Repository, patch: RepositoryPatch): Repository {
  const merged: RepositoryInput = {
    name: patch.name ?? existing.name,
    description: patch.description ?? existing.description,
    path: patch.path ?? existing.path,
    visibility: patch.visibility ?? existing.visibility,
    ownerId: patch.ownerId === undefined ? existing.ownerId : patch.ownerId,
    metadata: patch.metadata ?? existing.metadata,
  };
  return buildRepository(merged, existing);
}

export function buildUser(input: UserInput, existing?: User, now = new Date()): User {
  if (input.isAdmin !== undefined && typeof input.isAdmin !== 'boolean') throw new InvalidArgumentError('isAdmin must be a boolean');
  return {
    id: existing?.id ?? checkText('user id', input.id ?? newId(), 128),
    username: checkText('username', input.username, 128),
    email: normalizeEmail(input.email),
    displayName: checkOptionalText('displayName', input.displayName, 255),
    isAdmin: input.isAdmin ?? false,
    metadata: checkMetadata('user metadata', input.metadata),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    version: existing ? existing.version + 1 : 1,
  };
}

export function patchUser(existing: User, patch: UserPatch): User {
  return buildUser(
    {
      username: patch.username ?? existing.username,
      email: patch.email ?? existing.email,
      displayName: patch.displayName ?? existing.displayName,
      isAdmin: patch.isAdmin ?? existing.isAdmin,
      metadata: patch.metadata ?? existing.metadata,
    },
    existing,
  );
}

export function buildEvent(input: EventInput): AuditEvent {
  const timestamp = input.timestamp === undefined ? new Date() : checkDate('event timestamp', input.timestamp);
  return {
    id: newEventId(timestamp.getTime()),
    timestamp,
    userId: checkNullableId('userId', input.userId),
    action: checkText('event action', input.action, 128),
    resource: input.resource === undefined || input.resource === null ? null : checkText('event resource', input.resource, 1024),
    repositoryId: checkNullableId('repositoryId', input.repositoryId),
    details: checkMetadata('event details', input.details),
  };
}

/** Checks a full record (as restored from a backup) before it is written verbatim. */
export function checkRepositoryRecord(repo: Repository): Repository {
  const built = buildRepository(repo, repo);
  return { ...built, createdAt: checkDate('createdAt', repo.createdAt), updatedAt: checkDate('updatedAt', repo.updatedAt), version: recordVersion(repo.version) };
}

export function checkUserRecord(user: User): User {
  const built = buildUser(user, user);
  return { ...built, createdAt: checkDate('createdAt', user.createdAt), updatedAt: checkDate('updatedAt', user.updatedAt), version: recordVersion(user.version) };
}

/** A record's version as given, or 1 for records written before versions existed. */
export function recordVersion(value: unknown): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`version must be a positive integer; got ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkEventRecord(event: AuditEvent): AuditEvent {
  const built = buildEvent({ ...event, timestamp: event.timestamp });
  return { ...built, id: checkText('event id', event.id, 128) };
}
