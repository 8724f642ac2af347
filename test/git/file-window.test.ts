/** The pack reader's file window: the bytes asked for, wherever they lie, and reads of the file counted. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileWindow, type PackFile } from '../../src/git/pack/file-window.js';
import { tempDir } from '../../support/temp-dir.js';

test('reads come from cached aligned blocks: a scan reads each block once, jumps back hit blocks kept, the oldest goes first', async () => {
  const dir = tempDir('govc-file-window-');
  try {
    const bytes = randomBytes(64 << 10);
    const path = join(dir.path, 'f');
    writeFileSync(path, bytes);
    const handle = await open(path, 'r');
    const reads: Array<[number, number]> = [];
    const file: PackFile = {
      fd: handle.fd,
      read: (b, o, l, p) => (reads.push([p, l]), handle.read(b, o, l, p)),
      close: () => handle.close(),
    };
    const window = new FileWindow(file, bytes.length, 4096, 3);
    try {
      // A forward scan: one read per block, reads across a block boundary included.
      for (let at = 0; at < 12_000; at += 100) assert.deepEqual(await window.read(at, 100), bytes.subarray(at, at + 100));
      assert.deepEqual(reads, [[0, 4096], [4096, 4096], [8192, 4096]]);
      reads.length = 0;
      // A jump back into a kept block reads nothing.
      assert.deepEqual(await window.read(10, 50), bytes.subarray(10, 60));
      assert.deepEqual(reads, []);
      // A fourth block evicts the least recently used (block 1: block 0 was just read).
      assert.deepEqual(await window.read(20_000, 50), bytes.subarray(20_000, 20_050));
      assert.deepEqual(await window.read(10, 50), bytes.subarray(10, 60));
      assert.deepEqual(await window.read(5000, 50), bytes.subarray(5000, 5050));
      assert.deepEqual(reads, [[16_384, 4096], [4096, 4096]]);
      reads.length = 0;
      // A read larger than a block goes straight to the file.
      assert.deepEqual(await window.read(30_000, 10_000), bytes.subarray(30_000, 40_000));
      assert.deepEqual(reads, [[30_000, 10_000]]);
      // Owned bytes are copies: they stay as they were after blocks are evicted and reused.
      const owned = await window.readOwned(12_010, 20);
      const across = await window.readOwned(4090, 20);
      for (let at = 40_000; at < 60_000; at += 4096) await window.read(at, 10);
      assert.deepEqual(owned, bytes.subarray(12_010, 12_030));
      assert.deepEqual(across, bytes.subarray(4090, 4110));
      assert.notEqual(owned.buffer.byteLength, 4096, 'an owned read does not pin its block');
      // The end of the file cuts a read short; past it there is nothing, before it an error.
      assert.deepEqual(await window.read(bytes.length - 10, 100), bytes.subarray(bytes.length - 10));
      assert.equal((await window.read(bytes.length + 5, 100)).length, 0);
      await assert.rejects(window.read(-1, 10), RangeError);
    } finally {
      await file.close();
    }
  } finally {
    dir.remove();
  }
});
