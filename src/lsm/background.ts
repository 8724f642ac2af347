/**
 * Background work in two lanes that run side by side, each with its own
 * worker thread: the flush lane writes the oldest frozen memtable to an L0
 * table; the compaction lane runs the most urgent compaction, and when none
 * is due starts a rewrite of a value-log file that is mostly garbage. A long
 * compaction therefore never holds a flush (and the writers waiting on it)
 * back. Every job writes its new files completely (fsynced) before one
 * manifest edit, made here on the main thread, switches the version to them;
 * the files it replaces are deleted only after that, once no reader holds
 * them. A crash at any point leaves either the old version or the new, plus
 * unreferenced files that recovery deletes.
 */
import { join } from 'node:path';
import { unlinkQuietly, type Core } from './core.js';
import { pickCompaction, type CompactionPlan } from './compaction.js';
import { walName } from './files.js';
import type { Memtable } from './memtable.js';
import { Stopped, TableWorkerClient } from './table-worker-client.js';
import type { TableWriteResult } from './table-writer.js';
import { gcCandidate, rewriteVlog } from './vlog-gc.js';
import type { WriteQueue } from './write-queue.js';

export class Background {
  private flushing: Promise<void> | undefined;
  private compacting: Promise<void> | undefined;
  /** A flush finished while the compaction lane was winding down: it must look again. */
  private recheck = false;
  private waiters: Array<() => void> = [];
  private stopping = false;
  /** compactAll() asked for every level to be merged down into the deepest one. */
  private forced: 'off' | 'merging' | 'rewrote-bottom' = 'off';
  private gc: Promise<void> | undefined;
  private readonly cursors = new Map<number, Buffer>();
  writeQueue: WriteQueue | undefined;
  private readonly flusher = new TableWorkerClient();
  private readonly compactor = new TableWorkerClient();
  /** The jobs running now (for tests and tools that want to know what a crash interrupted). */
  flushRunning = false;
  compactionRunning = false;

  constructor(private readonly core: Core) {}

  schedule(): void {
    this.scheduleFlush();
    this.scheduleCompaction();
  }

  private scheduleFlush(): void {
    if (this.flushing || this.stopping || this.core.failure || this.core.imm.length === 0) return;
    this.flushing = this.lane(() => this.flushLoop()).finally(() => {
      this.flushing = undefined;
      this.scheduleCompaction();
    });
  }

  private scheduleCompaction(): void {
    if (this.compacting) {
      this.recheck = true;
      return;
    }
    if (this.stopping || this.core.failure) return;
    this.recheck = false;
    this.compacting = this.lane(() => this.compactionLoop()).finally(() => {
      this.compacting = undefined;
      if (this.recheck) this.scheduleCompaction();
      this.scheduleFlush();
    });
  }

  /** Runs a lane's loop; a failure stops the engine, and wakes writers stalled on the lane. */
  private lane(loop: () => Promise<void>): Promise<void> {
    return loop().catch((err) => {
      this.core.failure ??= err as Error;
      this.notify();
    });
  }

