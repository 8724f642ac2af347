/**
 * LsmDb: the engine's public API. Reads are synchronous (memtables, then
 * tables newest to oldest); writes go through one queue that commits groups:
 * large values to the value log, one WAL append (and one fsync with `sync`)
 * for the whole group, then the memtable. Flushes and compactions run in the
 * background (background.ts).
 */
import { Kind, MAX_SEQ } from './coding.js';
import { Core, type LsmStats, type ReadView } from './core.js';
import { LsmError } from './errors.js';
import { Background } from './background.js';
import { MergeCursor, visibleBackward, visibleForward, type Bounds } from './merge.js';
import { DEFAULT_OPTIONS, type LsmOptions } from './options.js';
import { openCore } from './recovery.js';
import { gcValueLog } from './vlog-gc.js';
import { WriteQueue, type WriteOp } from './write-queue.js';

export type { WriteOp } from './write-queue.js';

export interface LsmRange {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
  /** Skip reading large values from the value log: values come back empty. */
  keysOnly?: boolean;
  snapshot?: Snapshot;
}

export interface LsmEntry {
  key: Buffer;
  value: Buffer;
}

/** A consistent read point: reads through it see exactly the writes before it was taken. */
export class Snapshot {
  released = false;
  constructor(readonly seq: number, private readonly onRelease: (s: Snapshot) => void) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
  }
}

/** A write batch: applied all together or not at all. */
export class WriteBatch {
  readonly ops: WriteOp[] = [];

  put(key: Uint8Array, value: Uint8Array): this {
    this.ops.push({ type: 'put', key, value });
    return this;
  }

  delete(key: Uint8Array): this {
    this.ops.push({ type: 'del', key });
    return this;
  }
}

const EMPTY = Buffer.alloc(0);

export class LsmDb {
  private readonly background: Background;
  private readonly writes: WriteQueue;
  private gcPasses = 0;

  private constructor(private readonly core: Core) {
    this.background = new Background(core);
    this.writes = new WriteQueue(core, this.background);
    this.background.writeQueue = this.writes;
  }

  /** Opens (creating if needed) the database in `dir`, recovering whatever a crash left. */
  static async open(dir: string, options: Partial<LsmOptions> = {}): Promise<LsmDb> {
    const core = await openCore(dir, { ...DEFAULT_OPTIONS, ...options });
    const db = new LsmDb(core);
    db.background.schedule();
    return db;
  }

  get options(): LsmOptions {
    return this.core.options;
  }

  get(key: Uint8Array, snapshot?: Snapshot): Buffer | undefined {
    this.core.check();
    const e = this.core.getEntry(toBuffer(key), this.readSeq(snapshot));
    return e && this.core.resolve(e);
  }

  private readSeq(snapshot?: Snapshot): number {
    if (!snapshot) return this.core.lastSeq;
    if (snapshot.released) throw new LsmError('INVALID_ARGUMENT', 'lsm snapshot was released');
    return snapshot.seq;
  }

  put(key: Uint8Array, value: Uint8Array, options?: { sync?: boolean }): Promise<void> {
    return this.write([{ type: 'put', key, value }], options);
  }

  delete(key: Uint8Array, options?: { sync?: boolean }): Promise<void> {
    return this.write([{ type: 'del', key }], options);
  }

  /** Commits the ops atomically; resolves once they are in the WAL (fsynced with `sync`). */
  async write(ops: WriteOp[] | WriteBatch, options: { sync?: boolean } = {}): Promise<void> {
    this.core.check();
    const list = ops instanceof WriteBatch ? ops.ops : ops;
    return this.writes.submit(list, options.sync ?? this.core.options.sync);
  }

  snapshot(): Snapshot {
    this.core.check();
    const seq = this.core.lastSeq;
    this.core.addSnapshot(seq);
    return new Snapshot(seq, (s) => this.core.releaseSnapshot(s.seq));
  }

