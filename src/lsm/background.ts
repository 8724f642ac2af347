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
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Kind } from './coding.js';
import { unlinkQuietly, type Core } from './core.js';
import type { Cursor, Entry } from './cursor.js';
import { pickCompaction, survivors, type CompactionPlan } from './compaction.js';
import { tableName, walName } from './files.js';
import { MergeCursor } from './merge.js';
import type { Memtable } from './memtable.js';
import { TableBuilder } from './table-builder.js';
import type { FileMeta } from './version.js';
import { decodePointer } from './vlog.js';
import { gcCandidate, rewriteVlog } from './vlog-gc.js';
import type { WriteQueue } from './write-queue.js';

/** Entries between yields to the event loop, so foreground reads and writes go on. */
const YIELD_EVERY = 256;

export class Background {
  private running: Promise<void> | undefined;
  private waiters: Array<() => void> = [];
  private stopping = false;
  /** compactAll() asked for every level to be merged down into the deepest one. */
  private forced: 'off' | 'merging' | 'rewrote-bottom' = 'off';
  private gc: Promise<void> | undefined;
  private readonly cursors = new Map<number, Buffer>();
  writeQueue: WriteQueue | undefined;
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

  private dropped = (e: Entry): void => {
    if (e.kind !== Kind.Pointer) return;
    const p = decodePointer(e.value);
    this.core.discard.set(p.file, (this.core.discard.get(p.file) ?? 0) + p.length);
  };

  /** Writes the merged survivors into tables of `level`, split at `tableFileBytes` on key boundaries. */
  private async writeTables(input: Cursor, level: number, bottommost: boolean): Promise<FileMeta[]> {
    const c = this.core;
    const out: FileMeta[] = [];
    let builder: TableBuilder | undefined;
    let number = 0;
    let lastKey: Buffer | undefined;
    let n = 0;
    const finish = async () => {
      if (!builder) return;
      const b = builder;
      builder = undefined;
      const t = await b.finish();
      out.push({ number, level, size: t.size, entries: t.entries, smallest: t.smallest, largest: t.largest });
    };
    try {
      for (const e of survivors(input, c.smallestSnapshot(), bottommost, this.dropped)) {
        if (builder && builder.size >= c.options.tableFileBytes && !lastKey!.equals(e.key)) await finish();
        if (!builder) {
          number = c.manifest.newFileNumber();
          builder = new TableBuilder(join(c.dir, tableName(number)), c.options);
        }
        builder.add(e.key, e.seq, e.kind, e.value);
        lastKey = e.key;
        if (++n % YIELD_EVERY === 0) {
          await yieldToEventLoop();
          if (this.stopping) throw new Error('stopping');
        }
      }
      await finish();
    } catch (err) {
      // Unfinished outputs are not in any version: remove them.
      builder?.abandon();
      for (const f of [...out, { number }]) if (f.number) unlinkQuietly(join(c.dir, tableName(f.number)));
      if ((err as Error).message === 'stopping') return [];
      throw err;
    }
    for (const f of out) c.openTable(f.number);
    return out;
  }

  private async flush(mem: Memtable): Promise<void> {
    const c = this.core;
    const entries = [...mem.entries()];
    const cursor: Cursor = { get entry() { return entries[i]; }, next() { i++; } };
    let i = 0;
    const tables = await this.writeTables(cursor, 0, false);
    if (this.stopping && tables.length === 0 && entries.length > 0) return;
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
    const merged = new MergeCursor(inputs.map((f) => c.table(f.number).scanAll()), false);
    const tables = await this.writeTables(merged, plan.output, plan.bottommost);
    if (this.stopping) return;
    await c.manifest.apply({ remove, add: tables, lastSeq: c.lastSeq });
    c.stats.compactions++;
    c.stats.compactionBytes += tables.reduce((s, t) => s + t.size, 0);
    c.retireTables(inputs.map((f) => f.number));
  }

}
