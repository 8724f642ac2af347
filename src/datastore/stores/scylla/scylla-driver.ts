/**
 * The ScyllaDB / Apache Cassandra store over CQL (cassandra-driver). The data
 * model is in schema.ts, what a write guarantees in writer.ts.
 */
import type { DriverStats, EventCountQuery, EventQuery, KeyRange, RepositoryQuery, StoreDriver, UserQuery, WriteOp } from '../../driver.js';
import { ClosedError, ConfigError } from '../../errors.js';
import { matchesRepository, matchesUser } from '../../filters.js';
import type { AuditEvent, Capabilities, ObjectEntry, ObjectStat, Ref, Repository, User } from '../../types.js';
import { Claims } from './claims.js';
import { ScyllaConfig } from './config-table.js';
import { ScyllaEvents } from './events.js';
import { Listing } from './listing.js';
import { ScyllaObjects } from './objects.js';
import { ClaimedRecords } from './records.js';
import { REPOSITORY_SHAPE, RepositoryTable } from './repositories.js';
import { createKeyspace, SCHEMA_VERSION, TABLES } from './schema.js';
import { acksFor, Session } from './session.js';
import type { ScyllaSettings } from './settings.js';
import { USER_SHAPE, UserTable } from './users.js';
import { ScyllaWriter, type WriterParts } from './writer.js';

interface Live extends WriterParts {
  writer: ScyllaWriter;
}

/** Entries are kept in 1 MiB chunks; the DataStore holds a whole object in memory. */
const MAX_OBJECT = 1024 * 1024 * 1024;

export class ScyllaDriver implements StoreDriver {
  readonly type = 'scylla';
  readonly capabilities: Capabilities = {
    // Buffered transactions over write(): see writer.ts for what a commit guarantees.
    transactions: true,
    isolationLevels: ['read-committed'],
    persistent: true,
    // Refined by open() from the commit log sync mode and the replication.
    durable: false,
    multiProcess: true,
    maxObjectSize: MAX_OBJECT,
    changeEvents: false,
    ttl: false,
  };
  private parts: Live | undefined;
  private details: Record<string, unknown> = {};

  constructor(readonly settings: ScyllaSettings) {}

  async open(): Promise<void> {
    const session = new Session(this.settings);
    await session.connect();
    try {
      const shardChars = await this.prepareSchema(session);
      const claims = new Claims(session);
      const listing = new Listing(session);
      const repositoryTable = new RepositoryTable(session);
      const parts: WriterParts = {
        session,
        objects: new ScyllaObjects(session, shardChars),
        repositoryTable,
        repositories: new ClaimedRecords(repositoryTable, REPOSITORY_SHAPE, claims, listing),
        users: new ClaimedRecords(new UserTable(session), USER_SHAPE, claims, listing),
        events: new ScyllaEvents(session, claims),
        config: new ScyllaConfig(session),
      };
      this.parts = { ...parts, writer: new ScyllaWriter(parts, this) };
      await this.readDurability(session);
    } catch (err) {
      this.parts = undefined;
      await session.shutdown().catch(() => undefined);
      throw err;
    }
  }

  /** Creates keyspace and tables when asked; records (or checks) the object shard width. */
  private async prepareSchema(session: Session): Promise<number> {
    const { keyspace, namespace } = this.settings;
    if (this.settings.createSchema) {
      await session.run(createKeyspace(this.settings));
      for (const table of TABLES) await session.run(table.replace('IF NOT EXISTS ', `IF NOT EXISTS ${keyspace}.`));
    }
    await session.client.execute(`USE ${keyspace}`);
    const read = async () => (await session.run('SELECT key, value FROM meta WHERE ns = ?', [namespace])).rows;
    let meta = new Map((await read()).map((r) => [r.key as string, r.value as string]));
    if (!meta.has('object_shards')) {
      await session.lwt([{ query: 'INSERT INTO meta (ns, key, value) VALUES (?, ?, ?) IF NOT EXISTS', params: [namespace, 'object_shards', String(this.settings.objectShardChars)] }]);
      await session.run('INSERT INTO meta (ns, key, value) VALUES (?, ?, ?)', [namespace, 'schema_version', SCHEMA_VERSION]);
      meta = new Map((await read()).map((r) => [r.key as string, r.value as string]));
    }
    const stored = Number(meta.get('object_shards'));
    if (stored !== this.settings.objectShardChars) {
      throw new ConfigError(`scylla namespace ${namespace} was created with object_shards=${stored}; open it with that value (it cannot change)`, { key: 'object_shards' });
    }
    return stored;
  }

