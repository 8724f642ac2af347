/** Compaction invariants: sorted non-overlapping levels, bounded L0, levels within their targets, tombstones dropped at the bottom, snapshots honoured. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LsmDb } from '../../src/lsm/index.js';
import { levelTarget, DEFAULT_OPTIONS } from '../../src/lsm/options.js';
import { b, freshDir, prng, SMALL, text } from './helpers.js';

function assertLevelsSorted(db: LsmDb): void {
  db.levels().forEach((files, level) => {
    for (const f of files) assert.ok(Buffer.compare(f.smallest, f.largest) <= 0, `L${level} table ${f.number} range`);
    if (level === 0) return;
    for (let i = 1; i < files.length; i++) {
      assert.ok(Buffer.compare(files[i - 1]!.largest, files[i]!.smallest) < 0, `L${level} tables ${files[i - 1]!.number} and ${files[i]!.number} overlap`);
    }
  });
}

describe('lsm engine: leveled compaction', () => {
  it('keeps every level sorted and within its target, and L0 below its trigger, under random overwrites', async () => {
    const db = await LsmDb.open(freshDir(), SMALL);
    const rand = prng(7);
    const model = new Map<string, string>();
    try {
      for (let i = 0; i < 6000; i++) {
        const k = `k${String(Math.floor(rand() * 3000)).padStart(5, '0')}`;
        if (rand() < 0.2) {
          await db.delete(b(k));
          model.delete(k);
        } else {
          const v = `v${i}:` + Array.from({ length: 20 + Math.floor(rand() * 150) }, () => String.fromCharCode(33 + Math.floor(rand() * 90))).join('');
          await db.put(b(k), b(v));
          model.set(k, v);
        }
        if (i % 1000 === 999) assertLevelsSorted(db);
      }
      await db.waitForBackground();
      assertLevelsSorted(db);
      const opts = { ...DEFAULT_OPTIONS, ...SMALL };
      const levels = db.levels();
      assert.ok(levels[0]!.length < opts.l0CompactionTrigger, `L0 has ${levels[0]!.length} tables`);
      for (let l = 1; l < levels.length - 1; l++) {
        const bytes = levels[l]!.reduce((n, f) => n + f.size, 0);
        assert.ok(bytes < levelTarget(opts, l), `L${l} holds ${bytes} bytes, over its target`);
      }
      assert.ok(levels.filter((files) => files.length > 0).length >= 2, 'data reached at least two levels');
      for (const [k, v] of model) assert.equal(text(db.get(b(k))), v);
      assert.equal([...db.iterator()].length, model.size);
    } finally {
      await db.close();
    }
  });

  it('drops shadowed versions and tombstones at the bottom level, but keeps what a snapshot still sees', async () => {
    const db = await LsmDb.open(freshDir(), SMALL);
    try {
      for (let i = 0; i < 1000; i++) await db.put(b(`k${i}`), b(`first${i}`));
      const snap = db.snapshot();
      for (let i = 0; i < 1000; i++) await db.put(b(`k${i}`), b(`second${i}`));
      for (let i = 0; i < 1000; i += 2) await db.delete(b(`k${i}`));
      await db.compactAll();
      const entries = () => db.levels().flat().reduce((n, f) => n + f.entries, 0);
      // The snapshot sees the first versions: they stay, and with them the newer ones above them.
      assert.ok(entries() >= 2000, `${entries()} entries kept while the snapshot is open`);
      assert.equal(text(db.get(b('k0'), snap)), 'first0');
      assert.equal(db.get(b('k0')), undefined);
      snap.release();
      await db.compactAll();
      // Only the 500 live keys remain: no old versions, no tombstones.
      assert.equal(entries(), 500);
      assert.equal(db.levels().filter((files) => files.length > 0).length, 1);
      assert.equal(text(db.get(b('k1'))), 'second1');
      assert.equal([...db.iterator()].length, 500);
    } finally {
      await db.close();
    }
  });

  it('stalls writes while L0 is full instead of letting it grow without bound', async () => {
    const db = await LsmDb.open(freshDir(), { ...SMALL, l0CompactionTrigger: 2, l0StopTrigger: 3, maxImmutables: 1 });
    try {
      const value = Buffer.alloc(200, 'z');
      for (let i = 0; i < 3000; i++) {
        await db.put(b(`s${i}`), value);
        assert.ok(db.levels()[0]!.length <= 3, 'L0 stays within its stop trigger');
      }
      assert.ok(db.stats().stalls > 0);
    } finally {
      await db.close();
    }
  });
});
