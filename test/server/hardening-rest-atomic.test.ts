/**
 * Issue 19, item 7: every REST write is all or nothing. A refused request
 * (bad defaultBranch, duplicate name, unknown token) changes nothing; and
 * when the last write of a request (its audit event) fails, the writes
 * before it are not left behind either.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WriteOp } from '../../src/datastore/driver.js';
import { api } from '../../support/govc.js';
import { createUser } from '../support/server.js';
import { assertCloneFsckClean, createAndPush, snapshot, STORES, startTestServer, whileResponsive, type TestServer } from './hardening-helpers.js';

/** Makes every store write that carries an audit event fail, as a full disk or a dropped connection would. */
function failAuditWrites(t: TestServer): () => void {
  const driver = t.store.driver;
  const real = driver.write.bind(driver);
  driver.write = async (ops: WriteOp[]) => {
    if (ops.some((op) => op.op === 'appendEvent')) throw new Error('injected failure: the audit event could not be written');
    return real(ops);
  };
  return () => {
    driver.write = real;
  };
}

for (const kind of STORES) {
  describe(`REST writes are all or nothing (${kind} store)`, () => {
    let t: TestServer;
    let dana: string;
    before(async () => {
      t = await startTestServer(kind);
      await createAndPush(t, 'base');
      dana = await createUser(t.url, t.adminToken, 'dana');
      await api(t.url, 'PUT', '/api/v1/config/site.name', { token: t.adminToken, body: { value: 'govc' } });
    });
    after(async () => {
      await t.close();
    });

    it('refuses an invalid defaultBranch with 400 and leaves no repository behind', async () => {
      for (const bad of ['bad..name', 'has space', 'x.lock', '-/x/', '']) {
        const before = await snapshot(t.store);
        const r = await whileResponsive(t.url, () => api(t.url, 'POST', '/api/v1/repositories', { token: t.adminToken, body: { name: 'fresh', defaultBranch: bad } }));
        assert.equal(r.status, 400, bad);
        assert.match(r.body.error.message, /defaultBranch/);
        assert.deepEqual(await snapshot(t.store), before, bad);
      }
      const ok = await api(t.url, 'POST', '/api/v1/repositories', { token: t.adminToken, body: { name: 'fresh', defaultBranch: 'release/1.x' } });
      assert.equal(ok.status, 201, 'the name is still free');
      const head = await api(t.url, 'GET', '/api/v1/repositories/fresh/refs/HEAD', { token: t.adminToken });
      assert.equal(head.body.target, 'refs/heads/release/1.x');
    });

    it('refuses a duplicate repository name with 409 and changes nothing', async () => {
      const before = await snapshot(t.store);
      const r = await api(t.url, 'POST', '/api/v1/repositories', { token: t.adminToken, body: { name: 'base' } });
      assert.equal(r.status, 409);
      assert.deepEqual(await snapshot(t.store), before);
      await assertCloneFsckClean(t, 'base');
    });

    it('refuses revoking an unknown token with 404 and changes nothing', async () => {
      const before = await snapshot(t.store);
      const r = await api(t.url, 'DELETE', '/api/v1/users/dana/tokens/0123456789abcdef', { token: t.adminToken });
      assert.equal(r.status, 404);
      assert.deepEqual(await snapshot(t.store), before);
    });

    const cases: Array<{ what: string; method: string; path: string; body?: unknown }> = [
      { what: 'create a repository', method: 'POST', path: '/api/v1/repositories', body: { name: 'half' } },
      { what: 'update a repository', method: 'PATCH', path: '/api/v1/repositories/base', body: { description: 'changed', visibility: 'private' } },
      { what: 'delete a repository', method: 'DELETE', path: '/api/v1/repositories/base' },
      { what: 'grant a collaborator', method: 'PUT', path: '/api/v1/repositories/base/collaborators/dana', body: { permission: 'write' } },
      { what: 'create a user', method: 'POST', path: '/api/v1/users', body: { username: 'erin' } },
      { what: 'update a user', method: 'PATCH', path: '/api/v1/users/dana', body: { displayName: 'Dana' } },
      { what: 'delete a user', method: 'DELETE', path: '/api/v1/users/dana' },
      { what: 'create a token', method: 'POST', path: '/api/v1/users/dana/tokens', body: { name: 'ci' } },
      { what: 'set a config key', method: 'PUT', path: '/api/v1/config/site.name', body: { value: 'changed' } },
      { what: 'delete a config key', method: 'DELETE', path: '/api/v1/config/site.name' },
    ];
    for (const c of cases) {
      it(`${c.what}: when its audit event cannot be written, nothing of it is left`, async () => {
        const before = await snapshot(t.store);
        const restore = failAuditWrites(t);
        let r;
        try {
          r = await api(t.url, c.method, c.path, { token: t.adminToken, body: c.body });
        } finally {
          restore();
        }
        assert.equal(r.status, 500, JSON.stringify(r.body));
        assert.deepEqual(await snapshot(t.store), before);
        // dana's token still works: a failed delete or revoke took nothing away.
        assert.equal((await api(t.url, 'GET', '/api/v1/user', { token: dana })).status, 200);
      });
    }

    it('a repository deleted through the API takes its grants with it, in one write', async () => {
      await createAndPush(t, 'doomed');
      assert.equal((await api(t.url, 'PUT', '/api/v1/repositories/doomed/collaborators/dana', { token: t.adminToken, body: { permission: 'read' } })).status, 200);
      const repo = (await t.store.getRepositoryByName('doomed'))!;
      const grantsOf = async () => {
        const keys: string[] = [];
        for await (const [key] of t.store.listConfig('govc.auth.perm.')) if (key.includes(repo.id)) keys.push(key);
        return keys;
      };
      assert.equal((await grantsOf()).length, 1);
      assert.equal((await api(t.url, 'DELETE', '/api/v1/repositories/doomed', { token: t.adminToken })).status, 204);
      assert.deepEqual(await grantsOf(), []);
      assert.equal(await t.store.getRepositoryByName('doomed'), undefined);
    });
  });
}
