/**
 * Opening a directory: take the lock, replay the manifest (the last complete
 * version edit wins), open its tables and value-log files, replay the WALs
 * the manifest does not cover yet into L0 tables (a torn record at the end
 * of the newest WAL is the write a crash interrupted, never acknowledged:
 * it is dropped), then delete every file no version references: outputs of
 * an interrupted flush, compaction or value-log GC, and inputs whose
 * deletion a crash cut short.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Core, unlinkQuietly } from './core.js';
import { corruption } from './errors.js';
import { manifestName, parseName, tableName, vlogName, walName } from './files.js';
import { DirLock } from './lock.js';
import { LogWriter, readLog } from './log.js';
import { Manifest } from './manifest.js';
import { Memtable } from './memtable.js';
import type { LsmOptions } from './options.js';
import { TableBuilder } from './table-builder.js';
import type { FileMeta } from './version.js';
import { VlogFile } from './vlog.js';
import { decodeBatch } from './wal.js';
import { existsSync } from 'node:fs';

async function memtableToTable(core: Core, mem: Memtable): Promise<FileMeta> {
  const number = core.manifest.newFileNumber();
  const b = new TableBuilder(join(core.dir, tableName(number)), core.options);
  for (const e of mem.entries()) b.add(e.key, e.seq, e.kind, e.value);
  const t = await b.finish();
  core.openTable(number);
  return { number, level: 0, size: t.size, entries: t.entries, smallest: t.smallest, largest: t.largest };
}

export async function openCore(dir: string, options: LsmOptions): Promise<Core> {
  mkdirSync(dir, { recursive: true });
  const lock = DirLock.acquire(dir);
  let core: Core | undefined;
  try {
    const names = readdirSync(dir);
    const parsed = names.map((name) => ({ name, ...parseName(name) }));
    const maxNumber = Math.max(0, ...parsed.map((p) => p.number ?? 0));
    const manifest = Manifest.open(dir, maxNumber + 1);
    core = new Core(dir, options, manifest, lock);
    const st = manifest.state;
    for (const f of st.version.files()) {
      if (!existsSync(join(dir, tableName(f.number)))) throw corruption(`table ${tableName(f.number)} is in the manifest but missing`, { dir });
      core.openTable(f.number);
    }
    const empties: number[] = [];
    for (const n of st.vlogs) {
      if (!existsSync(join(dir, vlogName(n)))) throw corruption(`value log ${vlogName(n)} is in the manifest but missing`, { dir });
      const v = new VlogFile(join(dir, vlogName(n)), n, false);
      if (v.size === 0) {
        v.close();
        empties.push(n);
      } else core.vlogs.set(n, v);
    }

    // Replay the WALs not yet covered by tables.
    const wals = parsed.filter((p) => p.kind === 'wal' && p.number! >= st.logNumber).sort((a, b) => a.number! - b.number!);
    let lastSeq = st.lastSeq;
    let mem = new Memtable(0);
    const flushed: FileMeta[] = [];
    for (let i = 0; i < wals.length; i++) {
      const path = join(dir, wals[i]!.name);
      const log = readLog(path);
      if (log.validBytes < log.fileBytes && i < wals.length - 1) {
        throw corruption(`WAL ${wals[i]!.name} has a bad record at byte ${log.validBytes} but is not the newest log`, { file: path });
      }
      for (const rec of log.records) {
        const batch = decodeBatch(rec, { file: path });
        let seq = batch.seq;
        for (const op of batch.ops) mem.insert(op.key, seq++, op.kind, op.value);
        lastSeq = Math.max(lastSeq, seq - 1);
      }
      if (mem.bytes >= options.memtableBytes) {
        flushed.push(await memtableToTable(core, mem));
        mem = new Memtable(0);
      }
    }
    if (mem.count > 0) flushed.push(await memtableToTable(core, mem));
    core.lastSeq = lastSeq;

    const walNumber = manifest.newFileNumber();
    core.wal = new LogWriter(join(dir, walName(walNumber)));
    core.mem = new Memtable(walNumber);
    const vlogNumber = manifest.newFileNumber();
    core.vlog = new VlogFile(join(dir, vlogName(vlogNumber)), vlogNumber, true);
    core.vlogs.set(vlogNumber, core.vlog);
    await manifest.apply({ add: flushed, logNumber: walNumber, lastSeq, addVlog: [vlogNumber], removeVlog: empties });

    // Whatever no version references is left over from an interrupted job.
    const live = new Set(st.version.files().map((f) => f.number));
    const current = manifestName(manifest.number);
    for (const p of parsed) {
      const stale =
        (p.kind === 'table' && !live.has(p.number!)) ||
        (p.kind === 'wal' && p.number! < walNumber) ||
        (p.kind === 'vlog' && !st.vlogs.has(p.number!)) ||
        (p.kind === 'manifest' && p.name !== current) ||
        p.kind === 'temp';
      if (stale) unlinkQuietly(join(dir, p.name));
    }
    return core;
  } catch (err) {
    if (core) {
      for (const t of core.tables.values()) t.close();
      for (const v of core.vlogs.values()) v.close();
      core.manifest.close();
    }
    lock.release();
    throw err;
  }
}
