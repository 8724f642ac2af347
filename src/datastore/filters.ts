/**
 * The one meaning of every filter and ordering, as plain functions. Stores that
 * keep data in memory or scan key ranges use them directly; SQL stores
 * translate the same rules into WHERE clauses, and the compliance suite pins
 * the two together.
 */
import type { EventCountQuery, EventPosition, EventQuery, RepositoryQuery, UserQuery } from './driver.js';
import type { AuditEvent, Repository, User } from './types.js';

/**
 * Code point order, which is UTF-8 byte order: the order SQL stores (with
 * binary collation) and key-value stores give. Plain `<` compares UTF-16 code
 * units and would put U+FFFD after an emoji.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

export function matchesRepository(repo: Repository, q: Omit<RepositoryQuery, 'offset' | 'limit'>): boolean {
  if (q.namePrefix && !repo.name.startsWith(q.namePrefix)) return false;
  if (q.visibility && repo.visibility !== q.visibility) return false;
  if (q.ownerId !== undefined && repo.ownerId !== q.ownerId) return false;
  if (q.after !== undefined && compareStrings(repo.name, q.after) <= 0) return false;
  return true;
}

export function matchesUser(user: User, q: Omit<UserQuery, 'offset' | 'limit'>): boolean {
  if (q.usernamePrefix && !user.username.startsWith(q.usernamePrefix)) return false;
  if (q.isAdmin !== undefined && user.isAdmin !== q.isAdmin) return false;
  if (q.after !== undefined && compareStrings(user.username, q.after) <= 0) return false;
  return true;
}

export function compareEventPosition(a: EventPosition, b: EventPosition): number {
  return a.timestamp - b.timestamp || compareStrings(a.id, b.id);
}

function eventPosition(event: AuditEvent): EventPosition {
  return { timestamp: event.timestamp.getTime(), id: event.id };
}

export function matchesEvent(event: AuditEvent, q: EventCountQuery & { after?: EventPosition; order?: 'asc' | 'desc' }): boolean {
  const t = event.timestamp.getTime();
  if (q.userId !== undefined && event.userId !== q.userId) return false;
  if (q.action !== undefined && event.action !== q.action) return false;
  if (q.resource !== undefined && event.resource !== q.resource) return false;
  if (q.resourcePrefix && !(event.resource ?? '').startsWith(q.resourcePrefix)) return false;
  if (q.resourcePrefix !== undefined && event.resource === null) return false;
  if (q.repositoryId !== undefined && event.repositoryId !== q.repositoryId) return false;
  if (q.since !== undefined && t < q.since) return false;
  if (q.until !== undefined && t >= q.until) return false;
  if (q.after) {
    const c = compareEventPosition(eventPosition(event), q.after);
    if (q.order === 'desc' ? c >= 0 : c <= 0) return false;
  }
  return true;
}

/** Filters, sorts and pages an in-memory collection of repositories. */
export function selectRepositories(all: Iterable<Repository>, q: RepositoryQuery): Repository[] {
  const hits = [...all].filter((r) => matchesRepository(r, q));
  hits.sort((a, b) => compareStrings(a.name, b.name));
  return hits.slice(q.offset, q.offset + q.limit);
}

export function selectUsers(all: Iterable<User>, q: UserQuery): User[] {
  const hits = [...all].filter((u) => matchesUser(u, q));
  hits.sort((a, b) => compareStrings(a.username, b.username));
  return hits.slice(q.offset, q.offset + q.limit);
}

function sortEvents(events: AuditEvent[], order: 'asc' | 'desc'): AuditEvent[] {
  const sign = order === 'desc' ? -1 : 1;
  return events.sort((a, b) => sign * compareEventPosition(eventPosition(a), eventPosition(b)));
}

export function selectEvents(all: Iterable<AuditEvent>, q: EventQuery): AuditEvent[] {
  const hits = [...all].filter((e) => matchesEvent(e, q));
  return sortEvents(hits, q.order).slice(q.offset, q.offset + q.limit);
}
