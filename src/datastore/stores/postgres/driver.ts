/**
 * The PostgreSQL store: a pg pool, the versioned schema, prepared statements,
 * atomic batches, native transactions, LISTEN/NOTIFY change events, advisory
 * locks and a statistics view. Dialect-specific SQL comes from a Dialect, so
 * CockroachDB reuses all of it.
 */
import pg from 'pg';
import type { PoolClient } from 'pg';
import type { ChangeFeed, ChangeListener, DriverStats, DriverTransaction, StoreDriver, WriteOp } from '../../driver.js';
import type { CommitIndexOp } from '../../commit-index/types.js';
import { ClosedError, ConfigError, UnsupportedError } from '../../errors.js';
import type { Capabilities, TransactionOptions } from '../../types.js';
import { RetentionPasses, type ChangeLog, type HasChangeLog } from '../../change-log.js';
import { PgChangeFeed } from './change-feed.js';
import { PgChangeLog } from './change-log.js';
import type { StoreContext } from './context.js';
import type { Dialect } from './dialect.js';
import { isRetryable, mapPgError } from './errors.js';
import { executorFor, type Executor } from './executor.js';
import { runWithRepositoryLock, type LockOptions } from './locks.js';
import { migrate } from './migrate.js';
import { channelName, NOTICE_SQL, sendNotices } from './notices.js';
import { PgReader } from './reader.js';
import { SCHEMA_VERSION } from './schema.js';
import { describeTarget, type PostgresSettings } from './settings.js';
import { readStatistics, type RepositoryStatistics } from './statistics.js';
import { PgTransaction } from './transaction.js';
import { OpWriter, writeStatements } from './writer.js';

