/**
 * A live migration, run by `govc datastore migrate --live` while a server
 * dual-writes through a migrating store (./migrating-driver.ts): backfill,
 * then incremental passes until one finds nothing to change (a pass can race
 * a dual write; refs are written only if the target's is still what the pass
 * saw), verify, then the cut-over recorded in the target, which the server
 * picks up and starts reading from the target.
 */
import type { ProgressListener } from '../../git/progress.js';
import { ConflictError, UnsupportedError } from '../errors.js';
import type { DataStore } from '../store.js';
import { copyStore, type CopySummary } from './copy.js';
import { LIVE_POLL_MS, LIVE_STATE_KEY, LIVE_WRITER_KEY, type LiveState, type WriterMark } from './migrating-driver.js';
import { checkpointOp, readCheckpoint } from './record-ops.js';
import { verifyStores, type VerifyReport } from './verify.js';

export interface LiveOptions {
  parallel?: number;
  batchSize?: number;
  /** Incremental passes tried before giving up on a quiet one. */
  maxPasses?: number;
  onProgress?: ProgressListener;
}

export interface LiveSummary {
  backfill: CopySummary;
  passes: number;
  verify: VerifyReport;
  cutOverAt: string;
}

const quiet = (s: CopySummary) => s.deleted === 0 && Object.values(s.copied).every((n) => n === 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writerMark(target: DataStore): Promise<WriterMark | undefined> {
  return readCheckpoint<WriterMark>(target, LIVE_WRITER_KEY);
}

export async function migrateLive(source: DataStore, target: DataStore, sourceId: string, options: LiveOptions = {}): Promise<LiveSummary> {
  const mark = await writerMark(target);
  if (!mark || Date.now() - mark.at > 10 * LIVE_POLL_MS) {
    throw new UnsupportedError('no server is dual-writing into the target: start govc serve on a migrating store (type: migrating, options: source, target) first, then run --live; with no server writing, run migrate without --live');
  }
  const state = (phase: LiveState['phase']): LiveState => ({ phase, at: new Date().toISOString() });
  await target.driver.write([checkpointOp(LIVE_STATE_KEY, state('copying'))]);
  // the writers see the new round before the backfill reads anything
  await sleep(2 * LIVE_POLL_MS);
  const copy = { parallel: options.parallel, batchSize: options.batchSize, onProgress: options.onProgress };
  const backfill = await copyStore(source, target, sourceId, { ...copy, guardRefs: true });
  const maxPasses = options.maxPasses ?? 20;
  let passes = 0;
  let report: VerifyReport | undefined;
  while (passes < maxPasses) {
    passes++;
    const pass = await copyStore(source, target, sourceId, { ...copy, incremental: true, guardRefs: true });
    if (!quiet(pass)) continue;
    report = await verifyStores(source, target, { parallel: options.parallel });
    if (report.equal) break;
  }
  if (!report?.equal) throw new ConflictError(`the stores still differed after ${passes} passes (writes faster than the copy?); nothing was cut over: run migrate --live again`);
  const cutOver = state('cutover');
  await target.driver.write([checkpointOp(LIVE_STATE_KEY, cutOver)]);
  // wait for the writers to switch (each checks every LIVE_POLL_MS)
  for (const deadline = Date.now() + 20 * LIVE_POLL_MS; ; ) {
    await sleep(LIVE_POLL_MS);
    const now = await writerMark(target);
    if (now && now.missedWrites > 0) {
      throw new ConflictError(`a server missed ${now.missedWrites} writes to the target (${now.lastError ?? 'no error text'}); it keeps reading from the source: run migrate --live again`);
    }
    if (now?.reading === 'target' && now.at > Date.parse(cutOver.at)) break;
    if (Date.now() > deadline) throw new ConflictError('the cut-over is recorded, but no server has switched to the target within 10 s: is the server still running on the migrating store?');
  }
  return { backfill, passes, verify: report, cutOverAt: cutOver.at };
}
