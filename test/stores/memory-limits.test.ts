/** Memory store specifics: the byte limit as a primary store, LRU eviction as a cache, snapshots. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createStore } from '../../src/datastore/index.js';
import { describeCompliance } from '../compliance/suite.js';

// Random bytes: objects are stored deflated, and max_size counts what is stored.
const kb = (n: number, fill: number) => ({ type: 'blob' as const, data: Buffer.concat([Buffer.from([fill]), randomBytes(n * 1024 - 1)]) });

it('refuses writes when a primary memory store is full, and keeps every byte it had', async () => {
  const store = await createStore('memory://?max_size=10KB');
  const a = await store.putObject(kb(4, 1));
  const b = await store.putObject(kb(4, 2));
  await assert.rejects(store.putObject(kb(4, 3)), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'CAPACITY');
    assert.match(err.message, /max_size/);
    return true;
  });
  // a refused batch writes none of its objects
  await assert.rejects(store.putObjects([kb(1, 4), kb(4, 5)]), { code: 'CAPACITY' });
  assert.equal((await store.metrics()).objectCount, 2);
  assert.equal(await store.hasObject(a), true);
  assert.equal(await store.hasObject(b), true);
  await store.close();
});

it('evicts least recently used objects when configured as a cache', async () => {
  const store = await createStore('memory://?max_size=10KB&mode=cache');
  const a = await store.putObject(kb(4, 1));
  const b = await store.putObject(kb(4, 2));
  await store.getObject(a); // a is now more recent than b
  const c = await store.putObject(kb(4, 3));
  assert.equal(await store.hasObject(a), true);
  assert.equal(await store.hasObject(b), false, 'b was least recently used');
  assert.equal(await store.hasObject(c), true);
  // one write larger than the whole cache is refused
  await assert.rejects(store.putObject(kb(11, 9)), { code: 'CAPACITY' });
  await store.close();
});

it('snapshots to disk on close and loads on open', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'govc-mem-')), 'snap.bin');
  const uri = `memory://${path}?persist_on_shutdown=true`;
  let store = await createStore(uri);
  const id = await store.putObject(kb(1, 7));
  const repo = await store.createRepository({ name: 'snap' });
  await store.updateRefs(repo.id, [{ name: 'refs/heads/main', new: id }]);
  await store.close();
  store = await createStore(uri);
  assert.equal((await store.getRef(repo.id, 'refs/heads/main'))?.target, id);
  assert.equal((await store.getObject(id))?.data.byteLength, 1024);
  await store.close();
});

it('explains bad memory options', async () => {
  await assert.rejects(createStore('memory://?max_size=lots'), /max_size must be a byte size/);
  await assert.rejects(createStore('memory://?mode=fast'), /mode must be one of primary, cache/);
  await assert.rejects(createStore('memory://?persist_on_shutdown=true'), /snapshot path/);
  await assert.rejects(createStore('memory://?colour=blue'), /unknown memory option colour; known options: .*max_size/);
});

const dir = mkdtempSync(join(tmpdir(), 'govc-mem-suite-'));
let n = 0;
describeCompliance('memory with snapshot', {
  freshConfig: async () => `memory://${join(dir, `s${n++}.bin`)}?persist_on_shutdown=true`,
  manyObjects: 10_000,
  largeObjectBytes: 8 * 1024 * 1024,
});
