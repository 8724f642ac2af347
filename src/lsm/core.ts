/**
 * The engine's shared state: memtables, the current version and its open
 * tables, value-log files, snapshots, and the rules for when a file may be
 * deleted. The write path (db.ts), recovery and background jobs work on it.
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ByteLru } from '../datastore/lru-cache.js';
import type { Block } from './block.js';
import { Kind } from './coding.js';
import type { Cursor, Entry } from './cursor.js';
import { corruption, LsmError } from './errors.js';
import { tableName, vlogName } from './files.js';
import { LevelCursor } from './level-cursor.js';
import type { DirLock } from './lock.js';
import type { LogWriter } from './log.js';
import type { Manifest } from './manifest.js';
import { indexKey, Memtable } from './memtable.js';
import { hashKey } from './bloom.js';
import type { LsmOptions } from './options.js';
import { TableReader } from './table-reader.js';
import type { Version } from './version.js';
import { decodePointer, type VlogFile } from './vlog.js';

export interface LsmStats {
  /** Bytes of keys and values the caller wrote. */
  userBytes: number;
  walBytes: number;
  vlogBytes: number;
  flushBytes: number;
  compactionBytes: number;
  flushes: number;
  compactions: number;
  trivialMoves: number;
  vlogGcRuns: number;
  vlogGcRewrittenBytes: number;
  stallMs: number;
  stalls: number;
  /** Write groups committed, and fsyncs of the WAL they took (group commit: one per group with sync). */
  writeGroups: number;
  walSyncs: number;
}

/** What a reader holds on to: the sources of one moment, kept from deletion until released. */
export interface ReadView {
  seq: number;
  mem: Memtable;
  imm: Memtable[];
  version: Version;
}

export class Core {
  mem: Memtable;
  imm: Memtable[] = [];
  wal!: LogWriter;
  vlog!: VlogFile;
  readonly vlogs = new Map<number, VlogFile>();
  readonly tables = new Map<number, TableReader>();
  readonly cache: ByteLru<number, Block>;
  /** Highest sequence number visible to readers. */
  lastSeq = 0;
  closed = false;
  /** A background failure: the engine refuses writes after it. */
  failure: Error | undefined;
  /** Garbage bytes per value-log file, learned when compaction drops pointers. */
  readonly discard = new Map<number, number>();
  readonly stats: LsmStats = {
    userBytes: 0, walBytes: 0, vlogBytes: 0, flushBytes: 0, compactionBytes: 0, flushes: 0, compactions: 0,
    trivialMoves: 0, vlogGcRuns: 0, vlogGcRewrittenBytes: 0, stallMs: 0, stalls: 0, writeGroups: 0, walSyncs: 0,
  };
  private readonly views = new Set<ReadView>();
  private readonly snapshotSeqs = new Map<number, number>();
  private readonly obsoleteTables = new Set<number>();
  private readonly obsoleteVlogs: Array<{ file: number; afterSeq: number }> = [];

  constructor(readonly dir: string, readonly options: LsmOptions, readonly manifest: Manifest, readonly lock: DirLock) {
    this.cache = new ByteLru(options.blockCacheBytes);
    this.mem = new Memtable(0);
  }

  get version(): Version {
    return this.manifest.state.version;
  }

  check(): void {
    if (this.closed) throw new LsmError('CLOSED', 'lsm database is closed');
  }

  openTable(number: number): TableReader {
    const t = new TableReader(join(this.dir, tableName(number)), number, this.cache);
    this.tables.set(number, t);
    return t;
  }

  table(number: number): TableReader {
    const t = this.tables.get(number);
    if (!t) throw corruption(`table ${number} is in the version but not open`, { file: tableName(number) });
    return t;
  }

  // ---- reads ----

  /** The newest entry for key at or below seq, across every source (the raw entry: pointers unresolved). */
  getEntry(key: Buffer, seq: number, view: ReadView = this.currentView(seq)): Entry | undefined {
    const ik = indexKey(key);
    let e = view.mem.get(key, seq, ik);
    if (e) return e;
    for (let i = view.imm.length - 1; i >= 0; i--) if ((e = view.imm[i]!.get(key, seq, ik))) return e;
    const hash = hashKey(key);
    for (const f of view.version.levels[0]!) if ((e = this.table(f.number).get(key, seq, hash))) return e;
    for (let level = 1; level < view.version.levels.length; level++) {
      const f = view.version.findInLevel(level, key);
      if (f && (e = this.table(f.number).get(key, seq, hash))) return e;
    }
    return undefined;
  }

