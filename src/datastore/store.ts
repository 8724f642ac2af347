/** The public face of every store: lifecycle, health, metrics and transactions over a driver. */
import { BufferedTransaction } from './buffered-transaction.js';
import type { ChangeFeed, ChangeListener, DriverReader, DriverTransaction, StoreDriver, WriteOp } from './driver.js';
import { ClosedError, UnsupportedError } from './errors.js';
import { OperationMetrics } from './metrics.js';
import { EntryResolver } from './objects/resolve.js';
import { Operations } from './operations.js';
import type { Capabilities, HealthStatus, Metrics, ObjectFormat, TransactionOptions } from './types.js';

export interface DataStoreOptions {
  objectFormat?: ObjectFormat;
  /** Bytes of built objects (delta bases above all) kept in memory. Default 32 MiB. */
  objectCacheBytes?: number;
}

type State = 'new' | 'open' | 'closed';

export class DataStore extends Operations {
  readonly driver: StoreDriver;
  private state: State = 'new';

  constructor(driver: StoreDriver, options: DataStoreOptions = {}) {
    const format = options.objectFormat ?? 'sha1';
    super(format, new OperationMetrics(), new EntryResolver(format, options.objectCacheBytes));
    this.driver = driver;
  }

  get type(): string {
    return this.driver.type;
  }

  get capabilities(): Capabilities {
    return this.driver.capabilities;
  }

  get objectFormat(): ObjectFormat {
    return this.format;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  async open(): Promise<this> {
    if (this.state === 'closed') throw new ClosedError(`${this.type} store was closed; create a new one`);
    if (this.state === 'new') {
      await this.driver.open();
      this.state = 'open';
    }
    return this;
  }

  async close(): Promise<void> {
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    await this.driver.close();
  }

  protected reader(): DriverReader {
    if (this.state !== 'open') throw new ClosedError(`${this.type} store is ${this.state === 'new' ? 'not open yet; call open()' : 'closed'}`);
    return this.driver;
  }

  protected apply(ops: WriteOp[]): Promise<void> {
    return this.driver.write(ops);
  }

  async healthCheck(): Promise<HealthStatus> {
    const start = performance.now();
    try {
      this.reader();
      const details = await this.driver.ping();
      return { healthy: true, latencyMs: performance.now() - start, details: { type: this.type, ...details } };
    } catch (err) {
      return { healthy: false, latencyMs: performance.now() - start, details: { type: this.type }, error: (err as Error).message };
    }
  }

  async metrics(): Promise<Metrics> {
    const { objectCount, storageBytes, cache } = await this.driver.stats();
    return {
      reads: this.stats.reads,
      writes: this.stats.writes,
      deletes: this.stats.deletes,
      errors: this.stats.errors,
      latency: this.stats.latency.summary(),
      objectCount,
      storageBytes,
      uptimeMs: Date.now() - this.stats.startedAt,
      ...(cache ? { cache } : {}),
    };
  }

  async begin(options: TransactionOptions = {}): Promise<Transaction> {
    this.reader();
    const caps = this.capabilities;
    if (!caps.transactions) throw new UnsupportedError(`${this.type} store does not support transactions`);
    const isolation = options.isolation ?? caps.isolationLevels[0];
    if (!caps.isolationLevels.includes(isolation)) {
      throw new UnsupportedError(`${this.type} store supports isolation ${caps.isolationLevels.join(', ')}; not ${isolation}`);
    }
    const tx = await beginDriverTransaction(this.driver, { isolation, readOnly: options.readOnly ?? false });
    return new Transaction(tx, this.format, this.stats, this.resolver);
  }

  /** Runs `fn` in a transaction: commits when it returns, rolls back when it throws. */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const tx = await this.begin(options);
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      if (tx.isActive) await tx.rollback();
      throw err;
    }
    if (tx.isActive) await tx.commit();
    return result;
  }

  /** Ref changes and audit events from any process, where the store supports it. */
  async subscribe(listener: ChangeListener): Promise<() => Promise<void>> {
    this.reader();
    const feed = this.driver as Partial<ChangeFeed>;
    if (!this.capabilities.changeEvents || typeof feed.subscribe !== 'function') {
      throw new UnsupportedError(`${this.type} store does not publish change events`);
    }
    return feed.subscribe(listener);
  }
}

/** The driver's native transaction, or a BufferedTransaction over write() for drivers without one. */
export async function beginDriverTransaction(driver: StoreDriver, options: Required<TransactionOptions>): Promise<DriverTransaction> {
  return driver.begin ? driver.begin(options) : new BufferedTransaction(driver, options.readOnly);
}

export class Transaction extends Operations {
  private state: 'active' | 'committed' | 'rolled back' = 'active';

  constructor(
    private readonly tx: DriverTransaction,
    format: ObjectFormat,
    stats: OperationMetrics,
    resolver: EntryResolver,
  ) {
    super(format, stats, resolver);
  }

  get isActive(): boolean {
    return this.state === 'active';
  }

  protected reader(): DriverReader {
    if (this.state !== 'active') throw new ClosedError(`transaction is already ${this.state}`);
    return this.tx;
  }

  protected apply(ops: WriteOp[]): Promise<void> {
    return this.tx.write(ops);
  }

  async commit(): Promise<void> {
    this.reader();
    this.state = 'committed';
    try {
      await this.stats.track('write', 1, () => this.tx.commit());
    } catch (err) {
      await this.tx.rollback().catch(() => undefined);
      throw err;
    }
  }

  async rollback(): Promise<void> {
    this.reader();
    this.state = 'rolled back';
    await this.tx.rollback();
  }
}
