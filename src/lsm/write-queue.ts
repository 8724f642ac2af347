/**
 * The write path. Writes queue up; the queue commits them in groups (group
 * commit): each member's large values go to the value log, the group's WAL
 * records are appended with one write, fsynced once when any member asked
 * for `sync`, and only then applied to the memtable and acknowledged. A
 * group never waits for a timer: whatever queued while the previous group
 * was being fsynced forms the next group. A member whose ops are built from
 * the tree (value-log GC rewrites) starts a new group, so its build sees every
 * earlier write in the memtable.
 */
import { join } from 'node:path';
import { Kind } from './coding.js';
import type { Core } from './core.js';
import { LsmError } from './errors.js';
import { vlogName, walName } from './files.js';
import { frameRecord as frame, LogWriter } from './log.js';
import { Memtable } from './memtable.js';
import { encodeBatch, encodeFramedBatch, sealFramedBatch, type WalOp } from './wal.js';
import { encodePointer, VlogFile } from './vlog.js';
import type { Background } from './background.js';

export type WriteOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

export const MAX_KEY_BYTES = 65_536;
const MAX_GROUP_BYTES = 4 * 1024 ** 2;
const EMPTY = Buffer.alloc(0);

interface Member {
  /** Builds the member's ops when its group commits (value-log GC checks liveness there). */
  build: () => WalOp[];
  /** `build` reads the tree, so it must run after every earlier write is applied: the member starts a new group. */
  readsTree: boolean;
  /** The WAL record, already framed (seq and checksum filled at commit), when no value goes to the value log. */
  record?: Buffer;
  sync: boolean;
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function copy(b: Uint8Array): Buffer {
  return Buffer.from(b);
}

export class WriteQueue {
  private readonly queue: Member[] = [];
  private running: Promise<void> | undefined;
  private rotateRequested = false;

  constructor(private readonly core: Core, private readonly background: Background) {}

  submit(ops: WriteOp[], sync: boolean): Promise<void> {
    let bytes = 0;
    let large = false;
    for (const op of ops) {
      if (!(op.key instanceof Uint8Array)) throw new LsmError('INVALID_ARGUMENT', 'lsm keys must be Uint8Array');
      if (op.key.length > MAX_KEY_BYTES) throw new LsmError('INVALID_ARGUMENT', `lsm key of ${op.key.length} bytes exceeds the ${MAX_KEY_BYTES}-byte limit`);
      if (op.type === 'put') {
        if (!(op.value instanceof Uint8Array)) throw new LsmError('INVALID_ARGUMENT', 'lsm values must be Uint8Array');
        bytes += op.key.length + op.value.length;
        large ||= op.value.length >= this.core.options.valueThreshold;
      } else bytes += op.key.length;
    }
    this.core.stats.userBytes += bytes;
    const kinded = ops.map((op) => (op.type === 'put' ? { kind: Kind.Value, key: op.key, value: op.value } : { kind: Kind.Delete, key: op.key, value: EMPTY }));
    if (!large) {
      // Encoded (copied) once, now: the WAL record, whose views the memtable keeps.
      const framed = encodeFramedBatch(kinded);
      return this.enqueue(() => framed.ops, sync, bytes, false, framed.record);
    }
    const walOps: WalOp[] = kinded.map((op) => ({ kind: op.kind, key: copy(op.key), value: copy(op.value) }));
    return this.enqueue(() => walOps, sync, bytes, false);
  }

  /** Queues ops built at commit time from the tree's state then, which includes every write queued before. */
  submitBuilt(build: () => WalOp[], sync: boolean): Promise<void> {
    return this.enqueue(build, sync, 0, true);
  }

