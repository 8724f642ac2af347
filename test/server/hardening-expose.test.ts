/**
 * Issue 19, item 8: /api/v1/health and /metrics tell anonymous callers
 * little by default (health: up or not; metrics: refused), administrators
 * everything; server.expose widens either to signed-in users or anyone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/datastore/errors.js';
import { parseServerYaml, type Audience } from '../../src/server/config.js';
import { api } from '../../support/govc.js';
import { createUser } from '../support/server.js';
import { snapshot, STORES, startTestServer, whileResponsive, type TestServer } from './hardening-helpers.js';

describe('server.expose config', () => {
  it('defaults to admin for both, reads admin | authenticated | anyone, refuses others', () => {
    assert.deepEqual(parseServerYaml('server:\n  expose: {health: anyone, metrics: authenticated}\n', 't.yaml').expose, { health: 'anyone', metrics: 'authenticated' });
    assert.deepEqual(parseServerYaml('server:\n  expose: {metrics: anyone}\n', 't.yaml').expose, { health: 'admin', metrics: 'anyone' });
    assert.throws(() => parseServerYaml('server:\n  expose: {health: everybody}\n', 't.yaml'), (e: Error) => e instanceof ConfigError && /health/.test(e.message) && /authenticated/.test(e.message));
    assert.throws(() => parseServerYaml('server:\n  expose: {debug: anyone}\n', 't.yaml'), ConfigError);
  });
});

async function scrape(url: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text() };
}

for (const kind of STORES) {
  describe(`health and metrics exposure (${kind} store)`, () => {
    let t: TestServer;
    let dana: string;
    before(async () => {
      t = await startTestServer(kind);
      dana = await createUser(t.url, t.adminToken, 'dana');
    });
    after(async () => {
      await t.close();
    });

    it('by default shows anonymous callers and users only whether the server is up, and admins the store details', async () => {
      const before = await snapshot(t.store);
      for (const token of [undefined, dana]) {
        const h = await whileResponsive(t.url, () => api(t.url, 'GET', '/api/v1/health', { token }));
        assert.equal(h.status, 200);
        assert.deepEqual(h.body, { status: 'ok' });
      }
      const full = await api(t.url, 'GET', '/api/v1/health', { token: t.adminToken });
      assert.equal(full.body.status, 'ok');
      assert.equal(full.body.store.details.type, kind);
      assert.deepEqual(await snapshot(t.store), before);
    });

    it('by default refuses metrics to anonymous callers (401) and users (403), naming the setting; admins read them', async () => {
      const anonymous = await scrape(t.url);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.text, /server\.expose\.metrics/);
      assert.doesNotMatch(anonymous.text, /govc_/);
      const user = await scrape(t.url, dana);
      assert.equal(user.status, 403);
      assert.doesNotMatch(user.text, /govc_/);
      const admin = await scrape(t.url, t.adminToken);
      assert.equal(admin.status, 200);
      assert.match(admin.text, /^govc_store_objects\{store="[a-z]+"\} \d+$/m);
    });
  });

  describe(`server.expose widened (${kind} store)`, () => {
    const started: TestServer[] = [];
    after(async () => {
      for (const t of started) await t.close();
    });
    const start = async (health: Audience, metrics: Audience) => {
      const t = await startTestServer(kind, { expose: { health, metrics } });
      started.push(t);
      return t;
    };

    it('health: anyone shows the details to anonymous callers', async () => {
      const t = await start('anyone', 'admin');
      const h = await api(t.url, 'GET', '/api/v1/health');
      assert.equal(h.body.store.details.type, kind);
    });

    it('metrics: authenticated lets signed-in users read them, still not anonymous callers; anyone lets everyone', async () => {
      const t = await start('authenticated', 'authenticated');
      const dana = await createUser(t.url, t.adminToken, 'dana');
      assert.equal((await scrape(t.url, dana)).status, 200);
      assert.equal((await scrape(t.url)).status, 401);
      assert.deepEqual((await api(t.url, 'GET', '/api/v1/health')).body, { status: 'ok' });
      assert.equal((await api(t.url, 'GET', '/api/v1/health', { token: dana })).body.store.details.type, kind);
      const open = await start('admin', 'anyone');
      assert.equal((await scrape(open.url)).status, 200);
    });
  });
}