/** Ops that are one statement on their own, so need no BEGIN/COMMIT round trips. */
function isSingleStatement(ops: Array<WriteOp | CommitIndexOp>): boolean {
  if (ops.length !== 1) return false;
  const op = ops[0];
  switch (op.op) {
    case 'putObject':
    case 'deleteObject':
    case 'deleteRepository':
    case 'deleteUser':
    case 'setConfig':
    case 'deleteConfigPrefix':
      return true;
    case 'putRepository':
    case 'putUser':
      return op.mode !== 'update' && op.ifVersion === undefined;
    default:
      return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function closedExecutor(type: string): Executor {
  return {
    query: () => Promise.reject(new ClosedError(`${type} store is not open`)),
    copyOut: () => Promise.reject(new ClosedError(`${type} store is not open`)),
  };
}

export class PostgresDriver extends PgReader implements StoreDriver, ChangeFeed, HasChangeLog {
  readonly type: string;
  readonly capabilities: Capabilities;
  private readonly ctx: StoreContext;
  private pool: pg.Pool | undefined;
  private feed: PgChangeFeed | undefined;
  private log: PgChangeLog | undefined;
  /** The change log's retention, run by this store's writes (change-log.ts). */
  private readonly retention: RetentionPasses;
  private readonly transactions = new Set<PgTransaction>();
  private readonly target: string;
  /** Batches re-run after a serialization failure or deadlock, since open. */
  private retries = 0;

  constructor(
    readonly settings: PostgresSettings,
    readonly dialect: Dialect,
  ) {
    super(closedExecutor(dialect.type), dialect.copy);
    this.type = dialect.type;
    this.target = describeTarget(settings);
    this.retention = new RetentionPasses(settings.changeLogRetentionMs, () => (this.pool ? this.changeLog()?.enforceRetention() : undefined));
    const mapError = (err: unknown) => mapPgError(err, dialect.product, this.target);
    this.ctx = { dialect, sql: writeStatements(dialect), channel: channelName(settings.schema), maxObjectSize: dialect.maxObjectSize, mapError };
    this.capabilities = {
      transactions: true,
      isolationLevels: [...dialect.isolationLevels],
      persistent: true,
      durable: true,
      multiProcess: true,
      maxObjectSize: dialect.maxObjectSize,
      changeEvents: dialect.notifications,
      ttl: false,
    };
  }

  private get openPool(): pg.Pool {
    if (!this.pool) throw new ClosedError(`${this.type} store is not open`);
    return this.pool;
  }

  private checkOpen(): void {
    void this.openPool;
  }

  async open(): Promise<void> {
    const pool = new pg.Pool(this.settings.pool);
    // An idle client that loses its connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    // A checked-out client whose server goes away between two queries emits 'error' too; without a
    // listener that ends the process. The next query on it fails with the error, which callers see.
    pool.on('connect', (client) => client.on('error', () => undefined));
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw this.ctx.mapError(err);
    }
    try {
      const { rows } = await client.query<{ server_encoding: string }>('SHOW server_encoding');
      const encoding = rows[0]?.server_encoding?.toUpperCase();
      if (encoding && encoding !== 'UTF8') {
        throw new ConfigError(
          `${this.dialect.product} database at ${this.target} has encoding ${encoding}; govc needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)`,
        );
      }
      if (this.dialect.durabilitySettings) {
        // Declared, never faked: a server with fsync or synchronous_commit off can lose acknowledged commits.
        const { rows } = await client.query<{ fsync: string; sc: string }>("SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc");
        this.capabilities.durable = rows[0].fsync === 'on' && rows[0].sc !== 'off';
      }
      await migrate(client, this.dialect, this.settings.schema);
      client.release();
    } catch (err) {
      client.release(true);
      await pool.end().catch(() => undefined);
      throw this.ctx.mapError(err);
    }
    this.pool = pool;
    this.exec = executorFor(pool, this.ctx.mapError);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    await this.feed?.close();
    this.feed = undefined;
    await this.retention.settle();
    await this.log?.close();
    this.log = undefined;
    for (const tx of [...this.transactions]) await tx.rollback().catch(() => undefined);
    this.pool = undefined;
    this.exec = closedExecutor(this.type);
    await pool.end();
  }

  async ping(): Promise<Record<string, unknown>> {
    const pool = this.openPool;
    const { rows } = await this.exec.query<{ version: string }>('SELECT version() AS version');
    return {
      product: this.dialect.product,
      server: rows[0].version,
      target: this.target,
      schema: this.settings.schema,
      schemaVersion: SCHEMA_VERSION,
      sslMode: this.settings.sslMode,
      poolSize: this.settings.poolSize,
      connections: pool.totalCount,
      idleConnections: pool.idleCount,
      waitingClients: pool.waitingCount,
      writeRetries: this.retries,
    };
  }

  async stats(): Promise<DriverStats> {
    // octet_length of the stored entry bytes (read from the TOAST header, not detoasted).
    const { rows } = await this.exec.query<{ n: string; bytes: string }>('SELECT count(*) AS n, coalesce(sum(octet_length(data)), 0) AS bytes FROM objects');
    return { objectCount: Number(rows[0].n), storageBytes: Number(rows[0].bytes) };
  }

  /** Applies every op or none, in one transaction; re-runs it after a serialization failure or deadlock. */
  async write(ops: Array<WriteOp | CommitIndexOp>): Promise<void> {
    await this.writeOnce(ops);
    this.retention.afterWrite();
  }

  private async writeOnce(ops: Array<WriteOp | CommitIndexOp>): Promise<void> {
    const pool = this.openPool;
    if (ops.length === 0) return;
    if (isSingleStatement(ops)) {
      const writer = new OpWriter(undefined, this.exec, this.dialect, this.ctx.sql, this.ctx.maxObjectSize);
      return this.retrying(() => writer.apply(ops));
    }
    return this.retrying(async () => {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw this.ctx.mapError(err);
      }
      const exec = executorFor(client, this.ctx.mapError);
      let broken = false;
      try {
        await exec.query(this.dialect.writeBegin);
        try {
          const writer = new OpWriter(client, exec, this.dialect, this.ctx.sql, this.ctx.maxObjectSize);
          await writer.apply(ops);
          if (this.dialect.notifications) await sendNotices(exec, this.ctx.channel, writer.notices);
          await exec.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => (broken = true));
          throw err;
        }
      } finally {
        client.release(broken);
      }
    });
  }

  private async retrying(attempt: () => Promise<void>): Promise<void> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!isRetryable(err) || n >= this.dialect.writeRetries) throw err;
        this.retries++;
        // Jittered backoff so the competing writers do not collide again at once.
        await sleep(Math.random() * 10 * 2 ** n);
      }
    }
  }

  async begin(options: Required<TransactionOptions>): Promise<DriverTransaction> {
    let client: PoolClient;
    try {
      client = await this.openPool.connect();
    } catch (err) {
      throw this.ctx.mapError(err);
    }
    const tx = await PgTransaction.begin(client, this.ctx, options, (t) => {
      this.transactions.delete(t);
      // transactions (REST writes) run the change log's retention as plain writes do
      if (!options.readOnly) this.retention.afterWrite();
    });
    this.transactions.add(tx);
    return tx;
  }

  // ---- beyond the StoreDriver contract ----

  async subscribe(listener: ChangeListener): Promise<() => Promise<void>> {
    if (!this.dialect.notifications) throw new UnsupportedError(`${this.dialect.product} has no LISTEN/NOTIFY; the ${this.type} store publishes no change events`);
    this.checkOpen();
    this.feed ??= new PgChangeFeed({
      clientConfig: this.settings.pool,
      channel: this.ctx.channel,
      getEvent: (id) => this.getEvent(id),
      getParkedNotice: async (id) => (await this.exec.query<{ payload: string }>(NOTICE_SQL.fetchParked, [id])).rows[0]?.payload,
      mapError: this.ctx.mapError,
    });
    return this.feed.subscribe(listener);
  }

  /** The trigger-filled change log (not on databases without triggers and NOTIFY). */
  changeLog(): ChangeLog | undefined {
    if (!this.dialect.notifications) return undefined;
    this.checkOpen();
    this.log ??= new PgChangeLog({ pool: () => this.openPool, retentionMs: this.settings.changeLogRetentionMs, clientConfig: this.settings.pool, schema: this.settings.schema, mapError: this.ctx.mapError });
    return this.log;
  }

  /**
   * Runs `fn` while holding the repository's cross-process lock (see locks.ts).
   * With `{wait: false}` a held lock is a ConflictError instead of a wait.
   */
  withRepositoryLock<T>(repositoryId: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    return runWithRepositoryLock(this.openPool, this.dialect, this.settings.schema, repositoryId, fn, options, this.ctx.mapError);
  }

  /** Recomputes the repository_statistics materialized view. */
  async refreshStatistics(): Promise<void> {
    this.checkOpen();
    await this.exec.query(this.dialect.refreshView('repository_statistics'));
  }

  /** Statistics as of the last refreshStatistics(): one repository's, or all in name order. */
  repositoryStatistics(repositoryId?: string): Promise<RepositoryStatistics[]> {
    this.checkOpen();
    return readStatistics(this.exec, repositoryId);
  }
}
