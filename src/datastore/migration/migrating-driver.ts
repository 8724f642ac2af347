/**
 * The store of a live migration: every write goes to the source, then the
 * same write (made unconditional) to the target, one write at a time so the
 * target sees them in the source's order; reads come from the source until
 * `govc datastore migrate --live` records the cut-over in the target, then
 * from the target (writes then go to the target first, the source after, so
 * going back stays possible). While open it marks itself in the target, so the
 * migrate command knows a server is dual-writing before it copies anything.
 *
 * Transactions: writes of a transaction are buffered and written at commit
 * (BufferedTransaction), so they are dual-written too.
 *
 * The commit index: the DataStore hands this driver CommitIndexOps as they
 * are, and each store gets them its own way (native tables, or config keys),
 * so a PostgreSQL source or target keeps its index natively.
 */
import { commitIndexOf, lowerOps, type CommitIndexReader } from '../commit-index/index.js';
import type { DriverTransaction, StoreDriver, WriteOp } from '../driver.js';
import { ConfigError } from '../errors.js';
import { ForwardingDriver } from '../forwarding-driver.js';
import { KEYSPACE } from '../keyspace.js';
import type { TransactionOptions } from '../types.js';

export const LIVE_STATE_KEY = `${KEYSPACE.migration}live.state`;
export const LIVE_WRITER_KEY = `${KEYSPACE.migration}live.writer`;
/** How often a migrating store marks itself in the target and looks for the cut-over. */
export const LIVE_POLL_MS = 500;

export interface WriterMark {
  at: number;
  pid: number;
  reading: 'source' | 'target';
  missedWrites: number;
  lastError?: string;
}

export interface LiveState {
  phase: 'copying' | 'cutover';
  at: string;
}

/** A write as the mirror applies it: what the primary accepted, without the checks it already passed. */
export function unconditional(ops: WriteOp[]): WriteOp[] {
  return ops.map((op) => {
    switch (op.op) {
      case 'updateRefs':
        return { ...op, updates: op.updates.map(({ old: _old, ...u }) => u) };
      case 'putRepository':
        return { ...op, mode: 'upsert' };
      case 'putUser':
        return { ...op, mode: 'upsert' };
      default:
        return op;
    }
  });
}

export class MigratingDriver extends ForwardingDriver {
  private queue: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private cutOver = false;
  private round?: string;
  /** Mirror writes that failed (the migrate command's passes copy what they missed). */
  missedWrites = 0;
  lastMirrorError?: string;

  constructor(
    private readonly source: StoreDriver,
    private readonly target: StoreDriver,
  ) {
    super(source);
  }

  override get type(): string {
    return 'migrating';
  }

  /** The index of the store reads come from, native or in its config keys: write() lowers ops per store. */
  override get commitIndex(): CommitIndexReader {
    return commitIndexOf(this.inner);
  }

  get reading(): 'source' | 'target' {
    return this.cutOver ? 'target' : 'source';
  }

  /** No native transactions: DataStore buffers them and writes at commit, through write(). */
  override get begin(): ((options: Required<TransactionOptions>) => Promise<DriverTransaction>) | undefined {
    return undefined;
  }

  override async open(): Promise<void> {
    await this.source.open();
    try {
      await this.target.open();
    } catch (err) {
      await this.source.close().catch(() => undefined);
      throw err;
    }
    await this.poll();
    this.timer = setInterval(() => void this.poll().catch(() => undefined), LIVE_POLL_MS);
    this.timer.unref();
  }

  override async close(): Promise<void> {
    clearInterval(this.timer);
    await this.queue.catch(() => undefined);
    await Promise.allSettled([this.source.close(), this.target.close()]);
  }

  /** Marks this writer in the target, and switches reads when the cut-over is recorded there. */
  private async poll(): Promise<void> {
    const text = await this.target.getConfig(LIVE_STATE_KEY);
    const state = text ? (JSON.parse(text) as LiveState) : undefined;
    // a new round of the migrate command copies what earlier rounds missed
    if (state && state.at !== this.round) {
      this.round = state.at;
      if (state.phase === 'copying') this.missedWrites = 0;
    }
    const mark: WriterMark = { at: Date.now(), pid: process.pid, reading: this.reading, missedWrites: this.missedWrites, lastError: this.lastMirrorError };
    await this.target.write([{ op: 'setConfig', key: LIVE_WRITER_KEY, value: JSON.stringify(mark) }]);
    // a write the target missed would be lost by reading from it: stay on the source, and say so in the mark
    if (state?.phase === 'cutover' && !this.cutOver && this.missedWrites === 0) {
      // Wait for writes in flight, so none is read back from the store that did not get it yet.
      await this.queue.catch(() => undefined);
      this.cutOver = true;
      // Reads follow `inner` (ForwardingDriver); it is switched here only, once.
      (this as unknown as { inner: StoreDriver }).inner = this.target;
    }
  }

  override write(ops: WriteOp[]): Promise<void> {
    const run = this.queue.then(async () => {
      const [primary, mirror] = this.cutOver ? [this.target, this.source] : [this.source, this.target];
      await primary.write(lowerOps(primary, ops));
      try {
        await mirror.write(lowerOps(mirror, unconditional(ops)));
      } catch (err) {
        this.missedWrites++;
        this.lastMirrorError = (err as Error).message;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  override async ping(): Promise<Record<string, unknown>> {
    const details = await super.ping();
    return { ...details, migrating: true, reading: this.reading, missedWrites: this.missedWrites };
  }
}

/** The two stores of a migrating config must hold objects under the same hash. */
export function checkSameFormat(source: string, target: string): void {
  if (source !== target) throw new ConfigError(`a migrating store needs source and target of one object format; got ${source} and ${target}`);
}