  /**
   * Durable (an acknowledged write survives a node crash) when the commit log
   * is synced before acknowledging (batch or group), or when each write waits
   * for at least two replicas.
   */
  private async readDurability(session: Session): Promise<void> {
    let sync = 'unknown';
    try {
      sync = String((await session.run("SELECT value FROM system_views.settings WHERE name = 'commitlog_sync'")).rows[0]?.value ?? 'unknown');
    } catch {
      // ScyllaDB has no system_views.settings: count replicas only.
    }
    const ks = session.client.metadata.keyspaces[this.settings.keyspace] as { strategyOptions?: Record<string, string> } | undefined;
    const factors = Object.entries(ks?.strategyOptions ?? {}).filter(([k]) => k !== 'class').map(([, v]) => Number(v));
    const rf = Math.max(1, ...factors.filter(Number.isFinite));
    const acks = acksFor(this.settings.consistency, rf);
    this.capabilities.durable = sync === 'batch' || sync === 'group' || acks >= 2;
    const release = (await session.run('SELECT release_version FROM system.local')).rows[0]?.release_version;
    this.details = { release, commitlogSync: sync, replicationFactor: rf, consistency: this.settings.consistency, acksPerWrite: acks };
  }

  async close(): Promise<void> {
    const parts = this.parts;
    this.parts = undefined;
    await parts?.session.shutdown();
  }

  private get live(): Live {
    if (!this.parts) throw new ClosedError('scylla store is not open');
    return this.parts;
  }

  write(ops: WriteOp[]): Promise<void> {
    return this.live.writer.write(ops);
  }

  async ping(): Promise<Record<string, unknown>> {
    const { session } = this.live;
    await session.run('SELECT now() FROM system.local');
    return { ...this.details, keyspace: this.settings.keyspace, namespace: this.settings.namespace, hosts: session.client.hosts.length };
  }

  stats(): Promise<DriverStats> {
    return this.live.objects.stats();
  }

  getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    return this.live.objects.getEntries(ids);
  }
  hasObjects(ids: string[]): Promise<boolean[]> {
    return this.live.objects.hasObjects(ids);
  }
  statObject(id: string): Promise<ObjectStat | undefined> {
    return this.live.objects.statObject(id);
  }
  listObjectIds(range: KeyRange): Promise<string[]> {
    return this.live.objects.listObjectIds(range);
  }
  listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    return this.live.objects.listDependents(baseId, range);
  }
  getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    return this.live.repositoryTable.getRef(repositoryId, name);
  }
  listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    return this.live.repositoryTable.listRefs(repositoryId, range);
  }
  async getRepository(id: string): Promise<Repository | undefined> {
    return (await this.live.repositories.get(id))?.record;
  }
  getRepositoryByName(name: string): Promise<Repository | undefined> {
    return this.live.repositories.byUnique('repo-name', name);
  }
  listRepositories(q: RepositoryQuery): Promise<Repository[]> {
    return this.live.repositories.list(q.namePrefix ?? '', q.after, q.offset, q.limit, (r) => matchesRepository(r, q));
  }
  async getUser(id: string): Promise<User | undefined> {
    return (await this.live.users.get(id))?.record;
  }
  getUserByUsername(username: string): Promise<User | undefined> {
    return this.live.users.byUnique('username', username);
  }
  getUserByEmail(email: string): Promise<User | undefined> {
    return this.live.users.byUnique('email', email);
  }
  listUsers(q: UserQuery): Promise<User[]> {
    return this.live.users.list(q.usernamePrefix ?? '', q.after, q.offset, q.limit, (u) => matchesUser(u, q));
  }
  queryEvents(q: EventQuery): Promise<AuditEvent[]> {
    return this.live.events.query(q);
  }
  countEvents(q: EventCountQuery): Promise<number> {
    return this.live.events.count(q);
  }
  getConfig(key: string): Promise<string | undefined> {
    return this.live.config.get(key);
  }
  listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    return this.live.config.list(range);
  }
}
