/**
 * Commands over many keys, sized for FerretDB 1.24, which hands only
 * equality filters to PostgreSQL: an $in is matched by FerretDB itself,
 * against every row the equalities leave, element by element. So a few keys
 * are best one equality command each, and many are best in $in batches (one
 * read of the rows per batch, not one per key: per key, a large write is
 * quadratic), each batch in byte order behind a range that turns most rows
 * away after two comparisons. Never many updateOne statements in one update
 * command either: FerretDB 1.24 holds a PostgreSQL connection for each until
 * the command ends, and past its pool of 50 the command waits forever.
 */

/** Up to this many keys, one command each. */
const FEW = 16;
/** Keys per $in batch. */
const BATCH = 5000;

/** A filter on one field matching a batch of keys: the range first, so FerretDB checks it first. */
export interface KeyBatch {
  $gte: string;
  $lte: string;
  $in: string[];
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** `one` per key when there are few, else `many` per batch of keys; their results together. */
export async function byKeys<R>(keys: string[], one: (key: string) => Promise<R[]>, many: (match: KeyBatch) => Promise<R[]>): Promise<R[]> {
  if (keys.length <= FEW) return (await Promise.all(keys.map(one))).flat();
  const sorted = [...keys].sort(byteOrder);
  const out: R[] = [];
  for (let i = 0; i < sorted.length; i += BATCH) {
    const batch = sorted.slice(i, i + BATCH);
    out.push(...(await many({ $gte: batch[0], $lte: batch[batch.length - 1], $in: batch })));
  }
  return out;
}
