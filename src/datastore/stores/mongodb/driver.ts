/**
 * The mongodb store: the official driver over collections of object entries
 * (GridFS above a document's size), versioned records (refs, repositories,
 * users, config) and audit events, with every write ordered by the commit
 * log (commit-log.ts), which keeps compare-and-swap and multi-op atomicity
 * correct on servers that are not atomic across connections (FerretDB).
 */
import { MongoClient } from 'mongodb';
import type {
  ChangeFeed,
  ChangeListener,
  DriverStats,
  EventCountQuery,
  EventQuery,
  KeyRange,
  RepositoryQuery,
  StoreDriver,
  UserQuery,
  WriteOp,
} from '../../driver.js';
import { ClosedError } from '../../errors.js';
import type { AuditEvent, Capabilities, ObjectEntry, ObjectStat, Ref, Repository, User } from '../../types.js';
import * as analytics from './analytics.js';
import { subscribeToLog } from './change-feed.js';
import { collections, prepare, storedLayout, type Collections } from './collections.js';
import { CommitLog } from './commit-log.js';
import { translateError } from './errors.js';
import * as objects from './objects.js';
import { Planner, planObjects } from './planner.js';
import { detectFeatures, type ServerFeatures } from './server-features.js';
import type { MongoSettings } from './settings.js';
import { CURRENT, decodeRef, decodeRepository, decodeUser, type RecordDoc, type RecordKind } from './records.js';
import { Snapshot } from './snapshot.js';

interface Live {
  client: MongoClient;
  c: Collections;
  log: CommitLog;
  features: ServerFeatures;
}

export class MongoDriver implements StoreDriver, ChangeFeed {
  readonly type = 'mongodb';
  readonly capabilities: Capabilities;
  private current: Live | undefined;

  constructor(readonly settings: MongoSettings) {
    this.capabilities = {
      // Buffered transactions replayed through the atomic commit log (read committed), on every server.
      transactions: true,
      isolationLevels: ['read-committed'],
      persistent: true,
      durable: true,
      multiProcess: true,
      maxObjectSize: settings.maxObjectSize,
      // From the commit log, on every server.
      changeEvents: true,
      // No expiring keys in this store.
      ttl: false,
    };
  }

  async open(): Promise<void> {
    const client = new MongoClient(this.settings.url, { ...this.settings.client, monitorCommands: Boolean(process.env.GOVC_MONGO_COUNT_COMMANDS) });
    try {
      if (process.env.GOVC_MONGO_COUNT_COMMANDS) {
        const counts: Record<string, number> = {};
        client.on('commandStarted', (e) => (counts[e.commandName] = (counts[e.commandName] ?? 0) + 1));
        process.on('exit', () => console.error(JSON.stringify(counts)));
      }
      await client.connect();
      const db = client.db(this.settings.database);
      const features = await detectFeatures(db);
      const layout = (await storedLayout(db)) ?? { shardDigits: this.settings.shardDigits ?? (features.ferretdb !== null ? 2 : 0) };
      const c = collections(db, layout, features.ferretdb === null);
      await prepare(c);
      this.current = { client, c, log: new CommitLog(c, this.settings.retentionMs), features };
    } catch (err) {
      await client.close().catch(() => undefined);
      throw translateError(err, this.settings.url);
    }
  }

  async close(): Promise<void> {
    const live = this.current;
    this.current = undefined;
    await live?.client.close();
  }

  private get live(): Live {
    if (!this.current) throw new ClosedError('the mongodb store is closed');
    return this.current;
  }

  /** The server's features as detected at open. */
  get features(): ServerFeatures {
    return this.live.features;
  }

  /** The collections, for analytics and tests. */
  get collections(): Collections {
    return this.live.c;
  }

  private async guard<T>(fn: (live: Live) => Promise<T>): Promise<T> {
    try {
      return await fn(this.live);
    } catch (err) {
      throw translateError(err, this.settings.url);
    }
  }

  private read<T>(fn: (snap: Snapshot) => Promise<T>): Promise<T> {
    return this.guard(async (l) => fn(new Snapshot(l.c, await l.log.snapshot())));
  }

  async ping(): Promise<Record<string, unknown>> {
    return this.guard(async (l) => {
      await l.c.db.command({ ping: 1 });
      return { database: this.settings.database, layout: l.c.layout, ...l.features };
    });
  }

  async stats(): Promise<DriverStats> {
    return this.guard(async (l) => {
      const { count, bytes } = await objects.countObjects(l.c);
      return { objectCount: count, storageBytes: bytes };
    });
  }

  // ---- the one write ----

