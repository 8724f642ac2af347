/**
 * The manifest: a log of version edits. Each edit is one checksummed record
 * (JSON), appended and fsynced before the change it describes takes effect, so
 * a change is either wholly in the manifest or not at all. CURRENT names the
 * manifest in use and is replaced atomically (write, fsync, rename).
 *
 * On open the edits are replayed, then the whole state is written as the
 * first record of a fresh manifest, so the log never grows without bound.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { corruption } from './errors.js';
import { CURRENT, manifestName, writeFileAtomic, syncDir } from './files.js';
import { frameRecord, LogWriter, readLog } from './log.js';
import { Version, type FileMeta } from './version.js';

export interface VersionEdit {
  add?: FileMeta[];
  remove?: Array<{ level: number; number: number }>;
  /** WAL files below this number are no longer needed (their memtables are in tables). */
  logNumber?: number;
  nextFile?: number;
  lastSeq?: number;
  addVlog?: number[];
  removeVlog?: number[];
}

export interface ManifestState {
  version: Version;
  logNumber: number;
  nextFile: number;
  lastSeq: number;
  vlogs: Set<number>;
}

type JsonMeta = Omit<FileMeta, 'smallest' | 'largest'> & { smallest: string; largest: string };

function toJson(edit: VersionEdit): string {
  const meta = (f: FileMeta): JsonMeta => ({ ...f, smallest: f.smallest.toString('hex'), largest: f.largest.toString('hex') });
  return JSON.stringify({ ...edit, add: edit.add?.map(meta) });
}

function fromJson(text: string, where: Record<string, unknown>): VersionEdit {
  try {
    const e = JSON.parse(text) as Omit<VersionEdit, 'add'> & { add?: JsonMeta[] };
    return { ...e, add: e.add?.map((f) => ({ ...f, smallest: Buffer.from(f.smallest, 'hex'), largest: Buffer.from(f.largest, 'hex') })) };
  } catch {
    throw corruption('manifest record is not a version edit', where);
  }
}

export function applyEdit(s: ManifestState, e: VersionEdit): void {
  if (e.add || e.remove) s.version = s.version.apply(e.remove ?? [], e.add ?? []);
  if (e.logNumber !== undefined) s.logNumber = e.logNumber;
  if (e.nextFile !== undefined) s.nextFile = Math.max(s.nextFile, e.nextFile);
  if (e.lastSeq !== undefined) s.lastSeq = Math.max(s.lastSeq, e.lastSeq);
  for (const n of e.addVlog ?? []) s.vlogs.add(n);
  for (const n of e.removeVlog ?? []) s.vlogs.delete(n);
}

export class Manifest {
  private last: Promise<void> = Promise.resolve();

  private constructor(readonly number: number, private writer: LogWriter, readonly state: ManifestState) {}

  /** Replays the manifest named by CURRENT (or starts empty) and switches to a fresh one. */
  static open(dir: string, minNextFile: number): Manifest {
    const state: ManifestState = { version: new Version(), logNumber: 0, nextFile: 1, lastSeq: 0, vlogs: new Set() };
    let old: string | undefined;
    if (existsSync(join(dir, CURRENT))) {
      old = readFileSync(join(dir, CURRENT), 'utf8').trim();
      const path = join(dir, old);
      if (!/^MANIFEST-\d+$/.test(old) || !existsSync(path)) throw corruption(`CURRENT names ${JSON.stringify(old)}, which is missing`, { dir });
      const log = readLog(path);
      if (log.records.length === 0) throw corruption('manifest holds no valid record', { file: path });
      // A torn last edit was never acknowledged (its change never took effect): drop it.
      for (const r of log.records) applyEdit(state, fromJson(r.toString('utf8'), { file: path }));
    }
    // WAL numbers are not in the manifest: start past every file in the directory.
    state.nextFile = Math.max(state.nextFile, minNextFile);
    const number = state.nextFile++;
    const writer = new LogWriter(join(dir, manifestName(number)));
    const m = new Manifest(number, writer, state);
    writer.append(frameRecord(Buffer.from(toJson(m.snapshotEdit()))));
    writer.syncNow();
    writeFileAtomic(dir, CURRENT, `${manifestName(number)}\n`);
    if (old) unlinkSync(join(dir, old));
    syncDir(dir);
    return m;
  }

  private snapshotEdit(): VersionEdit {
    const s = this.state;
    return { add: s.version.files(), logNumber: s.logNumber, nextFile: s.nextFile, lastSeq: s.lastSeq, addVlog: [...s.vlogs] };
  }

  newFileNumber(): number {
    return this.state.nextFile++;
  }

  /**
   * Makes the edit durable, then applies it. Edits from the flush lane, the
   * compaction lane and the write path take effect one at a time, in the
   * order they were made (each after its own fsync).
   */
  apply(edit: VersionEdit): Promise<void> {
    const done = this.last.then(async () => {
      edit.nextFile = this.state.nextFile;
      this.writer.append(frameRecord(Buffer.from(toJson(edit))));
      await this.writer.sync();
      applyEdit(this.state, edit);
    });
    // A failed edit fails its caller (and the engine); the next edit still gets its turn.
    this.last = done.catch(() => undefined);
    return done;
  }

  close(): void {
    this.writer.close();
  }
}
