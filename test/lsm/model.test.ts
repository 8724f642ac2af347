/**
 * Model-based random test: random puts (small and value-log sized), deletes,
 * batches, point reads, range scans in both directions, snapshots, flushes,
 * value-log GC, clean reopens and crash points, all checked against a Map.
 * A crash point copies the directory as it is at that instant (what SIGKILL
 * would leave: every acknowledged write is in the OS's file pages), opens the
 * copy and checks it holds exactly the acknowledged state.
 *
 * CI runs a short seeded run; GOVC_LSM_MODEL_OPS=2000000 (and GOVC_LSM_MODEL_SEED) run long.
 */
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LsmDb, type Snapshot } from '../../src/lsm/index.js';
import { b, freshDir, modelRange, prng, SMALL, text } from './helpers.js';

const OPS = Number(process.env.GOVC_LSM_MODEL_OPS ?? 6_000);
const SEED = Number(process.env.GOVC_LSM_MODEL_SEED ?? 20261202);
const KEYS = 600;

function checkAll(db: LsmDb, model: Map<string, string>, what: string, snapshot?: Snapshot): void {
  const got = [...db.iterator({ snapshot })].map((e) => [text(e.key), text(e.value)]);
  const want = modelRange(model, {});
  assert.equal(got.length, want.length, `${what}: entry count`);
  assert.deepEqual(got, want, what);
}

describe('lsm engine: model-based random test', () => {
  it(`agrees with a Map over ${OPS} random operations with reopens and crash points (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    const pick = (n: number) => Math.floor(rand() * n);
    const key = () => `key${String(pick(KEYS)).padStart(4, '0')}`;
    const value = (i: number) => (rand() < 0.15 ? `big${i}:`.padEnd(300 + pick(2000), String.fromCharCode(97 + pick(26))) : `v${i}`);
    const dir = freshDir();
    const options = { ...SMALL, vlogGcDiscardRatio: 0.3 };
    let db = await LsmDb.open(dir, options);
    const model = new Map<string, string>();
    const snapshots: Array<{ snap: Snapshot; model: Map<string, string> }> = [];
    let crashes = 0;
    let reopens = 0;
    // Background work of every instance (stats start again at each open), counted before it closes.
    const worked = { flushes: 0, compactions: 0 };
    const count = (d: LsmDb) => {
      const s = d.stats();
      worked.flushes += s.flushes;
      worked.compactions += s.compactions;
    };
    try {
      for (let i = 0; i < OPS; i++) {
        const r = rand();
        const where = `op ${i} (seed ${SEED})`;
        if (r < 0.45) {
          const k = key();
          const v = value(i);
          await db.put(b(k), b(v));
          model.set(k, v);
        } else if (r < 0.6) {
          const k = key();
          await db.delete(b(k));
          model.delete(k);
        } else if (r < 0.68) {
          const ops = Array.from({ length: 1 + pick(20) }, () => (rand() < 0.7 ? { type: 'put' as const, key: key(), value: value(i) } : { type: 'del' as const, key: key() }));
          await db.write(ops.map((op) => (op.type === 'put' ? { type: 'put', key: b(op.key), value: b(op.value) } : { type: 'del', key: b(op.key) })));
          for (const op of ops) op.type === 'put' ? model.set(op.key, op.value) : model.delete(op.key);
        } else if (r < 0.85) {
          const k = key();
          assert.equal(text(db.get(b(k))), model.get(k), `${where}: get ${k}`);
        } else if (r < 0.93) {
          const lo = key();
          const hi = key();
          const range = { [rand() < 0.5 ? 'gt' : 'gte']: lo, [rand() < 0.5 ? 'lt' : 'lte']: hi, reverse: rand() < 0.5, limit: rand() < 0.3 ? pick(30) : undefined };
          const got = [...db.iterator(Object.fromEntries(Object.entries(range).map(([k, v]) => [k, typeof v === 'string' ? b(v) : v])))].map((e) => [text(e.key), text(e.value)]);
          assert.deepEqual(got, modelRange(model, range), `${where}: range ${JSON.stringify(range)}`);
        } else if (r < 0.95) {
          if (snapshots.length < 3 && rand() < 0.6) snapshots.push({ snap: db.snapshot(), model: new Map(model) });
          else if (snapshots.length > 0) {
            const s = snapshots.splice(pick(snapshots.length), 1)[0]!;
            checkAll(db, s.model, `${where}: snapshot`, s.snap);
            s.snap.release();
          }
        } else if (r < 0.955) {
          await db.flush();
        } else if (r < 0.96) {
          await db.gcValueLog(0.3);
        } else if (r < 0.964) {
          // Crash point: the directory as a SIGKILL would leave it right now, background jobs mid-way.
          const copy = `${dir}-crash`;
          cpSync(dir, copy, { recursive: true });
          const crashed = await LsmDb.open(copy, options);
          checkAll(crashed, model, `${where}: after a crash`);
          await crashed.close();
          rmSync(copy, { recursive: true, force: true });
          crashes++;
        } else if (r < 0.966) {
          for (const s of snapshots.splice(0)) s.snap.release();
          count(db);
          await db.close();
          db = await LsmDb.open(dir, options);
          checkAll(db, model, `${where}: after reopen`);
          reopens++;
        }
      }
      checkAll(db, model, 'at the end');
      await db.waitForBackground();
      count(db);
      assert.ok(worked.flushes > 0 && worked.compactions > 0 && crashes > 0 && reopens > 0, `exercised flushes ${worked.flushes}, compactions ${worked.compactions}, crashes ${crashes}, reopens ${reopens}`);
    } finally {
      await db.close();
    }
  });
});