  /**
   * Entries of a range in key order, from one consistent view (the snapshot's,
   * or the state when the first entry is asked for). The files it reads stay
   * until the iterator finishes or is returned.
   */
  *iterator(range: LsmRange = {}): Generator<LsmEntry> {
    this.core.check();
    const view = this.core.pin(this.core.currentView(this.readSeq(range.snapshot)));
    try {
      yield* this.iterate(view, range);
    } finally {
      this.core.unpin(view);
    }
  }

  private *iterate(view: ReadView, range: LsmRange): Generator<LsmEntry> {
    const b: Bounds = {};
    for (const k of ['gt', 'gte', 'lt', 'lte'] as const) if (range[k]) b[k] = toBuffer(range[k]);
    const reverse = range.reverse ?? false;
    const bound = reverse ? (b.lt ?? b.lte) : (b.gt ?? b.gte);
    const merged = new MergeCursor(this.core.cursors(view, reverse, bound), reverse);
    const visible = reverse ? visibleBackward(merged, view.seq, b) : visibleForward(merged, view.seq, b);
    let left = range.limit ?? Infinity;
    for (const e of visible) {
      if (left-- <= 0) return;
      this.core.check();
      yield { key: e.key, value: range.keysOnly && e.kind === Kind.Pointer ? EMPTY : this.core.resolve(e)! };
    }
  }

  /** Freezes the memtable and waits until every frozen memtable is in a table. */
  async flush(): Promise<void> {
    this.core.check();
    await this.writes.rotate();
    await this.background.idle();
  }

  /** Flushes, then merges every level down into the deepest (dropping what no reader can see). */
  async compactAll(): Promise<void> {
    await this.flush();
    await this.background.compactAll();
  }

  /** The tables of each level with their key ranges (for tests and tools). */
  levels(): Array<Array<{ number: number; size: number; entries: number; smallest: Buffer; largest: Buffer }>> {
    return this.core.version.levels.map((files) => files.map(({ number, size, entries, smallest, largest }) => ({ number, size, entries, smallest, largest })));
  }

  /** Waits for background flushes and compactions to finish what is due. */
  async waitForBackground(): Promise<void> {
    await this.background.idle();
  }

  /** Rewrites sealed value-log files with at least this fraction of garbage (measured by a scan). */
  async gcValueLog(minDiscard = this.core.options.vlogGcDiscardRatio): Promise<number> {
    this.core.check();
    this.gcPasses++;
    try {
      return await gcValueLog(this.core, minDiscard, this.writes);
    } finally {
      this.gcPasses--;
    }
  }

  stats(): LsmStats & { levels: Array<{ files: number; bytes: number }>; vlogFiles: number; vlogFileBytes: number; lastSeq: number } {
    const levels = this.core.version.levels.map((files) => ({ files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) }));
    let vlogFileBytes = 0;
    for (const f of this.core.vlogs.values()) vlogFileBytes += f.size;
    return { ...this.core.stats, levels, vlogFiles: this.core.vlogs.size, vlogFileBytes, lastSeq: this.core.lastSeq };
  }

  /** What runs in the background right now: a flush, a compaction (the two run side by side), a value-log GC pass. */
  activity(): { flush: boolean; compaction: boolean; vlogGc: boolean } {
    return { flush: this.background.flushRunning, compaction: this.background.compactionRunning, vlogGc: this.background.gcRunning || this.gcPasses > 0 };
  }

  get closed(): boolean {
    return this.core.closed;
  }

  /** Lets queued writes and the running background job finish, then releases the files and the lock. */
  async close(): Promise<void> {
    if (this.core.closed) return;
    // New writes are refused from here; queued ones (and a value-log GC chunk) still commit.
    this.core.closed = true;
    await this.writes.drain();
    await this.background.stop();
    await this.writes.drain();
    for (const t of this.core.tables.values()) t.close();
    for (const v of this.core.vlogs.values()) v.close();
    this.core.wal.close();
    this.core.manifest.close();
    this.core.lock.release();
  }
}

export function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export { MAX_SEQ };
