/** JSON shapes of records in REST answers (dates as ISO strings; never token hashes). */
import type { AuditEvent, Page, Ref, Repository, User } from '../../datastore/types.js';

export const repositoryView = (r: Repository) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  visibility: r.visibility,
  ownerId: r.ownerId,
  metadata: r.metadata,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});

export const userView = (u: User) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  displayName: u.displayName,
  isAdmin: u.isAdmin,
  metadata: u.metadata,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
  version: u.version,
});

export const eventView = (e: AuditEvent) => ({ ...e, timestamp: e.timestamp.toISOString() });

export const refView = (r: Ref) => ({ name: r.name, type: r.type, target: r.target });

export function pageView<T, V>(page: Page<T>, view: (t: T) => V): { items: V[]; nextCursor?: string } {
  return page.nextCursor ? { items: page.items.map(view), nextCursor: page.nextCursor } : { items: page.items.map(view) };
}
