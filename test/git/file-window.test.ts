/** The pack reader's file window: the bytes asked for, wherever they lie, and reads of the file counted. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileWindow, type PackFile } from '../../src/git/pack/file-window.js';
import { tempDir } from '../../support/temp-dir.js';

test('reads behind the window return their bytes without moving the window from the scan', async () => {
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
    const window = new FileWindow(file, bytes.length, 4096);
    try {
      // A forward scan: one fill per window.
      for (let at = 0; at < 12_000; at += 100) assert.deepEqual(await window.read(at, 100), bytes.subarray(at, at + 100));
      assert.deepEqual(reads, [[0, 4096], [4000, 4096], [8000, 4096]]);
      reads.length = 0;
      // A jump back reads just what it asks for; the scan goes on in the same window.
      assert.deepEqual(await window.read(10, 50), bytes.subarray(10, 60));
      assert.deepEqual(await window.read(12_000, 50), bytes.subarray(12_000, 12_050));
      assert.deepEqual(reads, [[10, 50]]);
      // Owned bytes stay as they were after later reads move the window.
      const owned = await window.readOwned(12_010, 20);
      const behind = await window.readOwned(100, 20);
      await window.read(40_000, 100);
      await window.read(200, 100);
      assert.deepEqual(owned, bytes.subarray(12_010, 12_030));
      assert.deepEqual(behind, bytes.subarray(100, 120));
      // The end of the file cuts a read short.
      assert.deepEqual(await window.read(bytes.length - 10, 100), bytes.subarray(bytes.length - 10));
    } finally {
      await file.close();
    }
  } finally {
    dir.remove();
  }
});
