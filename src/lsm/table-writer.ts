/**
 * Writes a merged stream of entries into new tables of one level, split at
 * `tableFileBytes` (never inside one key's versions, so levels >= 1 stay
 * non-overlapping); a flush's L0 output is one table. Flushes and compactions run it in their table worker
 * threads (table-worker.ts). Unfinished outputs are removed on failure: they
 * are in no version.
 */
import { join } from 'node:path';
import { Kind } from './coding.js';
import { survivors } from './compaction.js';
import { unlinkQuietly } from './core.js';
import type { Cursor, Entry } from './cursor.js';
import { tableName } from './files.js';
import type { LsmOptions } from './options.js';
import { TableBuilder } from './table-builder.js';
import type { FileMeta } from './version.js';
import { decodePointer } from './vlog.js';

export interface TableWriteJob {
  dir: string;
  options: LsmOptions;
  level: number;
  bottommost: boolean;
  smallestSnapshot: number;
  newFileNumber: () => number;
}

export interface TableWriteResult {
  tables: FileMeta[];
  /** Bytes of dropped value-log pointers per value-log file (garbage the value-log GC can reclaim). */
  discard: Map<number, number>;
}

export async function writeTables(input: Cursor, job: TableWriteJob): Promise<TableWriteResult> {
  const out: FileMeta[] = [];
  const discard = new Map<number, number>();
  const dropped = (e: Entry): void => {
    if (e.kind !== Kind.Pointer) return;
    const p = decodePointer(e.value);
    discard.set(p.file, (discard.get(p.file) ?? 0) + p.length);
  };
  let builder: TableBuilder | undefined;
  let number = 0;
  let lastKey: Buffer | undefined;
  const finish = async () => {
    if (!builder) return;
    const b = builder;
    builder = undefined;
    const t = await b.finish();
    out.push({ number, level: job.level, size: t.size, entries: t.entries, smallest: t.smallest, largest: t.largest });
  };
  try {
    for (const e of survivors(input, job.smallestSnapshot, job.bottommost, dropped)) {
      // L0 tables overlap anyway: a flush makes one table, so an L0 compaction's batch is l0CompactionTrigger whole memtables.
      if (builder && job.level > 0 && builder.size >= job.options.tableFileBytes && !lastKey!.equals(e.key)) await finish();
      if (!builder) {
        number = job.newFileNumber();
        builder = new TableBuilder(join(job.dir, tableName(number)), job.options);
      }
      builder.add(e.key, e.seq, e.kind, e.value);
      lastKey = e.key;
    }
    await finish();
  } catch (err) {
    builder?.abandon();
    for (const f of [...out, { number }]) if (f.number) unlinkQuietly(join(job.dir, tableName(f.number)));
    throw err;
  }
  return { tables: out, discard };
}
