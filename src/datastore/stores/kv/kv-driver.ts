/**
 * The whole StoreDriver over any ordered key-value engine: key schema,
 * secondary indexes, compare-and-swap and uniqueness checks run inside the
 * engine's transact(), lists as range scans. Stores add only an engine.
 */
import type {
  DriverStats,
  EventCountQuery,
  EventQuery,
  KeyRange,
  RepositoryQuery,
  StoreDriver,
  UserQuery,
  WriteOp,
} from '../../driver.js';
import { matchesRepository, matchesUser } from '../../filters.js';
import type { AuditEvent, Capabilities, ObjectEntry, ObjectStat, Ref, Repository, User } from '../../types.js';
import type { Bytes, KvEngine } from './engine.js';
import { countEvents, queryEvents } from './event-query.js';
import { NS, dependentKey, escapeComponent, key, keyPrefix, lastComponent, toBuffer } from './keys.js';
import { Overlay } from './overlay.js';
import { decodeEntryHead, decodeEntryValue } from './object-value.js';
import { decodeCounter, decodeRef, decodeRepository, decodeUser } from './records.js';
import { joinScan, prefixRange, utf8 } from './scan.js';
import { OBJECT_BYTES_KEY, OBJECT_COUNT_KEY, WritePlanner } from './write-plan.js';

export class KvDriver implements StoreDriver {
  constructor(
    readonly type: string,
    readonly capabilities: Capabilities,
    readonly engine: KvEngine,
  ) {}

  open(): Promise<void> {
    return this.engine.open();
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  async ping(): Promise<Record<string, unknown>> {
    await this.engine.get(OBJECT_COUNT_KEY);
    return { engine: this.engine.name, ...(await this.engine.describe()) };
  }

  async stats(): Promise<DriverStats> {
    const [count, bytes] = await this.engine.getMany([OBJECT_COUNT_KEY, OBJECT_BYTES_KEY]);
    return { objectCount: decodeCounter(count), storageBytes: decodeCounter(bytes) };
  }

  async write(ops: WriteOp[]): Promise<void> {
    await this.engine.transact((reader) => {
      const overlay = new Overlay(reader, this.engine.maxKeyBytes);
      new WritePlanner(overlay, this.capabilities.maxObjectSize).apply(ops);
      return { ops: overlay.ops(), result: undefined };
    });
  }

  // ---- objects ----

  async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    const values = await this.engine.getMany(ids.map((id) => key(NS.object, id)));
    const out = new Map<string, ObjectEntry>();
    ids.forEach((id, i) => {
      const v = values[i];
      if (v !== undefined) out.set(id, decodeEntryValue(v, id));
    });
    return out;
  }

  async hasObjects(ids: string[]): Promise<boolean[]> {
    const values = await this.engine.getMany(ids.map((id) => key(NS.object, id)));
    return values.map((v) => v !== undefined);
  }

  /** From the value's header; neither engine reads part of a value, so the value is read whole but its bytes are not copied. */
  async statObject(id: string): Promise<ObjectStat | undefined> {
    const v = await this.engine.get(key(NS.object, id));
    if (v === undefined) return undefined;
    const { type, size } = decodeEntryHead(v, id);
    return { id, type, size };
  }

