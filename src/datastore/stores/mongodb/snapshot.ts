/**
 * Reads of records and events at one commit-log sequence: every read of a
 * Snapshot sees the same committed state, whatever commits land meanwhile.
 */
import type { Filter } from 'mongodb';
import type { EventCountQuery, EventQuery, KeyRange, RepositoryQuery, UserQuery } from '../../driver.js';
import type { AuditEvent, JsonObject, Ref, Repository, User } from '../../types.js';
import { byKeys } from './by-key.js';
import type { Collections, EventDoc } from './collections.js';
import {
  decodeRef,
  decodeRepository,
  decodeUser,
  hexKey,
  hexPrefixEnd,
  visibleAt,
  type RecordDoc,
  type RecordKind,
} from './records.js';

function keyRange(prefix: string, after?: string): { $gte?: string; $gt?: string; $lt: string } {
  const lower = after !== undefined && after >= prefix ? { $gt: hexKey(after) } : { $gte: hexKey(prefix) };
  return { ...lower, $lt: hexPrefixEnd(prefix) };
}

export function decodeEvent(doc: EventDoc): AuditEvent {
  return {
    id: doc._id,
    timestamp: new Date(doc.ts),
    userId: doc.userId,
    action: doc.action,
    resource: doc.resource,
    repositoryId: doc.repositoryId,
    details: JSON.parse(doc.details) as JsonObject,
  };
}

export class Snapshot {
  constructor(
    private readonly c: Collections,
    readonly seq: number,
  ) {}

  /** The version of a record this snapshot sees. */
  async record(c: RecordKind, g: string, k: string): Promise<RecordDoc | undefined> {
    return (await this.c.records.findOne({ c, g, k, ...visibleAt(this.seq) })) ?? undefined;
  }

  /** The versions this snapshot sees of many records of one kind and group (absent ones are left out). */
  async records(c: RecordKind, g: string, keys: string[]): Promise<RecordDoc[]> {
    return byKeys(
      keys,
      async (k) => {
        const doc = await this.record(c, g, k);
        return doc ? [doc] : [];
      },
      (ks) => this.c.records.find({ c, g, k: ks, ...visibleAt(this.seq) }).toArray(),
    );
  }

  async find(filter: Filter<RecordDoc>, sort: Record<string, 1 | -1>, skip: number, limit: number): Promise<RecordDoc[]> {
    if (limit <= 0) return [];
    return this.c.records.find({ ...filter, ...visibleAt(this.seq) }, { sort, skip, limit }).toArray();
  }

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    const doc = await this.record('r', repositoryId, name);
    return doc && decodeRef(name, doc.v);
  }

  /** A repository's ref versions in name order. */
  refRecords(repositoryId: string, range: KeyRange): Promise<RecordDoc[]> {
    return this.find({ c: 'r', g: repositoryId, kx: keyRange(range.prefix, range.after) }, { kx: 1 }, 0, range.limit);
  }

  async listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    return (await this.refRecords(repositoryId, range)).map((d) => decodeRef(d.k, d.v));
  }

  async getRepository(id: string): Promise<Repository | undefined> {
    const doc = await this.record('p', '', id);
    return doc && decodeRepository(doc.v);
  }

  async getRepositoryByName(name: string): Promise<Repository | undefined> {
    const [doc] = await this.find({ c: 'p', name }, { kx: 1 }, 0, 1);
    return doc && decodeRepository(doc.v);
  }

  async listRepositories(q: RepositoryQuery): Promise<Repository[]> {
    const filter: Filter<RecordDoc> = { c: 'p', kx: keyRange(q.namePrefix ?? '', q.after) };
    if (q.visibility) filter.vis = q.visibility;
    if (q.ownerId !== undefined) filter.owner = q.ownerId;
    return (await this.find(filter, { kx: 1 }, q.offset, q.limit)).map((d) => decodeRepository(d.v));
  }

  async getUser(id: string): Promise<User | undefined> {
    const doc = await this.record('u', '', id);
    return doc && decodeUser(doc.v);
  }

  async getUserBy(field: 'name' | 'email', value: string): Promise<User | undefined> {
    const [doc] = await this.find({ c: 'u', [field]: value }, { kx: 1 }, 0, 1);
    return doc && decodeUser(doc.v);
  }

  async listUsers(q: UserQuery): Promise<User[]> {
    const filter: Filter<RecordDoc> = { c: 'u', kx: keyRange(q.usernamePrefix ?? '', q.after) };
    if (q.isAdmin !== undefined) filter.admin = q.isAdmin;
    return (await this.find(filter, { kx: 1 }, q.offset, q.limit)).map((d) => decodeUser(d.v));
  }

  async getConfig(key: string): Promise<string | undefined> {
    const doc = await this.record('c', '', key);
    return doc ? (JSON.parse(doc.v) as string) : undefined;
  }

  /** Config versions in key order. */
  configRecords(range: KeyRange): Promise<RecordDoc[]> {
    return this.find({ c: 'c', g: '', kx: keyRange(range.prefix, range.after) }, { kx: 1 }, 0, range.limit);
  }

  async listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    return (await this.configRecords(range)).map((d) => [d.k, JSON.parse(d.v) as string]);
  }

  // ---- audit events: insert-once, visible from the commit that appended them ----

  private eventFilter(q: EventCountQuery): Filter<EventDoc> {
    const f: Filter<EventDoc> = { s: { $lte: this.seq } };
    if (q.userId !== undefined) f.userId = q.userId;
    if (q.action !== undefined) f.action = q.action;
    if (q.resource !== undefined) f.resource = q.resource;
    if (q.resourcePrefix !== undefined) f.rx = { $gte: hexKey(q.resourcePrefix), $lt: hexPrefixEnd(q.resourcePrefix) };
    if (q.repositoryId !== undefined) f.repositoryId = q.repositoryId;
    if (q.since !== undefined || q.until !== undefined) {
      f.ts = { ...(q.since !== undefined ? { $gte: q.since } : {}), ...(q.until !== undefined ? { $lt: q.until } : {}) };
    }
    return f;
  }

  async queryEvents(q: EventQuery): Promise<AuditEvent[]> {
    if (q.limit <= 0) return [];
    const filter = this.eventFilter(q);
    const dir = q.order === 'desc' ? -1 : 1;
    if (q.after) {
      const op = dir === 1 ? '$gt' : '$lt';
      const ix = hexKey(q.after.id);
      filter.$or = [{ ts: { [op]: q.after.timestamp } }, { ts: q.after.timestamp, ix: { [op]: ix } }];
    }
    const docs = await this.c.events.find(filter, { sort: { ts: dir, ix: dir }, skip: q.offset, limit: q.limit }).toArray();
    return docs.map(decodeEvent);
  }

  async countEvents(q: EventCountQuery): Promise<number> {
    return this.c.events.countDocuments(this.eventFilter(q));
  }

  async eventExists(id: string): Promise<boolean> {
    return (await this.c.events.countDocuments({ _id: id }, { limit: 1 })) > 0;
  }
}
