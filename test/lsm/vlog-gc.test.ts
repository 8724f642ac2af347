/** Key-value separation and value-log GC: large values go to the value log; garbage is rewritten away, never under a snapshot that still reads it. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LsmDb } from '../../src/lsm/index.js';
import { b, freshDir, SMALL, text } from './helpers.js';

const vlogFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.vlog')).sort();
const big = (tag: string, i: number) => `${tag}${i}:`.padEnd(2000, String.fromCharCode(97 + (i % 26)));

describe('lsm engine: value log', () => {
  it('keeps values over the threshold in the value log and small ones in the tree', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, SMALL);
    try {
      await db.put(b('small'), b('tiny'));
      await db.put(b('large'), b(big('x', 1)));
      const s = db.stats();
      assert.ok(s.vlogBytes >= 2000 && s.vlogBytes < 2100, `value log grew by ${s.vlogBytes}`);
      assert.equal(text(db.get(b('large'))), big('x', 1));
      assert.deepEqual([...db.iterator({ keysOnly: true })].map((e) => [text(e.key), e.value.length]), [['large', 0], ['small', 4]]);
    } finally {
      await db.close();
    }
  });

  it('rewrites mostly-dead value-log files and deletes them, only once no snapshot reads them', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, { ...SMALL, vlogFileBytes: 64 * 1024, vlogGcDiscardRatio: 2 });
    try {
      for (let i = 0; i < 200; i++) await db.put(b(`k${i}`), b(big('old', i)));
      const oldFiles = vlogFiles(dir);
      assert.ok(oldFiles.length >= 5);
      const snap = db.snapshot();
      for (let i = 0; i < 200; i++) {
        if (i % 2 === 0) await db.delete(b(`k${i}`));
        else if (i % 4 === 1) await db.put(b(`k${i}`), b(big('new', i)));
      }
      await db.compactAll();
      const rewritten = await db.gcValueLog(0.3);
      assert.ok(rewritten >= 3, `${rewritten} files rewritten`);
      // The snapshot still reads the old values: their files are kept until it is released.
      for (let i = 0; i < 200; i += 17) assert.equal(text(db.get(b(`k${i}`), snap)), big('old', i));
      assert.ok(oldFiles.every((f) => vlogFiles(dir).includes(f)));
      snap.release();
      const after = vlogFiles(dir);
      assert.ok(oldFiles.filter((f) => !after.includes(f)).length >= 3, `files deleted after release: before ${oldFiles}, after ${after}`);
      for (let i = 0; i < 200; i++) {
        const want = i % 2 === 0 ? undefined : i % 4 === 1 ? big('new', i) : big('old', i);
        assert.equal(text(db.get(b(`k${i}`))), want, `k${i}`);
      }
      assert.ok(db.stats().vlogGcRewrittenBytes > 0);
    } finally {
      await db.close();
    }
    const again = await LsmDb.open(dir, SMALL);
    assert.equal(text(again.get(b('k3'))), big('old', 3));
    await again.close();
  });

  it('collects garbage in the background, from what compactions drop', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, { ...SMALL, vlogFileBytes: 32 * 1024, vlogGcDiscardRatio: 0.5 });
    try {
      for (let round = 0; round < 6; round++) for (let i = 0; i < 60; i++) await db.put(b(`k${i}`), b(big(`r${round}`, i)));
      await db.compactAll();
      for (let t = 0; t < 50 && db.stats().vlogGcRuns === 0; t++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(db.stats().vlogGcRuns > 0, 'background GC ran');
      for (let i = 0; i < 60; i++) assert.equal(text(db.get(b(`k${i}`))), big('r5', i));
    } finally {
      await db.close();
    }
  });
  it('never lets a rewrite undo a write queued before it in the same commit group', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, { ...SMALL, vlogFileBytes: 1024 });
    try {
      await db.put(b('k'), b(big('old', 1)));
      await db.put(b('seal'), b('the next group starts a new value-log file'));
      // Nothing awaits in between: the put and the rewrite of the file holding k's old value queue together.
      const put = db.put(b('k'), b(big('new', 1)));
      const gc = db.gcValueLog(0);
      await Promise.all([put, gc]);
      assert.equal(text(db.get(b('k'))), big('new', 1));
    } finally {
      await db.close();
    }
    const again = await LsmDb.open(dir, SMALL);
    assert.equal(text(again.get(b('k'))), big('new', 1));
    await again.close();
  });
});
