/**
 * The raw LMDB baseline of `govc datastore bench`: the bench phases of
 * rocksdb-raw.ts (same keys, values and counts) as plain lmdb-js calls, opened
 * as the lmdb store opens its environment (binary keys and values, 8 KiB
 * pages, no compression). Compare-and-swap runs inside an lmdb-js write
 * transaction, as the store's does.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { runRawKvPhases, type BaselineOptions, type BaselineResult, type RawKv } from './rocksdb-raw.js';

export type { BaselineOptions, BaselineResult } from './rocksdb-raw.js';

export async function runLmdbBaseline(options: BaselineOptions): Promise<BaselineResult[]> {
  const dir = join(options.dir, `lmdb-raw-baseline-${randomBytes(4).toString('hex')}`);
  const db = open<Buffer, Buffer>({ path: dir, keyEncoding: 'binary', encoding: 'binary', pageSize: 8192 });
  const kv: RawKv = {
    get: (key) => db.get(key),
    getMany: (keys) => keys.map((key) => db.get(key)),
    put: async (entries) => {
      await db.transaction(() => {
        for (const [key, value] of entries) db.put(key, value);
      });
    },
    keys: (gt, lt, limit, reverse) =>
      reverse
        ? [...db.getKeys({ start: lt, end: gt, reverse: true, exclusiveStart: true, limit })]
        : [...db.getKeys({ start: gt, end: lt, exclusiveStart: true, limit })],
    checkAndPut: (key, decide) =>
      db.transaction(() => {
        const puts = decide(db.get(key));
        if (!puts) return false;
        for (const [k, v] of puts) db.put(k, v);
        return true;
      }),
  };
  try {
    return await runRawKvPhases('lmdb', kv, options);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
