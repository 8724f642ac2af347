/**
 * The pack writer reads stored entries in batches: a batch of blobs stays
 * within a byte budget however the pack orders them, so a clone of large
 * files never holds them all at once (a batch led by a commit used to take
 * every blob after it: 1.2 GB of RSS for a 1 GiB repository).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createStore } from '../../src/datastore/builtin.js';
import { writeStoredPack, type SendObject } from '../../src/git/transfer/stored-pack.js';
import { gitSync } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';

const BLOBS = 40;
const BLOB_BYTES = 1 << 20;

test('blob entries are read a bounded number of bytes at a time, and the pack is whole', async () => {
  const store = await createStore('memory://');
  try {
    const blobs = await store.putObjects(Array.from({ length: BLOBS }, () => ({ type: 'blob' as const, data: randomBytes(BLOB_BYTES) })));
    const tree = Buffer.concat(blobs.map((id, i) => Buffer.concat([Buffer.from(`100644 f${String(i).padStart(3, '0')}\0`), Buffer.from(id, 'hex')])));
    const treeId = await store.putObject({ type: 'tree', data: tree });
    const commitId = await store.putObject({ type: 'commit', data: Buffer.from(`tree ${treeId}\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n\nbig\n`) });

    let largestRead = 0;
    const getEntries = store.getEntries.bind(store);
    store.getEntries = async (ids) => {
      const found = await getEntries(ids);
      largestRead = Math.max(largestRead, [...found.values()].reduce((n, e) => n + e.bytes.byteLength, 0));
      return found;
    };
    // Pack order: the commit and tree lead, the blobs follow.
    const sending: SendObject[] = [{ id: commitId, type: 'commit' }, { id: treeId, type: 'tree' }, ...blobs.map((id) => ({ id, type: 'blob' as const }))];
    const chunks: Buffer[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
    const written = await writeStoredPack(store, sending, sink, { format: store.objectFormat, ofsDelta: true });
    assert.equal(written.count, BLOBS + 2);
    assert.ok(largestRead > 0 && largestRead <= 16 * BLOB_BYTES + (64 << 10), `one read took ${largestRead} bytes of entries (${BLOBS} blobs of ${BLOB_BYTES} stored)`);

    const dir = tempDir('govc-stored-pack-reads-');
    try {
      gitSync(dir.path, ['init', '-q', '--bare', 'r.git']);
      gitSync(`${dir.path}/r.git`, ['index-pack', '--stdin', '--strict'], { input: Buffer.concat(chunks) });
      assert.match(gitSync(`${dir.path}/r.git`, ['cat-file', '-t', commitId]), /^commit/);
    } finally {
      dir.remove();
    }
  } finally {
    await store.close();
  }
});

test('a pack that lists trees and blobs in turn (as a clone does) reads its blobs in batches, not one at a time', async () => {
  const store = await createStore('memory://');
  try {
    const sending: SendObject[] = [];
    for (let i = 0; i < 100; i++) {
      const blob = await store.putObject({ type: 'blob', data: Buffer.from(`version ${i}\n`) });
      const tree = await store.putObject({ type: 'tree', data: Buffer.concat([Buffer.from('100644 f\0'), Buffer.from(blob, 'hex')]) });
      sending.push({ id: tree, type: 'tree' }, { id: blob, type: 'blob' });
    }
    let reads = 0;
    const getEntries = store.getEntries.bind(store);
    store.getEntries = async (ids) => (reads++, getEntries(ids));
    const chunks: Buffer[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
    const written = await writeStoredPack(store, sending, sink, { format: store.objectFormat, ofsDelta: true });
    assert.equal(written.count, 200);
    // Blob batches start at 4 and double: 4 + 8 + 16 + 32 + 40 blobs.
    assert.ok(reads <= 6, `${reads} reads for 200 objects`);
    const dir = tempDir('govc-stored-pack-reads-');
    try {
      gitSync(dir.path, ['init', '-q', '--bare', 'r.git']);
      gitSync(`${dir.path}/r.git`, ['index-pack', '--stdin', '--strict'], { input: Buffer.concat(chunks) });
    } finally {
      dir.remove();
    }
  } finally {
    await store.close();
  }
});
