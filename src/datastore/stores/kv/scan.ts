/** Range building and the index-then-record scan shared by every list. */
import type { Bytes, KvEngine, KvRange } from './engine.js';
import { compareBytes, prefixEnd, toBuffer } from './keys.js';

/** The range of keys starting with `prefix`, strictly after `after` when that is further on. */
export function prefixRange(prefix: Buffer, after?: Buffer): KvRange {
  const range: KvRange = { lt: prefixEnd(prefix) };
  if (after !== undefined && compareBytes(after, prefix) >= 0) range.gt = after;
  else range.gte = prefix;
  return range;
}

/** Records fetched for a batch of index entries, in the same order; undefined = gone meanwhile. */
export type Fetch<T> = (entries: Array<{ key: Bytes; value: Bytes }>) => Promise<Array<T | undefined>>;

export interface JoinScan<T> {
  range: KvRange;
  fetch: Fetch<T>;
  /** Post-filter on the fetched record; absent = every index entry matches (the index covers the query). */
  accept?: (record: T) => boolean;
  offset: number;
  limit: number;
}

const MAX_BATCH = 256;

/**
 * Walks an index range and fetches the records it points at in batches,
 * reading no further than the page needs: when the index covers the query,
 * the offset is skipped on keys alone and the engine is asked for exactly
 * offset + limit entries.
 */
export async function joinScan<T>(engine: KvEngine, scan: JoinScan<T>): Promise<T[]> {
  const { offset, limit, accept } = scan;
  const covered = accept === undefined;
  const range: KvRange = covered ? { ...scan.range, limit: offset + limit } : scan.range;
  const out: T[] = [];
  let skipped = 0;
  let batch: Array<{ key: Bytes; value: Bytes }> = [];
  let batchSize = Math.min(Math.max(limit, 16), MAX_BATCH);

  const drain = async (): Promise<boolean> => {
    const records = await scan.fetch(batch);
    batch = [];
    batchSize = MAX_BATCH;
    for (const r of records) {
      if (r === undefined || (accept && !accept(r))) continue;
      if (skipped < offset) {
        skipped++;
        continue;
      }
      out.push(r);
      if (out.length >= limit) return true;
    }
    return false;
  };

  for await (const chunk of engine.scan(range)) {
    for (const entry of chunk) {
      if (covered && skipped < offset) {
        skipped++;
        continue;
      }
      batch.push(entry);
      if (batch.length >= (covered ? limit - out.length : batchSize) && (await drain())) return out;
    }
  }
  if (batch.length > 0) await drain();
  return out;
}

export function utf8(b: Bytes): string {
  return toBuffer(b).toString('utf8');
}
