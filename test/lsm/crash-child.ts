/**
 * Child process of the SIGKILL crash test: writes batches forever (with
 * value-log GC passes in between), printing "ack <i>" only after batch i was
 * acknowledged, with what ran in the background then (f: flush, c:
 * compaction, g: value-log GC). The parent kills it at a random moment:
 * mid-write, mid-flush, mid-compaction or mid-GC.
 */
import { LsmDb } from '../../src/lsm/index.js';
import { CRASH_OPTIONS, crashBatch, toWriteOps } from './crash-ops.js';

const [dir, seed, cycle] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const db = await LsmDb.open(dir, CRASH_OPTIONS);
for (let i = 0; ; i++) {
  await db.write(toWriteOps(crashBatch(seed, cycle, i)));
  const a = db.activity();
  process.stdout.write(`ack ${i} ${a.flush ? 'f' : ''}${a.compaction ? 'c' : ''}${a.vlogGc ? 'g' : ''}-\n`);
  if (i % 150 === 149) void db.gcValueLog(0.3);
}
