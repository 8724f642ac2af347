/** The RocksDB store: the shared compliance suite, plus its options, lock and on-disk settings. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createStore, type DataStore } from '../../src/datastore/index.js';
import { withStore } from '../support/with-store.js';
import { describeCompliance } from '../compliance/suite.js';
import { scratchDir } from '../support/scratch.js';
import { rejectsWithCode } from '../compliance/context.js';
import { loadRocksDb } from '../../src/datastore/stores/rocksdb/binding.js';
import { RocksEngine } from '../../src/datastore/stores/rocksdb/index.js';
import { REUSED_BATCH_MAX_BYTES } from '../../src/datastore/stores/rocksdb/rocksdb-engine.js';
import { MEMTABLE_BUDGET_BYTES } from '../../src/datastore/stores/rocksdb/open-options.js';

const scratch = scratchDir('govc-rocksdb-test-');
const freshDir = () => scratch.fresh();

describeCompliance('rocksdb', {
  async freshConfig() {
    return `rocksdb://${freshDir()}`;
  },
});

/** The column family settings RocksDB wrote to its OPTIONS file: what it really runs with. */
function rocksOptionsFile(dir: string): string {
  const name = readdirSync(dir).filter((n) => n.startsWith('OPTIONS-')).sort().pop();
  assert.ok(name, `no OPTIONS file in ${dir}`);
  return readFileSync(join(dir, name), 'utf8');
}

describe('rocksdb options', () => {
  it('uses ZSTD compression and 10-bit bloom filters by default', async () => {
    const dir = freshDir();
    await withStore(`rocksdb://${dir}`, async (store) => {
      const d = (await store.healthCheck()).details;
      assert.equal(d.compression, 'zstd');
      assert.equal(d.bloomBitsPerKey, 10);
      assert.equal(d.sync, false);
      assert.equal(store.capabilities.durable, true);
      assert.equal(store.capabilities.multiProcess, false);
      assert.deepEqual(store.capabilities.isolationLevels, ['read-committed']);
    });
    const file = rocksOptionsFile(dir);
    assert.match(file, /^\s*compression=kZSTD$/m);
    assert.match(file, /filter_policy=bloomfilter:10:false/);
  });

  it('compresses from level 2 on, in small files, so a dictionary build buffers little', async () => {
    const dir = freshDir();
    await withStore(`rocksdb://${dir}`, async () => undefined);
    const file = rocksOptionsFile(dir);
    assert.match(file, /^\s*compaction_style=kCompactionStyleLevel$/m);
    assert.match(file, /^\s*compression_per_level=kNoCompression:kNoCompression:kZSTD(:kZSTD)*$/m);
    assert.match(file, new RegExp(`^\\s*write_buffer_size=${MEMTABLE_BUDGET_BYTES / 4}$`, 'm'));
    assert.match(file, new RegExp(`^\\s*target_file_size_base=${MEMTABLE_BUDGET_BYTES / 8}$`, 'm'));
  });

  it('applies compression, bloom filter bits and sync as given', async () => {
    const dir = freshDir();
    await withStore(`rocksdb://${dir}?compression=none&bloom_bits_per_key=6&sync=true&cache_size=8MB`, async (store) => {
      const d = (await store.healthCheck()).details;
      assert.equal(d.compression, 'none');
      assert.equal(d.sync, true);
      const id = await store.putObject({ type: 'blob', data: Buffer.from('synced') });
      assert.equal(await store.hasObject(id), true);
    });
    const file = rocksOptionsFile(dir);
    assert.match(file, /^\s*compression=kNoCompression$/m);
    assert.doesNotMatch(file, /^\s*compression_per_level=.*kZSTD/m);
    assert.match(file, /filter_policy=bloomfilter:6:false/);
  });

  it('refuses bad and unknown options, naming the key', async () => {
    await rejectsWithCode(createStore(`rocksdb://${freshDir()}?compression=lz4`), 'CONFIG', /compression must be one of zstd, none/);
    await rejectsWithCode(createStore(`rocksdb://${freshDir()}?bloom_bits_per_key=0`), 'CONFIG', /bloom_bits_per_key/);
    await rejectsWithCode(createStore(`rocksdb://${freshDir()}?sync=maybe`), 'CONFIG', /sync/);
    await rejectsWithCode(createStore(`rocksdb://${freshDir()}?bloom=10`), 'CONFIG', /unknown rocksdb option bloom.*known options: .*bloom_bits_per_key/);
    await rejectsWithCode(createStore({ type: 'rocksdb', connection: '' }), 'CONFIG', /directory/);
  });
});

describe('rocksdb write batches', () => {
  /** Counts the native write batches the engine makes while `fn` runs. */
  async function batchesMade(fn: (engine: RocksEngine) => Promise<void>): Promise<number> {
    const proto = loadRocksDb().RocksLevel.prototype;
    const make = proto._chainedBatch;
    let made = 0;
    proto._chainedBatch = function (this: typeof proto) {
      made++;
      return make.call(this);
    };
    const engine = new RocksEngine({ location: freshDir(), compression: 'zstd', bloomBitsPerKey: 10, cacheBytes: 8 << 20, sync: false });
    try {
      await engine.open();
      await fn(engine);
    } finally {
      proto._chainedBatch = make;
      await engine.close();
    }
    return made;
  }

  it('reuses one native batch for every write, each write seeing only its own ops', async () => {
    const made = await batchesMade(async (engine) => {
      const k = (i: number) => Buffer.from(`k${i}`);
      for (let i = 0; i < 50; i++) await engine.batch([{ type: 'put', key: k(i), value: Buffer.from(`v${i}`) }]);
      await engine.batch([{ type: 'del', key: k(0) }]);
      await engine.transact((r) => ({ ops: [{ type: 'put', key: k(1), value: Buffer.from(`${r.get(k(1))}!`) }], result: undefined }));
      assert.deepEqual(
        (await engine.getMany([k(0), k(1), k(49)])).map((v) => v?.toString()),
        [undefined, 'v1!', 'v49'],
      );
    });
    assert.equal(made, 1);
  });

  it('lets go of a batch whose write was larger than it keeps, and a failed write leaves the next clean', async () => {
    const made = await batchesMade(async (engine) => {
      await engine.batch([{ type: 'put', key: Buffer.from('big'), value: Buffer.alloc(REUSED_BATCH_MAX_BYTES + 1) }]);
      await engine.batch([{ type: 'put', key: Buffer.from('small'), value: Buffer.from('s') }]);
      await assert.rejects(engine.batch([{ type: 'put', key: Buffer.from('half'), value: Buffer.from('h') }, { type: 'put', key: Buffer.alloc(0), value: null as never }]));
      await engine.batch([{ type: 'put', key: Buffer.from('after'), value: Buffer.from('a') }]);
      assert.deepEqual(
        (await engine.getMany([Buffer.from('big'), Buffer.from('half'), Buffer.from('after')])).map((v) => v?.byteLength),
        [REUSED_BATCH_MAX_BYTES + 1, undefined, 1],
      );
    });
    assert.equal(made, 2);
  });
});

describe('rocksdb process lock', () => {
  it('refuses a second open of the same directory with CONNECTION, saying why', async () => {
    const uri = `rocksdb://${freshDir()}`;
    await withStore(uri, async (store) => {
      await store.setConfig('k', 'v');
      await rejectsWithCode(createStore(uri), 'CONNECTION', /another process .* has it open/);
    });
    // Released on close: the next open works and sees the data.
    await withStore(uri, async (store) => assert.equal(await store.getConfig('k'), 'v'));
  });
});
