/**
 * repo import checks every object of a pack against the id its .idx gives
 * (on a worker thread, beside the writes): a pack that lies is refused with
 * an IntegrityError, and nothing of the slice that holds the lie is stored.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStore } from '../../src/datastore/builtin.js';
import { IntegrityError } from '../../src/datastore/errors.js';
import type { DataStore } from '../../src/datastore/store.js';
import { importRepository } from '../../src/git/index.js';
import { indexPackFile } from '../../src/git/pack/index-pack.js';
import { writePackIndex, type IndexEntry } from '../../src/git/pack/pack-index.js';
import { gitSync } from '../../support/git.js';
import { buildPack, copyDelta, objectId } from '../../support/pack-builder.js';
import { tempDir } from '../../support/temp-dir.js';

const blobs = [Buffer.from('first blob, long enough to be a delta base\n'), Buffer.from('second blob\n'), Buffer.from('third blob\n')];
const ids = blobs.map((b) => objectId('blob', b));
const deltaResult = Buffer.concat([blobs[0], Buffer.from('and more\n')]);

let root: { path: string; remove(): void };
let store: DataStore;
before(async () => {
  root = tempDir('govc-import-verify-');
  store = await createStore('memory://');
});
after(async () => {
  await store.close();
  root.remove();
});

/** A bare repository whose only pack holds the blobs and a ref-delta on the first, indexed by `lie` (the true entries -> what the .idx says). */
async function repoWithPack(name: string, lie: (entries: IndexEntry[]) => IndexEntry[] = (e) => e): Promise<string> {
  const dir = join(root.path, `${name}.git`);
  gitSync(root.path, ['init', '-q', '--bare', dir]);
  const pack = buildPack([...blobs.map((data) => ({ type: 'blob' as const, data })), { refDelta: ids[0], delta: copyDelta(blobs[0].length, blobs[0].length, Buffer.from('and more\n')) }]);
  const packPath = join(dir, 'objects', 'pack', 'pack-test.pack');
  mkdirSync(join(dir, 'objects', 'pack'), { recursive: true });
  writeFileSync(packPath, pack);
  const indexed = await indexPackFile(packPath);
  await indexed.reader.close();
  const entries = indexed.entries.map(({ id, offset, crc32 }) => ({ id, offset, crc32 }));
  writeFileSync(packPath.replace(/\.pack$/, '.idx'), writePackIndex(lie(entries), Buffer.from(indexed.checksum, 'hex')));
  return dir;
}

test('a true pack imports whole, its ref-delta resolved against its base', async () => {
  const repo = await repoWithPack('true');
  const r = await importRepository(store, repo, { name: 'true', index: false });
  assert.equal(r.objectsAdded, 4);
  for (const [i, id] of ids.entries()) assert.deepEqual((await store.getObject(id))?.data, blobs[i]);
  assert.deepEqual((await store.getObject(objectId('blob', deltaResult)))?.data, deltaResult);
});

test('an .idx that names an object by another id is refused, and none of that slice is stored', async () => {
  const forged = objectId('blob', Buffer.from('not what the pack holds\n'));
  const repo = await repoWithPack('forged', (entries) => entries.map((e) => (e.id === ids[1] ? { ...e, id: forged } : e)));
  const fresh = await createStore('memory://');
  try {
    await assert.rejects(importRepository(fresh, repo, { name: 'forged', index: false }), (err: unknown) => {
      assert.ok(err instanceof IntegrityError, String(err));
      assert.match(err.message, new RegExp(`hashes to ${ids[1]}, its index says ${forged}`));
      return true;
    });
    assert.deepEqual(await fresh.hasObjects([...ids, forged]), [false, false, false, false]);
  } finally {
    await fresh.close();
  }
});

test('a delta whose result the .idx names wrongly is refused too (resolved on the worker, then hashed)', async () => {
  const real = objectId('blob', deltaResult);
  const forged = objectId('blob', Buffer.from('some other result\n'));
  const repo = await repoWithPack('forged-delta', (entries) => entries.map((e) => (e.id === real ? { ...e, id: forged } : e)));
  const fresh = await createStore('memory://');
  try {
    await assert.rejects(importRepository(fresh, repo, { name: 'forged-delta', index: false }), (err: unknown) => {
      assert.ok(err instanceof IntegrityError, String(err));
      assert.match(err.message, new RegExp(`hashes to ${real}, its index says ${forged}`));
      return true;
    });
    assert.equal(await fresh.hasObject(forged), false);
  } finally {
    await fresh.close();
  }
});