  /**
   * Resolves after the next job of either lane finishes (or at once when
   * nothing runs). Only a finished job (or a failure) wakes the waiters: a
   * lane that ends finding nothing to do changed nothing.
   */
  progress(): Promise<void> {
    if (!this.flushing && !this.compacting) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async idle(): Promise<void> {
    this.schedule();
    while (this.flushing || this.compacting) await Promise.all([this.flushing, this.compacting]);
    if (this.core.failure) throw this.core.failure;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.flusher.stop(this.core.dir), this.compactor.stop(this.core.dir)]);
    while (this.flushing || this.compacting || this.gc) await Promise.all([this.flushing, this.compacting, this.gc]);
  }

  /**
   * Value-log GC runs beside flushes and compactions, not in their loops: its
   * rewrites go through the write queue, which may be stalled waiting for a flush.
   */
  private startGc(): void {
    const file = this.gc || !this.writeQueue ? undefined : gcCandidate(this.core);
    if (file === undefined) return;
    this.gc = rewriteVlog(this.core, file, this.writeQueue!)
      .catch((err) => {
        this.core.failure ??= err as Error;
      })
      .finally(() => {
        this.gc = undefined;
        this.schedule();
      });
  }

  /** Merges every level down until all tables are in the deepest level that has any. */
  async compactAll(): Promise<void> {
    this.forced = 'merging';
    try {
      await this.idle();
    } finally {
      this.forced = 'off';
    }
  }

  private forcedPlan(): CompactionPlan | undefined {
    const v = this.core.version;
    const used = v.levels.map((files, level) => (files.length > 0 ? level : -1)).filter((l) => l >= 0);
    if (used.length === 0) return undefined;
    const level = used[0]!;
    const inputs = v.levels[level]!.slice();
    if (used.length === 1 && level > 0) {
      // Everything is in one level: rewrite it once in place, dropping what no reader sees.
      if (this.forced === 'rewrote-bottom') return undefined;
      this.forced = 'rewrote-bottom';
      return { level, inputs, next: [], output: level, bottommost: true };
    }
    const lo = inputs.reduce((m, f) => (Buffer.compare(f.smallest, m) < 0 ? f.smallest : m), inputs[0]!.smallest);
    const hi = inputs.reduce((m, f) => (Buffer.compare(f.largest, m) > 0 ? f.largest : m), inputs[0]!.largest);
    const target = used.length === 1 ? level + 1 : used[1]!;
    const bottommost = used.length <= 2;
    // Merging into the next used level: levels in between are empty, so the output goes there directly.
    return { level, inputs, next: v.overlapping(target, lo, hi), output: target, bottommost };
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (!this.stopping && this.core.imm.length > 0) {
        this.flushRunning = true;
        await this.flush(this.core.imm[0]!);
        this.flushRunning = false;
        // A new L0 table may make a compaction due; writers stalled on the flush may go on.
        this.scheduleCompaction();
        this.notify();
      }
    } finally {
      this.flushRunning = false;
    }
  }

  private async compactionLoop(): Promise<void> {
    try {
      while (!this.stopping) {
        this.recheck = false;
        const plan = pickCompaction(this.core.version, this.core.options, this.cursors) ?? (this.forced !== 'off' ? this.forcedPlan() : undefined);
        if (!plan) {
          // While the flush lane has work, the forced merge waits for its tables.
          if (this.forced !== 'off' && this.flushing) await this.flushing;
          else break;
          continue;
        }
        this.compactionRunning = true;
        await this.compact(plan);
        this.compactionRunning = false;
        this.notify();
      }
      this.startGc();
    } finally {
      this.compactionRunning = false;
    }
  }

  get gcRunning(): boolean {
    return this.gc !== undefined;
  }

  /** Output file numbers for a job over about `bytes` of input, reserved generously here (gaps are harmless). */
  private reserveNumbers(bytes: number): number[] {
    const c = this.core;
    return Array.from({ length: 2 * Math.ceil(bytes / c.options.tableFileBytes) + 4 }, () => c.manifest.newFileNumber());
  }

  /** Runs a job in a worker; undefined when close() stopped it. */
  private async inWorker(worker: TableWorkerClient, job: Parameters<TableWorkerClient['run']>[0]): Promise<TableWriteResult | undefined> {
    try {
      return await worker.run(job);
    } catch (err) {
      if (err instanceof Stopped) return undefined;
      throw err;
    }
  }

  private async flush(mem: Memtable): Promise<void> {
    const c = this.core;
    // The memtable is frozen: every entry's seq is <= lastSeq, and its WAL file is complete.
    const result = await this.inWorker(this.flusher, {
      job: 'flush', dir: c.dir, options: c.options, wal: mem.walNumber, entries: mem.count, smallestSnapshot: c.smallestSnapshot(), numbers: this.reserveNumbers(mem.bytes),
    });
    if (!result) return;
    const { tables } = result;
    for (const f of tables) c.openTable(f.number);
    const nextWal = c.imm[1]?.walNumber ?? c.mem.walNumber;
    await c.manifest.apply({ add: tables, logNumber: nextWal, lastSeq: c.lastSeq });
    c.imm.shift();
    c.stats.flushes++;
    c.stats.flushBytes += tables.reduce((s, t) => s + t.size, 0);
    unlinkQuietly(join(c.dir, walName(mem.walNumber)));
  }

  private async compact(plan: CompactionPlan): Promise<void> {
    const c = this.core;
    const inputs = [...plan.inputs, ...plan.next];
    const remove = inputs.map((f) => ({ level: f.level, number: f.number }));
    if (plan.next.length === 0 && plan.inputs.length === 1 && plan.output !== plan.level) {
      // Trivial move: nothing to merge with, the table changes level as it is.
      const f = plan.inputs[0]!;
      await c.manifest.apply({ remove, add: [{ ...f, level: plan.output }], lastSeq: c.lastSeq });
      c.stats.trivialMoves++;
      return;
    }
    const result = await this.inWorker(this.compactor, {
      job: 'merge', dir: c.dir, options: c.options, inputs: inputs.map((f) => f.number), level: plan.output, bottommost: plan.bottommost,
      smallestSnapshot: c.smallestSnapshot(), numbers: this.reserveNumbers(inputs.reduce((n, f) => n + f.size, 0)),
    });
    if (!result) return;
    const { tables } = result;
    for (const f of tables) c.openTable(f.number);
    for (const [file, n] of result.discard) c.discard.set(file, (c.discard.get(file) ?? 0) + n);
    await c.manifest.apply({ remove, add: tables, lastSeq: c.lastSeq });
    c.stats.compactions++;
    c.stats.compactionBytes += tables.reduce((s, t) => s + t.size, 0);
    c.retireTables(inputs.map((f) => f.number));
  }
}
