/**
 * One store for git objects and another for everything else (refs,
 * repositories, users, events, config), as the plan's Production
 * Configuration has it. There is no transaction across the two: a write
 * stores its objects first, then applies its other ops atomically in the
 * metadata store, and deletes objects last. A crash between the steps can
 * only leave objects nothing points at, which `govc datastore gc` removes.
 * Transactions are buffered (BufferedTransaction) and committed as one such
 * write: read-committed, all-or-nothing for the metadata part.
 */
import type { DriverStats, DriverTransaction, KeyRange, StoreDriver, WriteOp } from '../driver.js';
import { ForwardingDriver } from '../forwarding-driver.js';
import type { Capabilities, ObjectEntry, ObjectStat, TransactionOptions } from '../types.js';

type ObjectOp = Extract<WriteOp, { op: 'putObject' | 'deleteObject' }>;

export class HybridDriver extends ForwardingDriver {
  constructor(
    readonly objects: StoreDriver,
    readonly metadata: StoreDriver,
  ) {
    super(metadata);
  }

  override get type(): string {
    return 'hybrid';
  }

  /** What holds for the pair: the weaker of the two, objects' size limit and bulk writes, metadata's feed and TTL. */
  override get capabilities(): Capabilities {
    const o = this.objects.capabilities;
    const m = this.metadata.capabilities;
    return {
      transactions: true,
      isolationLevels: ['read-committed'],
      persistent: o.persistent && m.persistent,
      durable: o.durable && m.durable,
      multiProcess: o.multiProcess && m.multiProcess,
      maxObjectSize: o.maxObjectSize,
      changeEvents: m.changeEvents,
      ttl: m.ttl,
      ...(o.bulkWriteEntries === undefined ? {} : { bulkWriteEntries: o.bulkWriteEntries }),
    };
  }

  override async open(): Promise<void> {
    await this.objects.open();
    try {
      await this.metadata.open();
    } catch (err) {
      await this.objects.close().catch(() => undefined);
      throw err;
    }
  }

  override async close(): Promise<void> {
    const results = await Promise.allSettled([this.metadata.close(), this.objects.close()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Buffered: a commit is one write(), ordered as write() orders it. */
  override get begin(): ((options: Required<TransactionOptions>) => Promise<DriverTransaction>) | undefined {
    return undefined;
  }

  override async write(ops: WriteOp[]): Promise<void> {
    const puts: ObjectOp[] = [];
    const deletes: ObjectOp[] = [];
    const rest: WriteOp[] = [];
    for (const op of ops) {
      if (op.op === 'putObject') puts.push(op);
      else if (op.op === 'deleteObject') deletes.push(op);
      else rest.push(op);
    }
    // Objects before what points at them; deleted objects after what stopped pointing at them.
    if (puts.length) await this.objects.write(puts);
    if (rest.length) await this.metadata.write(rest);
    if (deletes.length) await this.objects.write(deletes);
  }

  override async ping(): Promise<Record<string, unknown>> {
    const part = async (role: string, driver: StoreDriver) => {
      try {
        return { type: driver.type, ...(await driver.ping()) };
      } catch (err) {
        (err as Error).message = `${role} store (${driver.type}): ${(err as Error).message}`;
        throw err;
      }
    };
    const [objects, metadata] = await Promise.all([part('objects', this.objects), part('metadata', this.metadata)]);
    return { objects, metadata };
  }

  override async stats(): Promise<DriverStats> {
    const [o, m] = await Promise.all([this.objects.stats(), this.metadata.stats()]);
    const caches = [o.cache, m.cache].filter((c) => c !== undefined);
    const cache = caches.length
      ? caches.reduce((a, b) => ({ hits: a.hits + b.hits, misses: a.misses + b.misses, evictions: a.evictions + b.evictions }))
      : undefined;
    return { objectCount: o.objectCount, storageBytes: o.storageBytes + m.storageBytes, ...(cache ? { cache } : {}) };
  }

  override getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    return this.objects.getEntries(ids);
  }
  override hasObjects(ids: string[]): Promise<boolean[]> {
    return this.objects.hasObjects(ids);
  }
  override statObject(id: string): Promise<ObjectStat | undefined> {
    return this.objects.statObject(id);
  }
  override listObjectIds(range: KeyRange): Promise<string[]> {
    return this.objects.listObjectIds(range);
  }
  override listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    return this.objects.listDependents(baseId, range);
  }
}
