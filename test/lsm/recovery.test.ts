/**
 * Recovery and checksums: a reopen keeps everything; a torn WAL tail loses
 * only the write it cut; files an interrupted job left behind are removed;
 * a flipped byte in a table block or a value-log record is reported as
 * INVALID_DATA, never returned as data.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LsmDb } from '../../src/lsm/index.js';
import { withStore } from '../support/with-store.js';
import { rejectsWithCode } from '../compliance/context.js';
import { b, freshDir, SMALL, text } from './helpers.js';

const filesOf = (dir: string, ext: string) => readdirSync(dir).filter((n) => n.endsWith(ext)).sort();
const invalidData = (err: { code?: string; message?: string }) => err.code === 'INVALID_DATA' && /checksum|corrupt/.test(err.message ?? '');

function flipByte(path: string, at: number): void {
  const buf = readFileSync(path);
  buf[at] = buf[at]! ^ 0x5a;
  writeFileSync(path, buf);
}

describe('lsm engine: recovery', () => {
  it('reopens with every write, from tables and from the WAL, and a clean directory', async () => {
    const dir = freshDir();
    let db = await LsmDb.open(dir, SMALL);
    for (let i = 0; i < 2000; i++) await db.put(b(`k${i}`), b(`v${i}`.repeat(i % 7 === 0 ? 60 : 1)));
    for (let i = 0; i < 2000; i += 5) await db.delete(b(`k${i}`));
    await db.close();
    db = await LsmDb.open(dir, SMALL);
    for (let i = 0; i < 2000; i++) assert.equal(text(db.get(b(`k${i}`))), i % 5 === 0 ? undefined : `v${i}`.repeat(i % 7 === 0 ? 60 : 1));
    await db.close();
    const names = readdirSync(dir);
    assert.ok(names.every((n) => /^(\d{6}\.(sst|wal|vlog)|MANIFEST-\d{6}|CURRENT)$/.test(n)), `only live files: ${names}`);
    assert.equal(names.filter((n) => n.startsWith('MANIFEST-')).length, 1);
  });

  it('drops a torn WAL tail (the unacknowledged write) and keeps everything before it', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, { ...SMALL, memtableBytes: 1024 ** 2 });
    for (let i = 0; i < 100; i++) await db.put(b(`k${i}`), b(`v${i}`));
    const wal = join(dir, filesOf(dir, '.wal').pop()!);
    await db.close();
    // Close leaves the WAL as is; cut the last record in half and add garbage, as a crash mid-append would.
    truncateSync(wal, statSync(wal).size - 5);
    appendFileSync(wal, Buffer.from([1, 2, 3]));
    const again = await LsmDb.open(dir, SMALL);
    for (let i = 0; i < 99; i++) assert.equal(text(again.get(b(`k${i}`))), `v${i}`);
    assert.equal(again.get(b('k99')), undefined);
    await again.put(b('after'), b('x'));
    await again.close();
    const third = await LsmDb.open(dir, SMALL);
    assert.equal(text(third.get(b('after'))), 'x');
    assert.equal(text(third.get(b('k98'))), 'v98');
    await third.close();
  });

  it('removes the outputs of an interrupted job and ignores a torn manifest edit', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, SMALL);
    await db.put(b('k'), b('v'));
    await db.close();
    // An SST no version references (a flush killed before its manifest edit), and half an edit.
    writeFileSync(join(dir, '999990.sst'), 'partial table');
    writeFileSync(join(dir, '999991.vlog'), 'partial value log');
    const manifest = join(dir, readdirSync(dir).find((n) => n.startsWith('MANIFEST-'))!);
    appendFileSync(manifest, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));
    const again = await LsmDb.open(dir, SMALL);
    assert.equal(text(again.get(b('k'))), 'v');
    assert.ok(!readdirSync(dir).includes('999990.sst') && !readdirSync(dir).includes('999991.vlog'));
    // New file numbers start past every number seen in the directory.
    await again.flush();
    assert.ok(filesOf(dir, '.sst').some((n) => Number(n.slice(0, 6)) > 999991));
    await again.close();
  });

  it('reports a corrupt table block as INVALID_DATA on get and scan, never as data', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, { ...SMALL, compression: 'none' });
    for (let i = 0; i < 500; i++) await db.put(b(`key${String(i).padStart(4, '0')}`), b(`value${i}`));
    await db.flush();
    await db.close();
    const sst = join(dir, filesOf(dir, '.sst')[0]!);
    flipByte(sst, 100);
    const again = await LsmDb.open(dir, SMALL);
    assert.throws(() => again.get(b('key0003')), invalidData);
    assert.throws(() => [...again.iterator()], invalidData);
    // Keys in other blocks still read.
    assert.equal(text(again.get(b('key0499'))), 'value499');
    await again.close();
  });

  it('reports a corrupt table index or footer when the table opens', async () => {
    const dir = freshDir();
    const db = await LsmDb.open(dir, SMALL);
    for (let i = 0; i < 50; i++) await db.put(b(`k${i}`), b(`v${i}`));
    await db.flush();
    await db.close();
    const sst = join(dir, filesOf(dir, '.sst')[0]!);
    flipByte(sst, statSync(sst).size - 40);
    await assert.rejects(LsmDb.open(dir, SMALL), invalidData);
  });

  it('reports a corrupt value-log record as INVALID_DATA, through the lsm:// store too', async () => {
    const dir = freshDir();
    const big = randomBytes(10_000);
    let id = '';
    await withStore(`lsm://${dir}`, async (store) => {
      id = await store.putObject({ type: 'blob', data: big });
    });
    const vlog = filesOf(dir, '.vlog').map((n) => join(dir, n)).find((p) => statSync(p).size > 10_000)!;
    flipByte(vlog, 5000);
    await withStore(`lsm://${dir}`, async (store) => {
      await rejectsWithCode(store.getObject(id), 'INVALID_DATA', /value log record checksum mismatch/);
    });
  });
});
