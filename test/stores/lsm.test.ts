/** The lsm:// store: the shared compliance suite, plus its options and lock. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore } from '../../src/datastore/index.js';
import { withStore } from '../support/with-store.js';
import { describeCompliance } from '../compliance/suite.js';
import { rejectsWithCode } from '../compliance/context.js';

const root = mkdtempSync(join(tmpdir(), 'govc-lsm-test-'));
let counter = 0;
const freshDir = () => join(root, `db-${++counter}`);

after(() => rmSync(root, { recursive: true, force: true }));

describeCompliance('lsm', {
  async freshConfig() {
    return `lsm://${freshDir()}`;
  },
});

describe('lsm options', () => {
  it('uses lz4, 10-bit bloom filters and no fsync by default, and applies options as given', async () => {
    await withStore(`lsm://${freshDir()}`, async (store) => {
      const d = (await store.healthCheck()).details;
      assert.equal(d.compression, 'lz4');
      assert.equal(d.bloomBitsPerKey, 10);
      assert.equal(d.sync, false);
      assert.equal(store.capabilities.durable, true);
      assert.equal(store.capabilities.multiProcess, false);
    });
    await withStore(`lsm://${freshDir()}?compression=none&bloom_bits_per_key=6&sync=true&cache_size=8MB&value_threshold=1KB`, async (store) => {
      const d = (await store.healthCheck()).details;
      assert.equal(d.compression, 'none');
      assert.equal(d.bloomBitsPerKey, 6);
      assert.equal(d.sync, true);
      assert.equal(d.valueThreshold, 1024);
      const big = randomBytes(5000);
      const id = await store.putObject({ type: "blob", data: big });
      assert.deepEqual(Buffer.from((await store.getObject(id))!.data), big);
      assert.ok(((await store.healthCheck()).details.vlogBytes as number) >= 5000, 'a blob over the threshold is in the value log');
    });
  });

  it('refuses bad and unknown options, naming the key', async () => {
    await rejectsWithCode(createStore(`lsm://${freshDir()}?compression=zstd`), 'CONFIG', /compression must be one of lz4, none/);
    await rejectsWithCode(createStore(`lsm://${freshDir()}?bloom_bits_per_key=0`), 'CONFIG', /bloom_bits_per_key/);
    await rejectsWithCode(createStore(`lsm://${freshDir()}?sync=maybe`), 'CONFIG', /sync/);
    await rejectsWithCode(createStore(`lsm://${freshDir()}?bloom=10`), 'CONFIG', /unknown lsm option bloom/);
    await rejectsWithCode(createStore({ type: 'lsm', connection: '' }), 'CONFIG', /directory/);
  });
});

describe('lsm process lock', () => {
  it('refuses a second open of the same directory with CONNECTION, saying why', async () => {
    const uri = `lsm://${freshDir()}`;
    await withStore(uri, async (store) => {
      await store.setConfig('k', 'v');
      await rejectsWithCode(createStore(uri), 'CONNECTION', /another process .* has it open/);
    });
    await withStore(uri, async (store) => assert.equal(await store.getConfig('k'), 'v'));
  });
});
