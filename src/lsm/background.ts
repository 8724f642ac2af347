/**
 * Background work, one job at a time: flush the oldest frozen memtable to an
 * L0 table; otherwise run the most urgent compaction; otherwise rewrite a
 * value-log file that is mostly garbage. Every job writes its new files
 * completely (fsynced) before one manifest edit switches the version to
 * them; the files it replaces are deleted only after that, once no reader
 * holds them. A crash at any point leaves either the old version or the
 * new, plus unreferenced files that recovery deletes.
 */
import { join } from 'node:path';
import { Compactor } from './compactor.js';
import { unlinkQuietly, type Core } from './core.js';
import type { Cursor } from './cursor.js';
import { pickCompaction, type CompactionPlan } from './compaction.js';
import { walName } from './files.js';
import type { Memtable } from './memtable.js';
import { Stopped, writeTables, type TableWriteJob, type TableWriteResult } from './table-writer.js';
import type { FileMeta } from './version.js';
import { gcCandidate, rewriteVlog } from './vlog-gc.js';
import type { WriteQueue } from './write-queue.js';

export class Background {
  private running: Promise<void> | undefined;
  private waiters: Array<() => void> = [];
  private stopping = false;
  /** compactAll() asked for every level to be merged down into the deepest one. */
  private forced: 'off' | 'merging' | 'rewrote-bottom' = 'off';
  private gc: Promise<void> | undefined;
  private readonly cursors = new Map<number, Buffer>();
  writeQueue: WriteQueue | undefined;
  private readonly compactor = new Compactor();
  /** The job running now (for tests and tools that want to know what a crash interrupted). */
  job: 'flush' | 'compaction' | undefined;

  constructor(private readonly core: Core) {}

  schedule(): void {
    if (this.running || this.stopping || this.core.failure) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.notify();
    });
  }

  /** Resolves after the next job finishes (or at once when nothing runs). */
  progress(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async idle(): Promise<void> {
    this.schedule();
    while (this.running) await this.running;
    if (this.core.failure) throw this.core.failure;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.compactor.stop(this.core.dir);
    while (this.running || this.gc) await Promise.all([this.running, this.gc]);
  }

  /**
   * Value-log GC runs beside flushes and compactions, not in their loop: its
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

  private async loop(): Promise<void> {
    try {
      while (!this.stopping) {
        const c = this.core;
        if (c.imm.length > 0) {
          this.job = 'flush';
          await this.flush(c.imm[0]!);
        } else {
          const plan = pickCompaction(c.version, c.options, this.cursors) ?? (this.forced !== 'off' ? this.forcedPlan() : undefined);
          this.job = plan ? 'compaction' : undefined;
          if (plan) await this.compact(plan);
          else {
            this.startGc();
            return;
          }
        }
        this.notify();
      }
    } catch (err) {
      this.core.failure ??= err as Error;
    } finally {
      this.job = undefined;
    }
  }

  get gcRunning(): boolean {
    return this.gc !== undefined;
  }

  private async flush(mem: Memtable): Promise<void> {
    const c = this.core;
    const entries = [...mem.entries()];
    let i = 0;
    const cursor: Cursor = { get entry() { return entries[i]; }, next() { i++; } };
    let tables: FileMeta[];
    try {
      ({ tables } = await writeTables(cursor, this.tableJob(0, false)));
    } catch (err) {
      if (err instanceof Stopped) return;
      throw err;
    }
    for (const f of tables) c.openTable(f.number);
    const nextWal = c.imm[1]?.walNumber ?? c.mem.walNumber;
    await c.manifest.apply({ add: tables, logNumber: nextWal, lastSeq: c.lastSeq });
    c.imm.shift();
    c.stats.flushes++;
    c.stats.flushBytes += tables.reduce((s, t) => s + t.size, 0);
    unlinkQuietly(join(c.dir, walName(mem.walNumber)));
  }

  private tableJob(level: number, bottommost: boolean): TableWriteJob {
    const c = this.core;
    return { dir: c.dir, options: c.options, level, bottommost, smallestSnapshot: c.smallestSnapshot(), newFileNumber: () => c.manifest.newFileNumber(), stopping: () => this.stopping };
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
    // The merge runs in the worker; output numbers come from here, reserved generously (gaps are harmless).
    const bytes = inputs.reduce((n, f) => n + f.size, 0);
    const numbers = Array.from({ length: 2 * Math.ceil(bytes / c.options.tableFileBytes) + 4 }, () => c.manifest.newFileNumber());
    let result: TableWriteResult;
    try {
      const job = this.tableJob(plan.output, plan.bottommost);
      result = await this.compactor.merge({ dir: c.dir, options: c.options, inputs: inputs.map((f) => f.number), level: job.level, bottommost: job.bottommost, smallestSnapshot: job.smallestSnapshot, numbers });
    } catch (err) {
      if (err instanceof Stopped) return;
      throw err;
    }
    const { tables } = result;
    for (const f of tables) c.openTable(f.number);
    for (const [file, n] of result.discard) c.discard.set(file, (c.discard.get(file) ?? 0) + n);
    await c.manifest.apply({ remove, add: tables, lastSeq: c.lastSeq });
    c.stats.compactions++;
    c.stats.compactionBytes += tables.reduce((s, t) => s + t.size, 0);
    c.retireTables(inputs.map((f) => f.number));
  }

}