  async listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    const prefix = keyPrefix(NS.dependent, baseId);
    const r = prefixRange(prefix, range.after === undefined ? undefined : dependentKey(baseId, range.after));
    const ids: string[] = [];
    for await (const chunk of this.engine.scan({ ...r, limit: range.limit, keysOnly: true })) {
      for (const e of chunk) ids.push(lastComponent(e.key, prefix.length));
    }
    return ids;
  }

  async listObjectIds(range: KeyRange): Promise<string[]> {
    const ns = Buffer.from(NS.object, 'latin1');
    const r = prefixRange(key(NS.object, range.prefix), range.after === undefined ? undefined : key(NS.object, range.after));
    const ids: string[] = [];
    for await (const chunk of this.engine.scan({ ...r, limit: range.limit, keysOnly: true })) {
      for (const e of chunk) ids.push(toBuffer(e.key).toString('latin1', ns.length));
    }
    return ids;
  }

  // ---- refs ----

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    const v = await this.engine.get(key(NS.ref, repositoryId, name));
    return v === undefined ? undefined : decodeRef(name, v);
  }

  async listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    const base = keyPrefix(NS.ref, repositoryId);
    const r = prefixRange(
      Buffer.concat([base, escapeComponent(range.prefix)]),
      range.after === undefined ? undefined : Buffer.concat([base, escapeComponent(range.after)]),
    );
    const refs: Ref[] = [];
    for await (const chunk of this.engine.scan({ ...r, limit: range.limit })) {
      for (const e of chunk) refs.push(decodeRef(lastComponent(e.key, base.length), e.value));
    }
    return refs;
  }

  // ---- repositories ----

  async getRepository(id: string): Promise<Repository | undefined> {
    const v = await this.engine.get(key(NS.repository, id));
    return v === undefined ? undefined : decodeRepository(v);
  }

  async getRepositoryByName(name: string): Promise<Repository | undefined> {
    const id = await this.engine.get(key(NS.repositoryName, name));
    if (id === undefined) return undefined;
    const repo = await this.getRepository(utf8(id));
    return repo?.name === name ? repo : undefined;
  }

  async listRepositories(q: RepositoryQuery): Promise<Repository[]> {
    const ns = NS.repositoryName;
    const covered = q.visibility === undefined && q.ownerId === undefined;
    return joinScan(this.engine, {
      range: prefixRange(key(ns, q.namePrefix ?? ''), q.after === undefined ? undefined : key(ns, q.after)),
      fetch: (entries) => this.fetchRecords(entries, NS.repository, decodeRepository, (r, e) => r.name === lastComponent(e.key, ns.length)),
      accept: covered ? undefined : (r) => matchesRepository(r, q),
      offset: q.offset,
      limit: q.limit,
    });
  }

  /** Records an index batch points at (values are ids), dropping any that moved meanwhile. */
  private async fetchRecords<T>(
    entries: Array<{ key: Bytes; value: Bytes }>,
    ns: string,
    decode: (v: Bytes) => T,
    stillIndexed: (record: T, entry: { key: Bytes; value: Bytes }) => boolean,
  ): Promise<Array<T | undefined>> {
    const values = await this.engine.getMany(entries.map((e) => key(ns, utf8(e.value))));
    return values.map((v, i) => {
      if (v === undefined) return undefined;
      const record = decode(v);
      return stillIndexed(record, entries[i]) ? record : undefined;
    });
  }

  // ---- users ----

  async getUser(id: string): Promise<User | undefined> {
    const v = await this.engine.get(key(NS.user, id));
    return v === undefined ? undefined : decodeUser(v);
  }

  private async userByIndex(ns: string, value: string, field: 'username' | 'email'): Promise<User | undefined> {
    const id = await this.engine.get(key(ns, value));
    if (id === undefined) return undefined;
    const user = await this.getUser(utf8(id));
    return user?.[field] === value ? user : undefined;
  }

  getUserByUsername(username: string): Promise<User | undefined> {
    return this.userByIndex(NS.username, username, 'username');
  }

  getUserByEmail(email: string): Promise<User | undefined> {
    return this.userByIndex(NS.email, email, 'email');
  }

  async listUsers(q: UserQuery): Promise<User[]> {
    const ns = NS.username;
    return joinScan(this.engine, {
      range: prefixRange(key(ns, q.usernamePrefix ?? ''), q.after === undefined ? undefined : key(ns, q.after)),
      fetch: (entries) => this.fetchRecords(entries, NS.user, decodeUser, (u, e) => u.username === lastComponent(e.key, ns.length)),
      accept: q.isAdmin === undefined ? undefined : (u) => matchesUser(u, q),
      offset: q.offset,
      limit: q.limit,
    });
  }

  // ---- events ----

  queryEvents(query: EventQuery): Promise<AuditEvent[]> {
    return queryEvents(this.engine, query);
  }

  countEvents(query: EventCountQuery): Promise<number> {
    return countEvents(this.engine, query);
  }

  // ---- config ----

  async getConfig(k: string): Promise<string | undefined> {
    const v = await this.engine.get(key(NS.config, k));
    return v === undefined ? undefined : utf8(v);
  }

  async listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    const ns = NS.config;
    const r = prefixRange(key(ns, range.prefix), range.after === undefined ? undefined : key(ns, range.after));
    const pairs: Array<[string, string]> = [];
    for await (const chunk of this.engine.scan({ ...r, limit: range.limit })) {
      for (const e of chunk) pairs.push([lastComponent(e.key, ns.length), utf8(e.value)]);
    }
    return pairs;
  }
}
