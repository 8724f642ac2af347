/** The operations `govc datastore bench` measures, in the order it runs them. */
export const BENCH_OPS = ['put', 'get', 'has', 'batch_put_1000', 'list', 'ref_cas', 'metadata_query', 'transaction'] as const;
export type BenchOp = (typeof BENCH_OPS)[number];

/** Objects per batch in the batch_put_1000 phase. */
export const BATCH_SIZE = 1000;
/** Object ids per page in the list phase. */
export const LIST_PAGE = 100;
/** Cap on the ref, metadata and transaction phases: enough samples for a stable p99 without making large runs slow. */
export const SECONDARY_CAP = 10_000;
/** Cap on the number of batches: 100 batches already give 100,000 extra objects. */
export const BATCH_CAP = 100;

/** How many timed operations each phase runs for a bench of `objects` objects. */
export function opCounts(objects: number): Record<BenchOp, number> {
  const secondary = Math.min(objects, SECONDARY_CAP);
  return {
    put: objects,
    get: objects,
    has: objects,
    batch_put_1000: Math.max(1, Math.min(BATCH_CAP, Math.floor(objects / BATCH_SIZE))),
    list: Math.ceil(objects / LIST_PAGE),
    ref_cas: secondary,
    metadata_query: secondary,
    transaction: secondary,
  };
}

/** Objects a run writes in total (put, batches, one per transaction): each needs a distinct blob. */
export function blobsNeeded(objects: number): number {
  const counts = opCounts(objects);
  return counts.put + counts.batch_put_1000 * BATCH_SIZE + counts.transaction;
}

/**
 * The plan's "Performance Requirements" target for each op, in ms (null: the
 * plan sets none). Object Read is 0.5 ms from cache (the memory store) and
 * 5 ms from disk (every other store).
 */
export function planTargetMs(op: BenchOp, storeType: string): number | null {
  switch (op) {
    case 'put':
      return 1;
    case 'get':
      return storeType === 'memory' ? 0.5 : 5;
    case 'batch_put_1000':
      return 100;
    case 'metadata_query':
      return 10;
    case 'transaction':
      return 50;
    case 'has':
    case 'list':
    case 'ref_cas':
      return null;
  }
}

/** One line per op for the help text and the table's footnote. */
export const OP_DESCRIPTIONS: Record<BenchOp, string> = {
  put: 'putObject of one new blob',
  get: 'getObject of a blob from the put phase, in random order',
  has: 'hasObject of a blob from the put phase, in random order',
  batch_put_1000: `putObjects of ${BATCH_SIZE} new blobs in one atomic write`,
  list: `one page of ${LIST_PAGE} object ids (listObjectsPage), walking the store by cursor`,
  ref_cas: 'updateRefs moving one branch with compare-and-swap on its old value',
  metadata_query: 'queryEvents: the 20 newest "push" events of one of 100 repositories',
  transaction: 'transaction: put a blob, move a branch (CAS), log an audit event, commit',
};

/** A random permutation of 0..n-1 (Fisher-Yates), so reads do not follow write order. */
export function shuffled(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}
