/**
 * Object benchmarks: write one at a time, read cold (first read after the
 * store is reopened) and warm (the same reads again), scan by id prefix, and
 * batches of 1,000 in one atomic write. Every read checks what it got.
 */
import { BlobSource } from '../blobs.js';
import { IdList } from '../../datastore/id-list.js';
import { BATCH_SIZE, planTargetMs, shuffled } from '../ops.js';
import { Timings } from '../timings.js';
import { GROUP_BENCHMARKS } from './names.js';
import type { BenchmarkGroup, SuiteContext } from './context.js';
import { rowFromTimings, skippedRow, yieldNow } from './measure.js';
import type { BenchResult } from './result.js';

/** Prefixes scanned: two hex digits each, so each scan reads about 1/256 of the objects. */
const SCAN_PREFIXES = 16;

class ObjectBenchError extends Error {}

async function readAll(ctx: SuiteContext, ids: IdList, size: number, t: Timings): Promise<void> {
  const order = shuffled(ids.length);
  for (let i = 0; i < order.length; i++) {
    const id = ids.at(order[i]);
    const found = await t.time(() => ctx.store.getObject(id));
    if (!found || found.data.byteLength !== size) throw new ObjectBenchError(`read of ${id} did not return the ${size}-byte blob written`);
    if (i % 512 === 511) await yieldNow();
  }
}

export const objectsGroup: BenchmarkGroup = {
  group: 'objects',
  names: GROUP_BENCHMARKS.objects,
  async run(ctx, wanted) {
    const { objects, objectBytes, batches } = ctx.sizes;
    const type = ctx.store.type;
    const rows: BenchResult[] = [];
    const base = (name: string, targetMs: number | null, note: string) => ({ group: 'objects' as const, name, store: type, targetMs, note });
    const blobs = new BlobSource(objectBytes);
    const ids = new IdList(objects);

    // Writes always run: the reads and scans need the objects.
    const write = new Timings(objects);
    for (let i = 0; i < objects; i++) {
      const data = blobs.next();
      ids.push(await write.time(() => ctx.store.putObject({ type: 'blob', data })));
      if (i % 512 === 511) await yieldNow();
    }
    if (wanted('object_write')) rows.push(rowFromTimings(base('object_write', planTargetMs('put', type), `putObject of one new ${objectBytes}-byte blob`), write));

    if (wanted('object_read_cold')) {
      const b = base('object_read_cold', 5, 'getObject of each blob once, in random order, right after the store was closed and reopened (the OS page cache and a server\'s own cache stay warm)');
      if (!ctx.store.capabilities.persistent) rows.push(skippedRow(b, `${type} keeps nothing across a reopen, so it has no cold read`));
      else {
        await ctx.reopen();
        const t = new Timings(objects);
        await readAll(ctx, ids, objectBytes, t);
        rows.push(rowFromTimings(b, t));
      }
    }
    if (wanted('object_read_warm')) {
      const t = new Timings(objects);
      await readAll(ctx, ids, objectBytes, t); // first pass fills caches
      const warm = new Timings(objects);
      await readAll(ctx, ids, objectBytes, warm);
      rows.push(rowFromTimings(base('object_read_warm', 0.5, 'getObject of each blob, random order, after a full read pass (the plan\'s "from cache")'), warm));
    }
    if (wanted('object_scan_prefix')) {
      const t = new Timings(SCAN_PREFIXES);
      let seen = 0;
      for (let p = 0; p < SCAN_PREFIXES; p++) {
        const prefix = (p * 16 + 3).toString(16).padStart(2, '0');
        await t.time(async () => {
          let cursor: string | undefined;
          do {
            const page = await ctx.store.listObjectsPage({ prefix, limit: 1000, cursor });
            for (const id of page.items) if (!id.startsWith(prefix)) throw new ObjectBenchError(`scan of prefix ${prefix} returned ${id}`);
            seen += page.items.length;
            cursor = page.nextCursor;
          } while (cursor);
        });
      }
      if (seen === 0 && objects >= 2_000) throw new ObjectBenchError(`${SCAN_PREFIXES} prefix scans over ${objects} objects found none`);
      rows.push(rowFromTimings(base('object_scan_prefix', null, `every object id under one 2-hex-digit prefix (listObjectsPage, pages of 1000); ${SCAN_PREFIXES} prefixes, ${seen} ids in all`), t));
    }
    if (wanted('batch_write_1000')) {
      const t = new Timings(batches);
      for (let i = 0; i < batches; i++) {
        const batch = Array.from({ length: BATCH_SIZE }, () => ({ type: 'blob' as const, data: blobs.next() }));
        const written = await t.time(() => ctx.store.putObjects(batch));
        if (written.length !== BATCH_SIZE) throw new ObjectBenchError(`batch write returned ${written.length} ids for ${BATCH_SIZE} objects`);
      }
      rows.push(rowFromTimings(base('batch_write_1000', planTargetMs('batch_put_1000', type), `putObjects of ${BATCH_SIZE} new ${objectBytes}-byte blobs in one atomic write`), t));
    }
    return rows;
  },
};
