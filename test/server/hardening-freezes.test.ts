/**
 * Issue 19, item 3: no request freezes the others, and every cost is linear.
 * The three attacks that did, scaled to run in seconds (bench/freezes.ts runs
 * them at full size for the figures):
 *  - a delta bomb of 185 bytes that makes a 900 MiB object: refused
 *    before the delta is applied, naming server.limits.max_object_size;
 *  - 2,000 ref-deltas, each before its base (a chain resolved from its far
 *    end): accepted, each object right;
 *  - 3,000 branches in one push into a repository whose HEAD is unborn:
 *    accepted, HEAD pointed at one of them.
 * Meanwhile /api/v1/health is polled and must answer each time within a second.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { encodeEntryHeader } from '../../src/git/pack/entry-header.js';
import { bombPack, branchesBody, chainPack } from '../../support/attack-packs.js';
import { objectId, pushBody } from '../../support/pack-builder.js';
import { api } from '../../support/govc.js';
import { git, gitOk } from '../../support/git.js';
import { repoUrl } from '../support/server.js';
import { assertCloneFsckClean, createAndPush, snapshot, STORES, startTestServer, type StoreSnapshot, type TestServer } from './hardening-helpers.js';
import { assertAnsweredWithinASecond, pollHealthWhile } from './health-poll.js';
import { zeroId } from '../../src/datastore/hash.js';

const MiB = 1024 * 1024;
const unchanged = (s: StoreSnapshot) => ({ ...s, events: 0 });

async function receivePackPost(t: TestServer, repo: string, body: Buffer<ArrayBuffer>): Promise<string> {
  const res = await fetch(`${t.url}/${repo}.git/git-receive-pack`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-git-receive-pack-request', authorization: `Bearer ${t.adminToken}` },
    body,
  });
  assert.equal(res.status, 200);
  return res.text();
}

for (const kind of STORES) {
  describe(`no request freezes the server (${kind} store)`, () => {
    let t: TestServer;
    let main: string;
    before(async () => {
      t = await startTestServer(kind);
      const work = await createAndPush(t, 'base');
      main = (await gitOk(work, t.env, ['rev-parse', 'main'])).trim();
    });
    after(async () => {
      await t?.close();
    });

    it('refuses a tiny pack whose delta makes a 900 MiB object, before applying it, naming the limit', async () => {
      const { pack, bombOnly, commit, resultBytes } = bombPack(14_400, main);
      assert.equal(resultBytes, 900 * MiB);
      assert.ok(bombOnly.length < 200, `the bomb is ${bombOnly.length} bytes`);
      const before = await snapshot(t.store);
      const { result: report, poll } = await pollHealthWhile(t.url, () => receivePackPost(t, 'base', pushBody(main, commit, 'refs/heads/main', pack)));
      assert.match(report, /unpack pack entry at \d+: an object of 943718400 bytes is over the limit of 104857600 bytes \(server\.limits\.max_object_size\)/);
      assert.match(report, /ng refs\/heads\/main unpacker error/);
      assertAnsweredWithinASecond(poll);
      assert.deepEqual(unchanged(await snapshot(t.store)), unchanged(before));
      await assertCloneFsckClean(t, 'base');
    });

    it('refuses a whole blob that declares 900 MiB, without inflating it', async () => {
      // The header says 900 MiB; the deflated data is 2 KiB of zeros.
      const head = Buffer.from('5041434b0000000200000001', 'hex');
      const body = Buffer.concat([head, encodeEntryHeader('blob', 900 * MiB), deflateSync(Buffer.alloc(2048))]);
      const forged = Buffer.concat([body, createHash('sha1').update(body).digest()]);
      const before = await snapshot(t.store);
      const { result: report, poll } = await pollHealthWhile(t.url, () => receivePackPost(t, 'base', pushBody(main, main, 'refs/heads/other', forged)));
      assert.match(report, /unpack pack entry at 12: an object of 943718400 bytes is over the limit of 104857600 bytes \(server\.limits\.max_object_size\)/);
      assertAnsweredWithinASecond(poll);
      assert.deepEqual(unchanged(await snapshot(t.store)), unchanged(before));
    });

    it('resolves 2,000 ref-deltas that each come before their base, in linear time, each object right', async () => {
      const n = 2000;
      const { pack, commit, blobs, texts } = chainPack(n, main);
      const before = await snapshot(t.store);
      const { result: report, poll } = await pollHealthWhile(t.url, () => receivePackPost(t, 'base', pushBody(main, commit, 'refs/heads/main', pack)));
      assert.match(report, /unpack ok\n/);
      assert.match(report, /ok refs\/heads\/main\n/);
      assertAnsweredWithinASecond(poll);
      const after = await snapshot(t.store);
      assert.equal(after.objects, before.objects + n + 3, 'every blob, the tree and the commit stored');
      for (const k of [0, 1, n / 2, n - 1, n]) {
        const obj = await t.store.getObject(blobs[k]);
        assert.equal(obj?.type, 'blob');
        assert.equal(objectId('blob', Buffer.from(obj!.data)), blobs[k]);
        assert.ok(Buffer.from(obj!.data).equals(texts[k]));
      }
      await assertCloneFsckClean(t, 'base');
      main = commit;
    });

    it('takes 3,000 new branches into a repository with an unborn HEAD, and points HEAD at one of them', async () => {
      const n = 3000;
      const created = await api(t.url, 'POST', '/api/v1/repositories', { token: t.adminToken, body: { name: 'unborn' } });
      assert.equal(created.status, 201);
      const repo = (await t.store.getRepositoryByName('unborn'))!;
      const head = await t.store.getRef(repo.id, 'HEAD');
      assert.ok(!head || head.type === 'symbolic', 'HEAD is unborn');
      // One push body of 3,000 commands (the real git spends ~10 s of its own CPU sending so many over HTTP).
      const { body, tip, names } = branchesBody(n);
      const { result: report, poll } = await pollHealthWhile(t.url, () => receivePackPost(t, 'unborn', body));
      assert.match(report, /unpack ok\n/);
      assert.equal(report.match(/ok refs\/heads\/b\d{5}\n/g)?.length, n, report.slice(0, 500));
      assertAnsweredWithinASecond(poll);
      const refs = new Map<string, string>();
      for await (const r of t.store.listRefs(repo.id, 'refs/heads/')) refs.set(r.name, r.target);
      assert.equal(refs.size, n);
      for (const name of names) assert.equal(refs.get(name), tip, name);
      const fixed = await t.store.getRef(repo.id, 'HEAD');
      assert.equal(fixed?.type, 'symbolic');
      assert.ok(refs.has(fixed!.target), `HEAD points at a pushed branch (${fixed!.target})`);
      // A clone checks out that branch and is fsck-clean.
      const clone = join(t.dir, 'unborn-clone');
      await gitOk(t.dir, t.env, ['clone', '-q', '--no-tags', repoUrl(t.url, 'unborn', 'admin', t.adminToken), clone]);
      assert.equal((await gitOk(clone, t.env, ['symbolic-ref', 'HEAD'])).trim(), fixed!.target);
      assert.equal((await gitOk(clone, t.env, ['rev-parse', 'HEAD'])).trim(), tip);
      const fsck = await git(clone, t.env, ['fsck', '--full', '--strict']);
      assert.equal(fsck.code, 0, fsck.stderr);
    });
  });
}
