/** Compression: what it stores for large and small values, objects left as they are, corrupt values refused by name. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createStore } from '../../src/datastore/index.js';
import type { ForwardingDriver } from '../../src/datastore/forwarding-driver.js';
import { wholeEntry } from '../../src/datastore/objects/encoding.js';
import { rejectsWithCode } from '../compliance/context.js';

it('compresses large values where it pays, leaves small ones and objects as they are, and refuses a corrupt one by name', async () => {
  for (const type of ['gzip', 'brotli']) {
    const store = await createStore(`memory://?compression.type=${type}&compression.threshold=256`);
    const below = (store.driver as ForwardingDriver).wrapped;
    try {
      const large = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ path: `src/dir/file-${i}.ts`, mode: '100644' })));
      await store.setConfig('large', large);
      await store.setConfig('small', 'short value');
      await store.setConfig('marked', '\u0001z looks like a compressed value');
      const repo = await store.createRepository({ name: 'r', metadata: { files: large } });
      const stored = (await below.getConfig('large'))!;
      assert.ok(stored.startsWith('\u0001z') && stored.length < large.length / 4, `${type}: ${large.length} bytes stored as ${stored.length}`);
      assert.equal(await below.getConfig('small'), 'short value');
      assert.equal(await store.getConfig('large'), large);
      assert.equal(await store.getConfig('marked'), '\u0001z looks like a compressed value');
      assert.deepEqual((await store.getRepository(repo.id))!.metadata, { files: large });
      assert.ok(JSON.stringify((await below.getRepository(repo.id))!.metadata).length < large.length / 4);

      const data = Buffer.from('an object is deflated once, by its entry\n'.repeat(50));
      const id = await store.putObject({ type: 'blob', data });
      assert.deepEqual(Buffer.from((await below.getEntries([id])).get(id)!.bytes), wholeEntry(id, 'blob', data).bytes);

      await below.write([{ op: 'setConfig', key: 'large', value: stored.slice(0, 40) }]);
      await rejectsWithCode(store.getConfig('large'), 'INVALID_DATA', /config large: the stored compressed value does not decompress/);
    } finally {
      await store.close();
    }
  }
  await rejectsWithCode(createStore('memory://?compression.type=gzip&compression.level=12'), 'CONFIG', /level must be an integer from 1 to 9/);
});
