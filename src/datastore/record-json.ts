/**
 * Records as JSON text with dates as epoch milliseconds: the form every store
 * that keeps records as documents or values uses (kv, Redis, and stores added
 * later). Records written before versions existed read back as version 1.
 */
import { IntegrityError } from './errors.js';
import type { AuditEvent, JsonObject, Repository, User } from './types.js';

/** An audit event as stored and published: the timestamp in epoch milliseconds. */
export type StoredEvent = Omit<AuditEvent, 'timestamp'> & { timestamp: number };

function parse<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new IntegrityError(`stored ${what} is not valid JSON (${(err as Error).message}); the store is corrupt`);
  }
}

type Stored<T> = Omit<T, 'createdAt' | 'updatedAt' | 'version'> & { createdAt: number; updatedAt: number; version?: number };

export function repositoryToJson(r: Repository): string {
  return JSON.stringify({ ...r, createdAt: r.createdAt.getTime(), updatedAt: r.updatedAt.getTime() });
}

export function repositoryFromJson(text: string): Repository {
  const r = parse<Stored<Repository>>(text, 'repository');
  return { ...r, createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt), version: r.version ?? 1 };
}

export function userToJson(u: User): string {
  return JSON.stringify({ ...u, createdAt: u.createdAt.getTime(), updatedAt: u.updatedAt.getTime() });
}

export function userFromJson(text: string): User {
  const u = parse<Stored<User>>(text, 'user');
  return { ...u, createdAt: new Date(u.createdAt), updatedAt: new Date(u.updatedAt), version: u.version ?? 1 };
}

export function eventToJson(e: AuditEvent): string {
  return JSON.stringify({ ...e, timestamp: e.timestamp.getTime() });
}

export function storedEventToEvent(value: StoredEvent): AuditEvent {
  return { ...value, timestamp: new Date(value.timestamp), details: value.details as JsonObject };
}

export function eventFromJson(text: string): AuditEvent {
  return storedEventToEvent(parse<StoredEvent>(text, 'event'));
}
