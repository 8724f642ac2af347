/**
 * The table worker thread: builds new tables off the main thread, so
 * foreground reads and writes do not wait for them. Two jobs:
 *
 *  - flush: a frozen memtable's entries, read back from its WAL file (which
 *    holds exactly the memtable's writes, checksummed), sorted, into L0;
 *  - merge: input tables into new tables of the output level (compaction).
 *
 * It only writes new files; the main thread switches the version to them
 * (one manifest edit) and retires what they replace, so a crash mid-job
 * leaves orphan files that recovery deletes. The engine runs two of these
 * workers, one for flushes and one for compactions, so a long compaction
 * never holds a flush back (and with it, the writers).
 */
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { ByteLru } from '../datastore/lru-cache.js';
import type { Block } from './block.js';
import { compareEntry } from './coding.js';
import { ArrayCursor, type Cursor, type Entry } from './cursor.js';
import { corruption, LsmError } from './errors.js';
import { tableName, walName } from './files.js';
import { readLog } from './log.js';
import { MergeCursor } from './merge.js';
import type { LsmOptions } from './options.js';
import { TableReader } from './table-reader.js';
import { writeTables, type TableWriteResult } from './table-writer.js';
import type { FileMeta } from './version.js';
import { decodeBatch } from './wal.js';

interface JobBase {
  id: number;
  dir: string;
  options: LsmOptions;
  smallestSnapshot: number;
  /** File numbers reserved for the outputs by the main thread (which owns the counter). */
  numbers: number[];
}

export interface MergeRequest extends JobBase {
  job: 'merge';
  /** Input table numbers, newest source first (the MergeCursor's tie order). */
  inputs: number[];
  level: number;
  bottommost: boolean;
}

export interface FlushRequest extends JobBase {
  job: 'flush';
  /** The memtable's WAL file, and how many entries the memtable holds (a check that the two agree). */
  wal: number;
  entries: number;
}

export type TableJob = MergeRequest | FlushRequest;

export type TableJobReply =
  | { id: number; tables: FileMeta[]; discard: Array<[number, number]> }
  | { id: number; error: { message: string; code?: string; details?: Record<string, unknown> } };

/** A frozen memtable's entries in internal order, from its WAL. */
function walEntries(req: FlushRequest): Cursor {
  const path = join(req.dir, walName(req.wal));
  const log = readLog(path);
  if (log.validBytes !== log.fileBytes) throw corruption(`WAL ${walName(req.wal)} of a frozen memtable has a bad record at byte ${log.validBytes}`, { file: path });
  const entries: Entry[] = [];
  for (const rec of log.records) {
    const batch = decodeBatch(rec, { file: path });
    let seq = batch.seq;
    for (const op of batch.ops) entries.push({ key: op.key, seq: seq++, kind: op.kind, value: op.value });
  }
  if (entries.length !== req.entries) {
    throw corruption(`WAL ${walName(req.wal)} holds ${entries.length} entries but its memtable ${req.entries}`, { file: path });
  }
  entries.sort((a, b) => compareEntry(a.key, a.seq, b.key, b.seq));
  return new ArrayCursor(entries);
}

async function run(req: TableJob): Promise<TableWriteResult> {
  const numbers = req.numbers.slice();
  const write = (input: Cursor, level: number, bottommost: boolean) =>
    writeTables(input, {
      dir: req.dir,
      options: req.options,
      level,
      bottommost,
      smallestSnapshot: req.smallestSnapshot,
      newFileNumber: () => {
        const n = numbers.shift();
        if (n === undefined) throw new Error(`lsm ${req.job} ran out of reserved file numbers`);
        return n;
      },
    });
  if (req.job === 'flush') return write(walEntries(req), 0, false);
  // A cache that never keeps anything: compaction reads every block once.
  const cache = new ByteLru<number, Block>(0);
  const tables = req.inputs.map((n) => new TableReader(join(req.dir, tableName(n)), n, cache));
  try {
    return await write(new MergeCursor(tables.map((t) => t.scanAll()), false), req.level, req.bottommost);
  } finally {
    for (const t of tables) t.close();
  }
}

parentPort!.on('message', (req: TableJob) => {
  run(req).then(
    (result) => parentPort!.postMessage({ id: req.id, tables: result.tables, discard: [...result.discard] } satisfies TableJobReply),
    (err: Error) => parentPort!.postMessage({ id: req.id, error: { message: err.message, code: (err as LsmError).code, details: (err as LsmError).details } } satisfies TableJobReply),
  );
});
