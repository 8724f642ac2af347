/**
 * Issue 19, item 4 (request bodies): server.limits parsed with sizes like
 * "512MB"; JSON bodies cut at max_json_body, gzip counted decompressed and
 * stopped early; git request bodies cut at max_request_body / max_pack_size,
 * with the refusal shown by git itself. Each refusal leaves the store as it was.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ConfigError } from '../../src/datastore/errors.js';
import { parseServerYaml } from '../../src/server/config.js';
import { DEFAULT_LIMITS } from '../../src/server/limits.js';
import { git, gitOk } from '../../support/git.js';
import { repoUrl } from '../support/server.js';
import { assertCloneFsckClean, createAndPush, snapshot, STORES, startTestServer, whileResponsive, type TestServer } from './hardening-helpers.js';

describe('server.limits config', () => {
  it('has defaults a public server can run with', () => {
    assert.equal(DEFAULT_LIMITS.maxJsonBody, 1 << 20);
    assert.equal(DEFAULT_LIMITS.maxPackSize, 2 * 1024 ** 3);
    assert.ok(DEFAULT_LIMITS.maxRequestBody < DEFAULT_LIMITS.maxPackSize);
    assert.ok(DEFAULT_LIMITS.maxObjectSize <= DEFAULT_LIMITS.maxPackSize);
  });

  it('reads sizes like 512MB and counts, keeps defaults for the rest', () => {
    const c = parseServerYaml('server:\n  limits: {max_pack_size: 512MB, max_json_body: 64KB, max_commands: 10, max_repository_size: 1GB}\n', 't.yaml');
    assert.equal(c.limits!.maxPackSize, 512 * 1024 ** 2);
    assert.equal(c.limits!.maxJsonBody, 64 * 1024);
    assert.equal(c.limits!.maxCommands, 10);
    assert.equal(c.limits!.maxRepositorySize, 1024 ** 3);
    assert.equal(c.limits!.maxWants, DEFAULT_LIMITS.maxWants);
  });

  it('refuses unknown keys, bad sizes and zero, naming the key', () => {
    assert.throws(() => parseServerYaml('server:\n  limits: {max_pack: 1GB}\n', 't.yaml'), (e: Error) => e instanceof ConfigError && /max_pack/.test(e.message) && /max_pack_size/.test(e.message));
    assert.throws(() => parseServerYaml('server:\n  limits: {max_pack_size: lots}\n', 't.yaml'), (e: Error) => e instanceof ConfigError && /max_pack_size/.test(e.message));
    assert.throws(() => parseServerYaml('server:\n  limits: {max_object_size: 0}\n', 't.yaml'), (e: Error) => e instanceof ConfigError && /server\.limits\.max_object_size/.test(e.message));
    assert.throws(() => parseServerYaml('server:\n  limits: {max_wants: 0}\n', 't.yaml'), (e: Error) => e instanceof ConfigError && /max_wants/.test(e.message));
    assert.throws(() => parseServerYaml('server:\n  limits: 5\n', 't.yaml'), ConfigError);
  });
});

async function postJson(url: string, token: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1/repositories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: Uint8Array.from(body),
  });
  return { status: res.status, body: await res.json() };
}

for (const kind of STORES) {
  describe(`request body limits (${kind} store)`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(kind, {
        limits: { ...DEFAULT_LIMITS, maxJsonBody: 64 * 1024, maxRequestBody: 64 * 1024, maxPackSize: 16 * 1024 },
      });
      await createAndPush(t, 'base');
    });
    after(async () => {
      await t.close();
    });

    it('refuses a JSON body over max_json_body with 413 naming the setting', async () => {
      const before = await snapshot(t.store);
      const big = Buffer.from(JSON.stringify({ name: 'big', description: 'x'.repeat(100 * 1024) }));
      const r = await whileResponsive(t.url, () => postJson(t.url, t.adminToken, big));
      assert.equal(r.status, 413);
      assert.match(r.body.error.message, /64 KiB \(server\.limits\.max_json_body\)/);
      assert.deepEqual(await snapshot(t.store), before);
    });

    it('counts a gzip body decompressed and stops early: a 2 MB bomb is refused, not inflated', async () => {
      const before = await snapshot(t.store);
      const bomb = gzipSync(Buffer.concat([Buffer.from('{"name":"bomb","description":"'), Buffer.alloc(64 << 20, 0x61), Buffer.from('"}')]));
      assert.ok(bomb.length < 1 << 20, 'the compressed body is small');
      const r = await whileResponsive(t.url, () => postJson(t.url, t.adminToken, bomb, { 'content-encoding': 'gzip' }));
      assert.equal(r.status, 413);
      assert.match(r.body.error.message, /server\.limits\.max_json_body/);
      assert.deepEqual(await snapshot(t.store), before);
    });

    it('still takes a gzip JSON body under the limit', async () => {
      const r = await postJson(t.url, t.adminToken, gzipSync(JSON.stringify({ name: `zipped-${kind}` })), { 'content-encoding': 'gzip' });
      assert.equal(r.status, 201);
    });

    it('refuses a declared Content-Length over the limit before reading the body', async () => {
      const before = await snapshot(t.store);
      const res = await fetch(`${t.url}/api/v1/repositories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
        body: Buffer.alloc(128 * 1024, 0x20),
      });
      assert.equal(res.status, 413);
      assert.match((await res.json()).error.message, /max_json_body/);
      assert.deepEqual(await snapshot(t.store), before);
    });

    it('answers a fetch body over max_request_body in git framing (ERR), naming the setting', async () => {
      const before = await snapshot(t.store);
      const tip = (await t.store.resolveRef((await t.store.getRepositoryByName('base'))!.id, 'refs/heads/main'))!.target;
      // Wants of 8 MiB, gzipped to a few KiB.
      const body = gzipSync(Buffer.from(`0032want ${tip}\n`.repeat((8 << 20) / 50)));
      const res = await whileResponsive(t.url, () =>
        fetch(`${t.url}/base.git/git-upload-pack`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-git-upload-pack-request', 'content-encoding': 'gzip', authorization: `Bearer ${t.adminToken}` },
          body: Uint8Array.from(body),
        }),
      );
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /^[0-9a-f]{4}ERR fetch request is over the server's limit of 64 KiB \(server\.limits\.max_request_body\)/);
      assert.deepEqual(await snapshot(t.store), before);
    });

    it('refuses a push over max_pack_size; git shows the setting; refs and objects are unchanged; a fresh clone is fsck-clean', async () => {
      const work = join(t.dir, 'work-base');
      writeFileSync(join(work, 'big.bin'), randomBytes(256 * 1024));
      await gitOk(work, t.env, ['add', 'big.bin']);
      await gitOk(work, t.env, ['commit', '-q', '-m', 'too big']);
      const before = await snapshot(t.store);
      const push = await whileResponsive(t.url, () => git(work, t.env, ['push', repoUrl(t.url, 'base', 'admin', t.adminToken), 'main']));
      assert.notEqual(push.code, 0);
      assert.match(push.stderr, /server\.limits\.max_pack_size/);
      // The refused push is an audit event; nothing else changes.
      assert.deepEqual({ ...(await snapshot(t.store)), events: 0 }, { ...before, events: 0 });
      await assertCloneFsckClean(t, 'base');
    });
  });
}