  /** The value an entry stands for: inline, or read (and checksum-checked) from the value log. */
  resolve(e: Entry): Buffer | undefined {
    if (e.kind === Kind.Delete) return undefined;
    if (e.kind === Kind.Value) return e.value;
    const p = decodePointer(e.value);
    const file = this.vlogs.get(p.file);
    if (!file) throw corruption(`value pointer into value log ${p.file}, which is gone`, { file: vlogName(p.file) });
    const rec = file.read(p);
    if (!rec.key.equals(e.key)) throw corruption('value log record belongs to another key', { file: vlogName(p.file), offset: p.offset });
    return rec.value;
  }

  currentView(seq = this.lastSeq): ReadView {
    return { seq, mem: this.mem, imm: this.imm.slice(), version: this.version };
  }

  /** Cursors over every source of a view, newest source first. */
  cursors(view: ReadView, reverse: boolean, bound: Buffer | undefined): Cursor[] {
    const open = (s: { forward(b?: Buffer): Cursor; backward(b?: Buffer): Cursor }) => (reverse ? s.backward(bound) : s.forward(bound));
    const out = [open(view.mem), ...view.imm.slice().reverse().map(open)];
    for (const f of view.version.levels[0]!) out.push(open(this.table(f.number)));
    const table = (n: number) => this.table(n);
    for (let level = 1; level < view.version.levels.length; level++) {
      const files = view.version.levels[level]!;
      if (files.length > 0) out.push(new LevelCursor(files, table, reverse, bound));
    }
    return out;
  }

  // ---- pins: what may not be deleted yet ----

  pin(view: ReadView): ReadView {
    this.views.add(view);
    return view;
  }

  unpin(view: ReadView): void {
    if (this.views.delete(view)) this.deleteObsolete();
  }

  addSnapshot(seq: number): void {
    this.snapshotSeqs.set(seq, (this.snapshotSeqs.get(seq) ?? 0) + 1);
  }

  releaseSnapshot(seq: number): void {
    const n = (this.snapshotSeqs.get(seq) ?? 0) - 1;
    if (n > 0) this.snapshotSeqs.set(seq, n);
    else this.snapshotSeqs.delete(seq);
    this.deleteObsolete();
  }

  /** The oldest sequence number any reader may still ask for: versions older than what it sees can go. */
  smallestSnapshot(): number {
    let min = this.lastSeq;
    for (const seq of this.snapshotSeqs.keys()) min = Math.min(min, seq);
    for (const v of this.views) min = Math.min(min, v.seq);
    return min;
  }

  retireTables(numbers: number[]): void {
    for (const n of numbers) this.obsoleteTables.add(n);
    this.deleteObsolete();
  }

  /** A value-log file is deleted once no reader older than its rewrite remains. */
  retireVlog(file: number, afterSeq: number): void {
    this.obsoleteVlogs.push({ file, afterSeq });
    this.deleteObsolete();
  }

  deleteObsolete(): void {
    const pinned = new Set<number>();
    for (const v of this.views) for (const f of v.version.files()) pinned.add(f.number);
    for (const n of this.obsoleteTables) {
      if (pinned.has(n)) continue;
      this.tables.get(n)?.close();
      this.tables.delete(n);
      this.obsoleteTables.delete(n);
      unlinkQuietly(join(this.dir, tableName(n)));
    }
    const oldest = this.smallestSnapshot();
    for (let i = this.obsoleteVlogs.length - 1; i >= 0; i--) {
      const { file, afterSeq } = this.obsoleteVlogs[i]!;
      if (oldest < afterSeq) continue;
      this.vlogs.get(file)?.close();
      this.vlogs.delete(file);
      this.obsoleteVlogs.splice(i, 1);
      unlinkQuietly(join(this.dir, vlogName(file)));
    }
  }
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
