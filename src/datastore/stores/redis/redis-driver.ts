/**
 * The Redis store, standalone or Cluster.
 *
 * What a write guarantees: every op except object puts and deletes runs in one
 * Lua script on the control slot `{prefix}` — atomic, all or nothing, with
 * compare-and-swap and uniqueness checked inside it. Objects live in other
 * slots, so write() stores new objects first, then runs the script, then
 * deletes objects: a write that fails after its objects were stored leaves
 * only unreferenced, content-addressed objects behind (harmless; a later put
 * of the same content is a no-op), and entries of the dependents index that
 * name more than they should (harmless, see dependents.ts), never a ref or record.
 */
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
import type { AuditEvent, Capabilities, JsonObject, ObjectEntry, ObjectStat, Ref, Repository, User } from '../../types.js';
import { connect, makeClient, type Client } from './connection.js';
import { translateError } from './errors.js';
import { checkPersistence, readPersistence, type Persistence } from './persistence.js';
import { runOnSlot } from './replication.js';
import { encodeControlOp, isControlOp, scriptError } from './control-ops.js';
import { RedisFeatures, type AuditStreamEntry } from './features.js';
import { RetentionPasses, type ChangeLog, type HasChangeLog } from '../../change-log.js';
import { RedisChangeLog } from './change-log.js';
import { MAX_HEADER } from './entry-value.js';
import { RedisKeys } from './keys.js';
import { RedisMetadata } from './metadata.js';
import { netObjectOps } from './net-object-ops.js';
import { RedisObjects } from './objects.js';
import type { RedisSettings } from './settings.js';

interface Live {
  client: Client;
  objects: RedisObjects;
  metadata: RedisMetadata;
  features: RedisFeatures;
}

/** Redis refuses bulk strings above proto-max-bulk-len (512 MB by default); the entry header takes up to MAX_HEADER bytes. */
const MAX_OBJECT = 512 * 1024 * 1024 - MAX_HEADER - 1;

export class RedisDriver implements StoreDriver, ChangeFeed, HasChangeLog {
  readonly type = 'redis';
  readonly capabilities: Capabilities;
  readonly keys: RedisKeys;
  private client: Client | undefined;
  private parts: { objects: RedisObjects; metadata: RedisMetadata; features: RedisFeatures } | undefined;
  private persistence: Persistence | Error | undefined;
  private log: RedisChangeLog | undefined;
  /** The change log's retention, run by this store's writes (change-log.ts). */
  private readonly retention: RetentionPasses;

  constructor(readonly settings: RedisSettings) {
    this.keys = new RedisKeys(settings.prefix);
    this.retention = new RetentionPasses(settings.changeLogRetentionMs, () => (this.client ? this.changeLog().enforceRetention() : undefined));
    // Refined by open() from the servers' AOF settings.
    this.capabilities = {
      transactions: true,
      isolationLevels: ['read-committed'],
      persistent: false,
      durable: false,
      multiProcess: true,
      maxObjectSize: MAX_OBJECT,
      changeEvents: true,
      ttl: true,
    };
  }

  async open(): Promise<void> {
    const client = makeClient(this.settings);
    await connect(client, this.settings);
    try {
      this.persistence = await readPersistence(client);
      checkPersistence(this.settings, this.persistence);
    } catch (err) {
      client.disconnect();
      throw err;
    }
    const p = this.persistence;
    // Persistent: data survives a restart of redis (AOF). Durable: also the last
    // acknowledged write survives a crash of redis (fsync on every write). A crash
    // of this client process never loses an acknowledged write either way.
    this.capabilities.persistent = !(p instanceof Error) && p.aof;
    this.capabilities.durable = !(p instanceof Error) && p.fsyncAlways;
    this.client = client;
    this.parts = {
      objects: new RedisObjects(client, this.keys, this.settings),
      metadata: new RedisMetadata(client, this.keys),
      features: new RedisFeatures(client, this.keys),
    };
  }

  async close(): Promise<void> {
    const client = this.client;
    this.parts?.features.closeSubscribers();
    await this.retention.settle();
    this.log?.close();
    this.log = undefined;
    this.client = undefined;
    this.parts = undefined;
    if (!client) return;
    // QUIT waits for a reply: only ask a connection that is up.
    if (client.status === 'ready') await client.quit().catch(() => undefined);
    client.disconnect();
  }

  private get live(): Live {
    if (!this.client || !this.parts) throw new ClosedError('redis store is not open');
    return { client: this.client, ...this.parts };
  }

  /** Runs fn on the open store, turning ioredis errors into store errors (ConnectionError, CapacityError). */
  private async guard<T>(fn: (live: Live) => Promise<T>): Promise<T> {
    try {
      return await fn(this.live);
    } catch (err) {
      throw translateError(err, this.settings);
    }
  }

  async ping(): Promise<Record<string, unknown>> {
    await this.guard((l) => l.client.ping());
    const p = this.persistence;
    return {
      mode: this.settings.mode,
      cluster: this.settings.cluster,
      prefix: this.settings.prefix,
      waitReplicas: this.settings.waitReplicas,
      persistence: p instanceof Error ? `unknown (${p.message})` : p?.nodes,
    };
  }

  async stats(): Promise<DriverStats> {
    return this.guard((l) => l.objects.stats());
  }

  // ---- the one write ----

