/**
 * The compaction worker thread: merges input tables into new tables of the
 * output level (table-writer.ts) off the main thread, so foreground reads
 * and writes do not wait for the merge. It only writes new files; the main
 * thread switches the version to them (one manifest edit) and retires the
 * inputs, so a crash mid-merge leaves orphan files that recovery deletes.
 */
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { ByteLru } from '../datastore/lru-cache.js';
import type { Block } from './block.js';
import { LsmError } from './errors.js';
import { tableName } from './files.js';
import { MergeCursor } from './merge.js';
import type { LsmOptions } from './options.js';
import { TableReader } from './table-reader.js';
import { writeTables } from './table-writer.js';
import type { FileMeta } from './version.js';

export interface MergeRequest {
  id: number;
  dir: string;
  options: LsmOptions;
  /** Input table numbers, newest source first (the MergeCursor's tie order). */
  inputs: number[];
  level: number;
  bottommost: boolean;
  smallestSnapshot: number;
  /** File numbers reserved for the outputs by the main thread (which owns the counter). */
  numbers: number[];
}

export type MergeReply =
  | { id: number; tables: FileMeta[]; discard: Array<[number, number]> }
  | { id: number; error: { message: string; code?: string; details?: Record<string, unknown> } };

async function merge(req: MergeRequest): Promise<MergeReply> {
  // A cache that never keeps anything: compaction reads every block once.
  const cache = new ByteLru<number, Block>(0);
  const tables = req.inputs.map((n) => new TableReader(join(req.dir, tableName(n)), n, cache));
  try {
    const numbers = req.numbers.slice();
    const result = await writeTables(new MergeCursor(tables.map((t) => t.scanAll()), false), {
      dir: req.dir,
      options: req.options,
      level: req.level,
      bottommost: req.bottommost,
      smallestSnapshot: req.smallestSnapshot,
      newFileNumber: () => {
        const n = numbers.shift();
        if (n === undefined) throw new Error('compaction ran out of reserved file numbers');
        return n;
      },
    });
    return { id: req.id, tables: result.tables, discard: [...result.discard] };
  } finally {
    for (const t of tables) t.close();
  }
}

parentPort!.on('message', (req: MergeRequest) => {
  merge(req).then(
    (reply) => parentPort!.postMessage(reply),
    (err: Error) => parentPort!.postMessage({ id: req.id, error: { message: err.message, code: (err as LsmError).code, details: (err as LsmError).details } }),
  );
});
