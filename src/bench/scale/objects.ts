/**
 * One repository of 1,000,000 objects: a generated history of objects/4
 * commits (each a blob, two trees and a commit, all reachable), then random
 * reads, a prefix scan and the newest 1,000 commits of `git log` at that size.
 */
import type { DataStore } from '../../datastore/store.js';
import { logCommits } from '../../git/history/log.js';
import { ObjectReader } from '../../git/store/object-reader.js';
import { Timings } from '../timings.js';
import { generateHistory } from '../suite/generate-history.js';
import { rowFromSamples, rowFromTimings } from '../suite/measure.js';
import type { BenchResult } from '../suite/result.js';

const READS = 10_000;
const GOAL_OBJECTS = 1_000_000;
const GOAL = '1,000,000+ objects in one repository';

export async function scaleObjects(store: DataStore, objects: number, tag: string, log: (line: string) => void): Promise<BenchResult[]> {
  const type = store.type;
  const base = (name: string, targetMs: number | null, note: string) => ({ group: 'scale' as const, name, store: type, targetMs, note, goal: GOAL });
  const commits = Math.ceil(objects / 4);
  let peakRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const h = await generateHistory(store, `${tag}-million`, commits, (n) => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    log(`  ${n * 4} objects written (${Math.round((n * 4 * 1000) / (performance.now() - t0))}/s)`);
  });
  const writeMs = performance.now() - t0;
  const written = h.commits * 4 + 16 * 17;
  const rows: BenchResult[] = [];
  try {
    rows.push({ ...base('scale_1m_objects_write', null, `${written.toLocaleString('en-US')} objects (${h.commits.toLocaleString('en-US')} commits) written in batches of 1000 in ${(writeMs / 1000).toFixed(0)} s; peak RSS of the writer ${Math.round(peakRss / 2 ** 20)} MiB; ops/s = objects per second`), count: written, opsPerSec: Math.round((written * 1000) / writeMs), p50Ms: null, p99Ms: null, holds: written >= GOAL_OBJECTS });

    const reads = new Timings(READS);
    for (let i = 0; i < READS; i++) {
      const id = h.mainLine.at(Math.floor(Math.random() * h.mainLine.length));
      const o = await reads.time(() => store.getObject(id));
      if (o?.type !== 'commit') throw new Error(`read of commit ${id} at scale returned ${o?.type}`);
    }
    const readRow = rowFromTimings(base('scale_1m_objects_read', 5, `getObject of a random commit among ${written.toLocaleString('en-US')} objects`), reads);
    rows.push({ ...readRow, holds: written >= GOAL_OBJECTS && readRow.p99Ms !== null && readRow.p99Ms < 5 });

    const scan = new Timings(4);
    let scanned = 0;
    for (const prefix of ['1a', '5c', '9e', 'd0']) {
      await scan.time(async () => {
        let cursor: string | undefined;
        do {
          const page = await store.listObjectsPage({ prefix, limit: 1000, cursor });
          scanned += page.items.length;
          cursor = page.nextCursor;
        } while (cursor);
      });
    }
    rows.push({ ...rowFromTimings(base('scale_1m_objects_scan_prefix', null, `every id under a 2-hex-digit prefix (about 1/256 of the objects); ${scanned} ids in 4 scans`), scan), holds: written >= GOAL_OBJECTS && scanned > 0 });

    const walk = new Timings(1);
    let seen = 0;
    await walk.time(async () => {
      for await (const _ of logCommits(new ObjectReader(store), [h.head], { limit: 1000 })) seen++;
    });
    rows.push({ ...rowFromSamples(base('scale_1m_objects_log_1000', null, `the newest ${seen} commits in git log order at this size`), walk.sorted(), (seen * 1000) / walk.summary().totalMs), holds: written >= GOAL_OBJECTS && seen === Math.min(1000, h.commits) });
  } finally {
    await store.deleteRepository(h.repositoryId).catch(() => undefined);
  }
  return rows;
}