  write(ops: WriteOp[]): Promise<void> {
    return this.guard(async (l) => {
      const { objects: objectPlan, rest } = planObjects(ops);
      const deleted = [...objectPlan].filter(([, v]) => v === null).map(([id]) => id);
      const puts = [...objectPlan.values()].filter((v) => v !== null);
      // Objects only: write-once by id, nothing to order against other writes.
      if (rest.length === 0 && deleted.length === 0) return objects.putObjects(l.c, puts, this.settings.gridfsThreshold);
      let stored = puts.length === 0;
      await l.log.commit(async (seq) => {
        const planner = new Planner(new Snapshot(l.c, seq));
        await planner.apply(rest);
        // Objects are stored once the checks pass, before the commit that refs them.
        if (!stored) {
          await objects.putObjects(l.c, puts, this.settings.gridfsThreshold);
          stored = true;
        }
        return planner.mutations(deleted);
      });
    });
  }

  // ---- analytics: aggregation pipelines on the server (see analytics.ts) ----

  objectsByType(): Promise<Record<'blob' | 'tree' | 'commit' | 'tag', number>> {
    return this.guard((l) => analytics.objectsByType(l.c, l.features));
  }
  eventsByAction(repositoryId?: string): Promise<Map<string, number>> {
    return this.guard(async (l) => analytics.eventsByAction(l.c, l.features, await l.log.snapshot(), repositoryId));
  }
  refsByKind(repositoryId: string): Promise<Map<string, number>> {
    return this.guard(async (l) => analytics.refsByKind(l.c, l.features, await l.log.snapshot(), repositoryId));
  }

  subscribe(listener: ChangeListener): Promise<() => Promise<void>> {
    return this.guard((l) => subscribeToLog(l.log, listener, this.settings.pollMs));
  }

  // ---- objects ----

  getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    return this.guard((l) => objects.getEntries(l.c, ids));
  }
  hasObjects(ids: string[]): Promise<boolean[]> {
    return this.guard((l) => objects.hasObjects(l.c, ids));
  }
  statObject(id: string): Promise<ObjectStat | undefined> {
    return this.guard((l) => objects.statObject(l.c, id));
  }
  listObjectIds(range: KeyRange): Promise<string[]> {
    return this.guard((l) => objects.listObjectIds(l.c, range));
  }
  listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    return this.guard((l) => objects.listDependents(l.c, baseId, range));
  }

  // ---- records and events, at one snapshot per call ----

  /**
   * One record by key, in one query: the newest current version. A single
   * record needs no snapshot (its versions are ordered by their commits);
   * lists and lookups by name take one.
   */
  private latest(c: RecordKind, g: string, k: string): Promise<RecordDoc | undefined> {
    return this.guard(async (l) => {
      const docs = await l.c.records.find({ c, g, k, sup: CURRENT }).toArray();
      return docs.reduce<RecordDoc | undefined>((a, b) => (a && a.s > b.s ? a : b), undefined);
    });
  }

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    const doc = await this.latest('r', repositoryId, name);
    return doc && decodeRef(name, doc.v);
  }
  listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    return this.read((s) => s.listRefs(repositoryId, range));
  }
  async getRepository(id: string): Promise<Repository | undefined> {
    const doc = await this.latest('p', '', id);
    return doc && decodeRepository(doc.v);
  }
  getRepositoryByName(name: string): Promise<Repository | undefined> {
    return this.read((s) => s.getRepositoryByName(name));
  }
  listRepositories(query: RepositoryQuery): Promise<Repository[]> {
    return this.read((s) => s.listRepositories(query));
  }
  async getUser(id: string): Promise<User | undefined> {
    const doc = await this.latest('u', '', id);
    return doc && decodeUser(doc.v);
  }
  getUserByUsername(username: string): Promise<User | undefined> {
    return this.read((s) => s.getUserBy('name', username));
  }
  getUserByEmail(email: string): Promise<User | undefined> {
    return this.read((s) => s.getUserBy('email', email));
  }
  listUsers(query: UserQuery): Promise<User[]> {
    return this.read((s) => s.listUsers(query));
  }
  queryEvents(query: EventQuery): Promise<AuditEvent[]> {
    return this.read((s) => s.queryEvents(query));
  }
  countEvents(query: EventCountQuery): Promise<number> {
    return this.read((s) => s.countEvents(query));
  }
  async getConfig(key: string): Promise<string | undefined> {
    const doc = await this.latest('c', '', key);
    return doc ? (JSON.parse(doc.v) as string) : undefined;
  }
  listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    return this.read((s) => s.listConfig(range));
  }
}