  async write(ops: WriteOp[]): Promise<void> {
    await this.guard((live) => this.apply(live, ops));
    this.retention.afterWrite();
  }

  private async apply({ client, objects }: Live, ops: WriteOp[]): Promise<void> {
    const { puts, deletes } = netObjectOps(ops);
    const control = ops.filter(isControlOp).map(encodeControlOp);
    // objects are in other slots: logged (while followed) by the script that runs after they are stored, or deleted
    const run = async (control: unknown[], objectChanges: string[]) => {
      const [reply] = await runOnSlot(client, this.settings, (p) =>
        p.govcApply(this.keys.controlRoute, this.keys.control, JSON.stringify(control), this.settings.auditStreamMaxLen, this.keys.changesChannel, JSON.stringify(objectChanges.map((id) => ['o', id]))),
      );
      if (reply) throw scriptError(reply as string);
    };

    if (puts.length > 0) await objects.put(puts);
    if (control.length > 0 || puts.length > 0) await run(control, puts.map((p) => p.entry.id));
    if (deletes.length > 0) {
      await objects.delete(deletes);
      await run([], deletes);
    }
  }

  // ---- reads ----
  getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    return this.guard((l) => l.objects.getEntries(ids));
  }
  hasObjects(ids: string[]): Promise<boolean[]> {
    return this.guard((l) => l.objects.has(ids));
  }
  statObject(id: string): Promise<ObjectStat | undefined> {
    return this.guard((l) => l.objects.stat(id));
  }
  listObjectIds(range: KeyRange): Promise<string[]> {
    return this.guard((l) => l.objects.list(range));
  }
  listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    return this.guard((l) => l.objects.dependents.list(baseId, range));
  }
  getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    return this.guard((l) => l.metadata.getRef(repositoryId, name));
  }
  listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    return this.guard((l) => l.metadata.listRefs(repositoryId, range));
  }
  getRepository(id: string): Promise<Repository | undefined> {
    return this.guard((l) => l.metadata.getRepository(id));
  }
  getRepositoryByName(name: string): Promise<Repository | undefined> {
    return this.guard((l) => l.metadata.getRepositoryByName(name));
  }
  listRepositories(query: RepositoryQuery): Promise<Repository[]> {
    return this.guard((l) => l.metadata.listRepositories(query));
  }
  getUser(id: string): Promise<User | undefined> {
    return this.guard((l) => l.metadata.getUser(id));
  }
  getUserByUsername(username: string): Promise<User | undefined> {
    return this.guard((l) => l.metadata.getUserByUsername(username));
  }
  getUserByEmail(email: string): Promise<User | undefined> {
    return this.guard((l) => l.metadata.getUserByEmail(email));
  }
  listUsers(query: UserQuery): Promise<User[]> {
    return this.guard((l) => l.metadata.listUsers(query));
  }
  queryEvents(query: EventQuery): Promise<AuditEvent[]> {
    return this.guard((l) => l.metadata.queryEvents(query));
  }
  countEvents(query: EventCountQuery): Promise<number> {
    return this.guard((l) => l.metadata.countEvents(query));
  }
  getConfig(key: string): Promise<string | undefined> {
    return this.guard((l) => l.metadata.getConfig(key));
  }
  listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    return this.guard((l) => l.metadata.listConfig(range));
  }

  // ---- Redis features: the change log, TTL keys, statistics, the audit stream, change events ----
  changeLog(): ChangeLog {
    this.log ??= new RedisChangeLog(this.live.client, this.keys, (fn) => this.guard(fn), () => makeClient(this.settings), this.settings.changeLogRetentionMs);
    return this.log;
  }
  subscribe(listener: ChangeListener): Promise<() => Promise<void>> {
    return this.guard((l) => l.features.subscribe(listener));
  }
  setCache(key: string, value: string | Buffer, ttlMs: number): Promise<void> {
    return this.guard((l) => l.features.setCache(key, value, ttlMs));
  }
  getCache(key: string): Promise<Buffer | undefined> {
    return this.guard((l) => l.features.getCache(key));
  }
  deleteCache(key: string): Promise<void> {
    return this.guard((l) => l.features.deleteCache(key));
  }
  setSession(id: string, data: JsonObject, ttlMs: number): Promise<void> {
    return this.guard((l) => l.features.setSession(id, data, ttlMs));
  }
  getSession(id: string): Promise<JsonObject | undefined> {
    return this.guard((l) => l.features.getSession(id));
  }
  touchSession(id: string, ttlMs: number): Promise<boolean> {
    return this.guard((l) => l.features.touchSession(id, ttlMs));
  }
  deleteSession(id: string): Promise<void> {
    return this.guard((l) => l.features.deleteSession(id));
  }
  sessionTtlMs(id: string): Promise<number | undefined> {
    return this.guard((l) => l.features.sessionTtlMs(id));
  }
  distinctUsers(repositoryId: string): Promise<number> {
    return this.guard((l) => l.features.distinctUsers(repositoryId));
  }
  mostActiveRepositories(limit?: number): Promise<Array<{ repositoryId: string; refUpdates: number }>> {
    return this.guard((l) => l.features.mostActiveRepositories(limit));
  }
  readAuditStream(options?: { after?: string; count?: number }): Promise<AuditStreamEntry[]> {
    return this.guard((l) => l.features.readAuditStream(options));
  }
}