  private enqueue(build: () => WalOp[], sync: boolean, bytes: number, readsTree: boolean, record?: Buffer): Promise<void> {
    if (this.core.failure) return Promise.reject(this.core.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ build, sync, bytes, readsTree, record, resolve, reject });
      this.run();
    });
  }

  /** Freezes the memtable (after what is queued) so the next flush takes it. */
  rotate(): Promise<void> {
    this.rotateRequested = true;
    return this.enqueue(() => [], false, 0, false);
  }

  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private run(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0) this.run();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0) {
      const group: Member[] = [];
      try {
        await this.makeRoom();
        let bytes = 0;
        // Earlier members of a group reach the memtable only after all are built: a tree-reading member
        // (GC liveness) in the middle would miss them and rewrite a value they had just replaced.
        while (this.queue.length > 0 && (group.length === 0 || (bytes + this.queue[0]!.bytes <= MAX_GROUP_BYTES && !this.queue[0]!.readsTree))) {
          const m = this.queue.shift()!;
          bytes += m.bytes;
          group.push(m);
        }
        await this.commit(group);
        for (const m of group) m.resolve();
      } catch (err) {
        // A failed WAL or value-log write leaves the files in an unknown state: stop taking writes.
        this.core.failure ??= err as Error;
        for (const m of group) m.reject(err);
        for (const m of this.queue.splice(0)) m.reject(err);
      }
      if (this.rotateRequested) {
        this.rotateRequested = false;
        if (this.core.mem.count > 0) this.rotateMemtable();
      }
    }
  }

  /** Bounded write stall: waits while frozen memtables or L0 tables are over their limits. */
  private async makeRoom(): Promise<void> {
    const c = this.core;
    const o = c.options;
    const stalled = () => (c.mem.bytes >= o.memtableBytes && c.imm.length >= o.maxImmutables) || c.version.levels[0]!.length >= o.l0StopTrigger;
    if (stalled()) {
      const start = Date.now();
      c.stats.stalls++;
      while (stalled()) {
        if (c.failure) throw c.failure;
        this.background.schedule();
        await this.background.progress();
      }
      c.stats.stallMs += Date.now() - start;
    }
    if (c.mem.bytes >= o.memtableBytes) this.rotateMemtable();
    if (c.vlog.size >= o.vlogFileBytes) await this.rotateVlog();
  }

  private rotateMemtable(): void {
    const c = this.core;
    const n = c.manifest.newFileNumber();
    const wal = new LogWriter(join(c.dir, walName(n)));
    c.wal.close();
    c.wal = wal;
    c.imm.push(c.mem);
    c.mem = new Memtable(n);
    this.background.schedule();
  }

  private async rotateVlog(): Promise<void> {
    const c = this.core;
    const n = c.manifest.newFileNumber();
    // Created, then in the manifest before anything points into it: recovery keeps it (or deletes it unreferenced).
    const file = new VlogFile(join(c.dir, vlogName(n)), n, true);
    await c.manifest.apply({ addVlog: [n] });
    c.vlogs.set(n, file);
    c.vlog = file;
  }

  private async commit(group: Member[]): Promise<void> {
    const c = this.core;
    const batches: Array<{ ops: WalOp[]; record?: Buffer }> = [];
    let wroteVlog = false;
    let sync = false;
    for (const m of group) {
      let ops: WalOp[];
      try {
        ops = m.build();
      } catch (err) {
        m.reject(err);
        m.resolve = () => undefined;
        continue;
      }
      sync ||= m.sync;
      if (m.record) {
        batches.push({ ops, record: m.record });
        continue;
      }
      batches.push({
        ops: ops.map((op) => {
          if (op.kind !== Kind.Value || op.value.length < c.options.valueThreshold) return op;
          wroteVlog = true;
          const p = c.vlog.append(op.key, op.value);
          c.stats.vlogBytes += p.length;
          return { kind: Kind.Pointer, key: op.key, value: encodePointer(p) };
        }),
      });
    }
    // The value log is durable before any WAL record points into it.
    if (sync && wroteVlog) await c.vlog.sync();
    let seq = c.lastSeq;
    const records: Buffer[] = [];
    const seqs: number[] = [];
    for (const b of batches) {
      if (b.ops.length === 0) continue;
      seqs.push(seq + 1);
      if (b.record) sealFramedBatch(b.record, seq + 1);
      records.push(b.record ?? frame(encodeBatch(seq + 1, b.ops)));
      seq += b.ops.length;
    }
    if (records.length > 0) {
      const data = records.length === 1 ? records[0]! : Buffer.concat(records);
      c.wal.append(data);
      c.stats.walBytes += data.length;
      c.stats.writeGroups++;
      if (sync) {
        c.stats.walSyncs++;
        await c.wal.sync();
      }
    }
    let i = 0;
    for (const b of batches) {
      if (b.ops.length === 0) continue;
      let s = seqs[i++]!;
      for (const op of b.ops) c.mem.insert(op.key, s++, op.kind, op.value);
    }
    c.lastSeq = seq;
  }
}

