/** A clone's walk keeps the commits and trees it read, so sending the pack reads only the blobs again. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStore } from '../../src/datastore/builtin.js';
import type { DataStore } from '../../src/datastore/store.js';
import { importRepository } from '../../src/git/index.js';
import { KeptObjects, readInBatches } from '../../src/server/git/object-cache.js';
import { Walker } from '../../src/server/git/walk.js';
import { gitEnv, gitOk, makeRepo, tempDir } from './helpers.js';

describe('Walker keeps what it read for the pack', () => {
  const tmp = tempDir();
  const env = gitEnv(tmp.path);
  const src = join(tmp.path, 'src');
  let store: DataStore;
  let head: string;

  before(async () => {
    await gitOk(tmp.path, env, ['init', '-q', 'src']);
    await makeRepo(src, env, 6);
    head = (await gitOk(src, env, ['rev-parse', 'HEAD'])).trim();
    store = await createStore('memory://');
    await importRepository(store, src, { name: 'r' });
  });
  after(async () => {
    await store.close();
    tmp.remove();
  });

  it('reads each commit and tree once, and every object comes out in order', async () => {
    const walker = new Walker(store);
    const sending = await walker.objectsToSend([head], []);
    const ids = sending.map((o) => o.id);
    const requested: string[] = [];
    const getObjects = store.getObjects.bind(store);
    store.getObjects = (wanted: string[]) => {
      requested.push(...wanted);
      return getObjects(wanted);
    };
    try {
      const out: string[] = [];
      for await (const [id, obj] of readInBatches(store, ids, 4, walker.kept)) {
        out.push(id);
        assert.equal(obj.type, sending[out.length - 1].type);
      }
      assert.deepEqual(out, ids);
      const blobs = sending.filter((o) => o.type === 'blob').map((o) => o.id);
      assert.deepEqual(requested.sort(), [...blobs].sort());
      assert.ok(blobs.length > 0 && blobs.length < ids.length);
    } finally {
      store.getObjects = getObjects;
    }
  });

  it('keeps nothing before a walk starts it, and nothing past its budget', () => {
    const kept = new KeptObjects(10);
    const obj = { type: 'blob' as const, data: Buffer.alloc(6) };
    kept.keep('a', obj);
    assert.equal(kept.take('a'), undefined);
    kept.start();
    kept.keep('a', obj);
    kept.keep('b', obj); // over the budget
    assert.equal(kept.take('b'), undefined);
    assert.equal(kept.take('a'), obj);
    assert.equal(kept.take('a'), undefined, 'handed out once');
  });
});
