/**
 * Puts objects into a store in batches (by count and by bytes), skipping the
 * ones the store already has: the caller offers ids first, then supplies data
 * only for the missing ones.
 */
import type { DataStore } from '../../datastore/store.js';
import type { GitObject } from '../../datastore/types.js';

export interface BatchStats {
  offered: number;
  added: number;
}

export class ObjectBatcher {
  readonly stats: BatchStats = { offered: 0, added: 0 };
  private pending: Array<GitObject & { id: string }> = [];
  private pendingBytes = 0;

  constructor(
    private readonly store: DataStore,
    readonly batchSize = 1000,
    private readonly maxBatchBytes = 32 << 20,
  ) {}

  /** Which of these ids the store lacks (also lacking from this run's pending batch). */
  async missing(ids: string[]): Promise<string[]> {
    this.stats.offered += ids.length;
    const has = await this.store.hasObjects(ids);
    const pendingIds = new Set(this.pending.map((o) => o.id));
    return ids.filter((id, i) => !has[i] && !pendingIds.has(id));
  }

  async add(object: GitObject & { id: string }): Promise<void> {
    this.pending.push(object);
    this.pendingBytes += object.data.byteLength;
    if (this.pending.length >= this.batchSize || this.pendingBytes >= this.maxBatchBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.store.putObjects(batch);
    this.stats.added += batch.length;
  }
}
