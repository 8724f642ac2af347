/**
 * SIGKILL crash test: a child process writes batches while flushes,
 * compactions and value-log GC run; it is killed at a random moment; the
 * directory must then open (taking over the dead process's lock) and hold
 * exactly the acknowledged batches, plus possibly the one in flight, whole or
 * not at all, with every value readable (checksums pass).
 *
 * CI runs a few cycles; GOVC_LSM_CRASH_CYCLES=100 runs the full test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { LsmDb } from '../../src/lsm/index.js';
import { applyTo, CRASH_OPTIONS, crashBatch } from './crash-ops.js';
import { freshDir, prng } from './helpers.js';

const CYCLES = Number(process.env.GOVC_LSM_CRASH_CYCLES ?? 4);
const SEED = Number(process.env.GOVC_LSM_CRASH_SEED ?? 4242);
const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

/**
 * Runs the child until `killAfterMs` past its first ack, SIGKILLs it, and returns the last acknowledged batch
 * (-1 for none) with what ran in the background at that ack (flags f, c, g; see crash-child.ts).
 */
function runAndKill(dir: string, cycle: number, killAfterMs: number): Promise<{ last: number; activity: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(SEED), String(cycle)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!timer && out.includes('ack ')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // 'close', not 'exit': at 'exit' the last acks may still be unread in the stdout pipe.
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`crash child exited by itself (${code}): ${err}`));
      const acks = [...out.matchAll(/^ack (\d+) ([fcg]*)-$/gm)];
      acks.forEach((a, i) => assert.equal(Number(a[1]), i, 'acks arrive in order'));
      resolve({ last: acks.length - 1, activity: acks.at(-1)?.[2] ?? '' });
    });
  });
}

describe('lsm engine: SIGKILL crash safety', () => {
  it(`keeps every acknowledged batch, whole, over ${CYCLES} kill cycles (seed ${SEED})`, { timeout: 60_000 + CYCLES * 20_000 }, async () => {
    const dir = freshDir();
    const rand = prng(SEED);
    let model = new Map<string, string>();
    let totalAcked = 0;
    const during = { flush: 0, compaction: 0, vlogGc: 0 };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const { last, activity } = await runAndKill(dir, cycle, 30 + Math.floor(rand() * 700));
      if (activity.includes('f')) during.flush++;
      if (activity.includes('c')) during.compaction++;
      if (activity.includes('g')) during.vlogGc++;
      totalAcked += last + 1;
      const acked = new Map(model);
      for (let i = 0; i <= last; i++) applyTo(acked, crashBatch(SEED, cycle, i));
      const withInFlight = new Map(acked);
      applyTo(withInFlight, crashBatch(SEED, cycle, last + 1));
      const db = await LsmDb.open(dir, CRASH_OPTIONS);
      try {
        const got = new Map([...db.iterator()].map((e) => [e.key.toString(), e.value.toString()]));
        const same = (m: Map<string, string>) => m.size === got.size && [...m].every(([k, v]) => got.get(k) === v);
        const matched = same(acked) ? acked : same(withInFlight) ? withInFlight : undefined;
        if (!matched) {
          const missing = [...acked].filter(([k, v]) => got.get(k) !== v).slice(0, 3).map(([k]) => k);
          assert.fail(`cycle ${cycle}: after ${last + 1} acknowledged batches the store matches neither the acknowledged state nor it plus the batch in flight (first differing keys: ${missing})`);
        }
        for (const [k, v] of matched) assert.equal(db.get(Buffer.from(k))?.toString(), v, `cycle ${cycle}: get ${k}`);
        model = matched;
      } finally {
        await db.close();
      }
    }
    assert.ok(totalAcked > CYCLES, `the children acknowledged ${totalAcked} batches`);
    const report = `${CYCLES} kills, mid-write every time; at the last acknowledgement a flush ran in ${during.flush}, a compaction in ${during.compaction}, a value-log GC in ${during.vlogGc}`;
    console.log(`# ${report}`);
    // A long run must have cut every kind of background job; a short CI run need not.
    if (CYCLES >= 50) assert.ok(during.flush > 0 && during.compaction > 0 && during.vlogGc > 0, report);
  });
});
