/**
 * Issue 19, item 9 (these parts): malformed %-escapes in ref and config
 * paths and a bad gzip body are 400s that say what is wrong; malformed
 * store URIs are ConfigErrors (and the CLI says CONFIG, not CONNECTION);
 * a delta claiming a result over 4 GiB is an IntegrityError.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseStoreUri } from '../../src/datastore/config.js';
import { ConfigError, IntegrityError } from '../../src/datastore/errors.js';
import { applyDelta } from '../../src/datastore/objects/delta.js';
import { api, runGovc } from '../../support/govc.js';
import { assertCloneFsckClean, createAndPush, snapshot, STORES, startTestServer, whileResponsive, type TestServer } from './hardening-helpers.js';
import { varint } from '../../support/pack-builder.js';

for (const kind of STORES) {
  describe(`client mistakes are 400s (${kind} store)`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(kind);
      await createAndPush(t, 'base');
    });
    after(async () => {
      await t.close();
    });

    for (const path of ['/api/v1/repositories/base/refs/refs%ZZheads', '/api/v1/repositories/base/refs/refs/heads/%E0%A4%A', '/api/v1/config/site%']) {
      it(`answers a malformed %-escape with 400: ${path}`, async () => {
        const before = await snapshot(t.store);
        const r = await whileResponsive(t.url, () => api(t.url, 'GET', path, { token: t.adminToken }));
        assert.equal(r.status, 400);
        assert.match(r.body.error.message, /malformed %-escape/);
        assert.deepEqual(await snapshot(t.store), before);
      });
    }

    it('decodes an escaped ref name once: refs%2Fheads%2Fmain is refs/heads/main', async () => {
      const r = await api(t.url, 'GET', '/api/v1/repositories/base/refs/refs%2Fheads%2Fmain', { token: t.adminToken });
      assert.equal(r.status, 200);
      assert.equal(r.body.name, 'refs/heads/main');
    });

    it('answers a body that claims gzip but is not with 400', async () => {
      const before = await snapshot(t.store);
      const res = await whileResponsive(t.url, () =>
        fetch(`${t.url}/api/v1/repositories`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: '{"name":"not-gzip"}',
        }),
      );
      assert.equal(res.status, 400);
      assert.match((await res.json()).error.message, /not valid gzip/);
      assert.deepEqual(await snapshot(t.store), before);
      await assertCloneFsckClean(t, 'base');
    });
  });
}

describe('store URIs', () => {
  const network = new Set(['postgres', 'cockroach', 'redis']);
  for (const uri of ['postgres://user:p@ss@[::1', 'postgres://bad host/db', 'redis://:6379:x', 'sqlite://./data/100%.db']) {
    it(`refuses ${uri} with a ConfigError that says what is wrong`, () => {
      assert.throws(
        () => parseStoreUri(uri, network),
        (e: Error) => e instanceof ConfigError && /not a valid URL|malformed %-escape/.test(e.message) && !e.message.includes('p@ss'),
      );
    });
  }

  it('the CLI labels a malformed URI CONFIG, not CONNECTION', async () => {
    const r = await runGovc(['datastore', 'check', '--store', 'postgres://bad host/db']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /CONFIG/);
    assert.doesNotMatch(r.stderr + r.stdout, /CONNECTION/);
  });
});

describe('deltas', () => {

  it('refuses a result over 4 GiB with an IntegrityError, before allocating', () => {
    const delta = Buffer.from([...varint(3), ...varint(5 * 2 ** 30), 0x03, 0x61, 0x62, 0x63]);
    assert.throws(() => applyDelta(Buffer.from('abc'), delta), (e: Error) => e instanceof IntegrityError && /larger than the largest object/.test(e.message));
  });
});
