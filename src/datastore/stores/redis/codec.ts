/** How records and ordered index members are laid out in Redis values (objects: entry-value.ts). */
import type { AuditEvent, JsonObject, Ref, Repository, User } from '../../types.js';

// ---- refs: "d:<object id>" or "s:<ref name>" ----
export function encodeRefTarget(target: string, symbolic: boolean): string {
  return (symbolic ? 's:' : 'd:') + target;
}

export function decodeRef(name: string, value: string): Ref {
  return { name, type: value.startsWith('s:') ? 'symbolic' : 'direct', target: value.slice(2) };
}

// ---- records as JSON, dates as epoch milliseconds ----
export function encodeRepository(r: Repository): string {
  return JSON.stringify({ ...r, createdAt: r.createdAt.getTime(), updatedAt: r.updatedAt.getTime() });
}

export function decodeRepository(json: string): Repository {
  const r = JSON.parse(json) as Omit<Repository, 'createdAt' | 'updatedAt'> & { createdAt: number; updatedAt: number };
  return { ...r, createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt) };
}

export function encodeUser(u: User): string {
  return JSON.stringify({ ...u, createdAt: u.createdAt.getTime(), updatedAt: u.updatedAt.getTime() });
}

export function decodeUser(json: string): User {
  const u = JSON.parse(json) as Omit<User, 'createdAt' | 'updatedAt'> & { createdAt: number; updatedAt: number };
  return { ...u, createdAt: new Date(u.createdAt), updatedAt: new Date(u.updatedAt) };
}

export function encodeEvent(e: AuditEvent): string {
  return JSON.stringify({ ...e, timestamp: e.timestamp.getTime() });
}

/** An audit event as stored and published: the timestamp in epoch milliseconds. */
export type StoredEvent = Omit<AuditEvent, 'timestamp'> & { timestamp: number };

export function eventFromJson(value: StoredEvent): AuditEvent {
  return { ...value, timestamp: new Date(value.timestamp), details: value.details as JsonObject };
}

export function decodeEvent(json: string): AuditEvent {
  return eventFromJson(JSON.parse(json) as StoredEvent);
}

// ---- events are ordered by (timestamp, id): index members are a fixed-width timestamp then the id ----
/** Dates span ±8.64e15 ms; shifted to be non-negative they fit 14 hex digits, so byte order = time order. */
const TIME_SHIFT = 8.64e15;

export function timeKey(ms: number): string {
  return (ms + TIME_SHIFT).toString(16).padStart(14, '0');
}

export function eventMember(timestampMs: number, id: string): string {
  return timeKey(timestampMs) + id;
}

// ---- lex ranges for ZRANGEBYLEX over UTF-8 members ----
export type LexBound = string | Buffer;

/**
 * The [min, max] bounds for members starting with `prefix` and strictly after
 * `after`. 0xFF never occurs in UTF-8, so `prefix + 0xFF` bounds every member
 * that starts with the prefix.
 */
export function lexRange(prefix: string, after: string | undefined): [LexBound, LexBound] {
  const min = after !== undefined && Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0 ? `(${after}` : prefix ? `[${prefix}` : '-';
  const max = prefix ? Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]) : '+';
  return [min, max];
}
