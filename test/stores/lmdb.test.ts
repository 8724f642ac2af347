/** The LMDB store: the shared compliance suite, plus its options and sharing between processes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { open } from 'lmdb';
import { createStore, type DataStore } from '../../src/datastore/index.js';
import { withStore } from '../support/with-store.js';
import { describeCompliance } from '../compliance/suite.js';
import { scratchDir } from '../support/scratch.js';
import { rejectsWithCode } from '../compliance/context.js';

const scratch = scratchDir('govc-lmdb-test-');
const freshDir = () => scratch.fresh();

describeCompliance('lmdb', {
  async freshConfig() {
    return `lmdb://${freshDir()}`;
  },
});

describe('lmdb options', () => {
  it('defaults to no compression, commit-acknowledged writes and 4026-byte keys', async () => {
    await withStore(`lmdb://${freshDir()}`, async (store) => {
      const d = (await store.healthCheck()).details;
      assert.equal(d.compression, 'none');
      assert.equal(d.sync, false);
      assert.equal(d.maxKeyBytes, 4026);
      assert.equal(d.pageSize, 8192);
      assert.equal(store.capabilities.durable, true);
      assert.equal(store.capabilities.multiProcess, true);
      assert.deepEqual(store.capabilities.isolationLevels, ['read-committed']);
    });
  });

  it('compresses large values with LZ4 when asked, and reads them back intact', async () => {
    // Objects arrive deflated already; records such as a large config value are what LZ4 still shrinks.
    const text = 'compressible configuration text\n'.repeat(4000);
    const data = Buffer.from('compressible git content\n'.repeat(4000));
    const sizeOf = async (uri: string) =>
      withStore(uri, async (store) => {
        await store.setConfig('large', text);
        assert.equal(await store.getConfig('large'), text);
        const id = await store.putObject({ type: 'blob', data });
        assert.deepEqual(Buffer.from((await store.getObject(id))!.data), data);
        assert.equal((await store.statObject(id))?.size, data.length);
        return (await store.healthCheck()).details.usedBytes as number;
      });
    const plain = await sizeOf(`lmdb://${freshDir()}`);
    const compressed = await sizeOf(`lmdb://${freshDir()}?compression=lz4&compression_threshold=512`);
    assert.ok(compressed < plain / 2, `compressed store uses ${compressed} bytes, uncompressed ${plain}`);
  });

  it('refuses bad and unknown options, naming the key', async () => {
    await rejectsWithCode(createStore(`lmdb://${freshDir()}?compression=zstd`), 'CONFIG', /compression must be one of lz4, none/);
    await rejectsWithCode(createStore(`lmdb://${freshDir()}?sync=perhaps`), 'CONFIG', /sync/);
    await rejectsWithCode(createStore(`lmdb://${freshDir()}?map_size=1GB`), 'CONFIG', /unknown lmdb option map_size/);
    await rejectsWithCode(createStore({ type: 'lmdb', connection: '' }), 'CONFIG', /directory/);
  });

  it('fits the longest ref name of the longest repository id, in 3-byte characters, in one key', async () => {
    await withStore(`lmdb://${freshDir()}`, async (store) => {
      // New ids are ASCII; a restored record keeps whatever id it had, so the worst case stays possible.
      const made = await store.createRepository({ name: 'long' });
      await store.deleteRepository(made.id);
      const repo = { ...made, id: '€'.repeat(128) };
      await store.saveRepository(repo);
      const name = `refs/heads/${'€'.repeat(1024 - 'refs/heads/'.length)}`;
      const id = await store.putObject({ type: 'blob', data: Buffer.from('x') });
      await store.updateRefs(repo.id, [{ name, old: null, new: id }]);
      assert.equal((await store.getRef(repo.id, name))?.target, id);
      assert.deepEqual((await store.listRefsPage(repo.id, { prefix: 'refs/heads/€' })).items.map((r) => r.name), [name]);
    });
  });

  it('acknowledges writes after the flush with sync=true', async () => {
    await withStore(`lmdb://${freshDir()}?sync=true`, async (store) => {
      assert.equal((await store.healthCheck()).details.sync, true);
      const repo = await store.createRepository({ name: 'synced' });
      assert.equal((await store.getRepository(repo.id))?.name, 'synced');
    });
  });
});

describe('lmdb between processes', () => {
  it('checks compare-and-swap against writes another process committed', async () => {
    const dir = freshDir();
    const uri = `lmdb://${dir}`;
    await withStore(uri, async (store) => {
      const repo = await store.createRepository({ name: 'shared' });
      const a = await store.putObject({ type: 'blob', data: Buffer.from('a') });
      await store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: a }]);
      // Another process moves the ref while this store is open.
      const script = `
        const { createStore } = await import(${JSON.stringify(new URL('../../src/datastore/index.js', import.meta.url).href)});
        const s = await createStore(${JSON.stringify(uri)});
        const repo = await s.getRepositoryByName('shared');
        const b = await s.putObject({ type: 'blob', data: Buffer.from('b') });
        await s.updateRefs(repo.id, [{ name: 'refs/heads/main', old: ${JSON.stringify(a)}, new: b }]);
        await s.close();
        process.stdout.write(b);`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      const b = child.stdout;
      assert.equal((await store.getRef(repo.id, 'refs/heads/main'))?.target, b);
      await rejectsWithCode(store.updateRefs(repo.id, [{ name: 'refs/heads/main', old: a, new: a }]), 'CONFLICT');
      assert.equal(await store.hasObject(b), true);
    });
  });

  it('shares one directory between two stores of one process; closing one leaves the other working', async () => {
    const uri = `lmdb://${freshDir()}`;
    const a = await createStore(uri);
    const b = await createStore(uri);
    try {
      const repo = await a.createRepository({ name: 'two' });
      const id = await a.putObject({ type: 'blob', data: Buffer.from('two') });
      await b.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: id }]);
      await rejectsWithCode(a.updateRefs(repo.id, [{ name: 'refs/heads/main', old: null, new: id }]), 'CONFLICT');
      await a.close();
      assert.equal((await b.getRef(repo.id, 'refs/heads/main'))?.target, id);
      await b.setConfig('still', 'writable');
      assert.equal(await b.getConfig('still'), 'writable');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps its data in the plain LMDB environment any LMDB tool can open', async () => {
    const dir = freshDir();
    await withStore(`lmdb://${dir}`, async (store) => {
      await store.setConfig('visible', 'yes');
    });
    const db = open<Buffer, Buffer>({ path: dir, keyEncoding: 'binary', encoding: 'binary', pageSize: 8192 });
    try {
      assert.equal(db.get(Buffer.from('c:visible'))?.toString(), 'yes');
    } finally {
      await db.close();
    }
  });
});

