/**
 * A repository is a boundary even through deltas: a pushed delta may build
 * only on objects in its own pack or reachable from the target repository's
 * refs, a refusal says nothing about objects elsewhere, and negotiation never
 * acknowledges another repository's commits. On the memory store and SQLite.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPack, commitBytes, copyDelta, objectId, pktLine, pushBody, treeBytes } from '../../support/pack-builder.js';
import { api, startGovc, type Govc } from '../../support/govc.js';
import { createRepo, createUser, makeRepo, repoUrl, sample } from '../support/server.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';
import { zeroId } from '../../src/datastore/hash.js';

const ZERO = zeroId();
const SECRET = Buffer.from('the launch code is 0000-1234-5678\n');

for (const kind of ['memory', 'sqlite'] as const) {
  describe(`govc serve on ${kind}: no reads through deltas`, () => {
    let govc: Govc;
    const tmp = tempDir();
    const env = gitEnv(tmp.path);
    let carolToken: string;
    let secretBlob: string;
    let secretCommit: string;
    let openMain: string;
    let openBlob: string;

    const push = async (body: Buffer<ArrayBuffer>): Promise<string> => {
      const res = await fetch(`${govc.url}/open.git/git-receive-pack`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-git-receive-pack-request', authorization: `Bearer ${carolToken}` },
        body,
      });
      assert.equal(res.status, 200);
      return res.text();
    };
    const objectCount = async () => sample((await api(govc.url, 'GET', '/metrics', { token: govc.adminToken })).body, 'govc_store_objects');
    const openRefs = async () => (await api(govc.url, 'GET', '/api/v1/repositories/open/refs', { token: carolToken })).body.items;

    /** A pack that makes refs/heads/leak a commit whose tree holds `blob`, sent as a delta on `base`. */
    const leakPack = (base: string, delta: Buffer, blob: string) => {
      const tree = treeBytes([['100644', 'leak.txt', blob]]);
      const commit = commitBytes(objectId('tree', tree), [openMain], 'leak\n');
      return { pack: buildPack([{ refDelta: base, delta }, { type: 'tree', data: tree }, { type: 'commit', data: commit }]), commit: objectId('commit', commit) };
    };

    before(async () => {
      const store = kind === 'memory' ? 'memory://' : `sqlite://${join(tmp.path, 'govc.db')}`;
      govc = await startGovc(['--store', store, '--init-admin', 'root']);
      const aliceToken = await createUser(govc.url, govc.adminToken, 'alice');
      carolToken = await createUser(govc.url, govc.adminToken, 'carol');
      await createRepo(govc.url, aliceToken, 'secret', 'private');
      await createRepo(govc.url, carolToken, 'open', 'public');
      const src = join(tmp.path, 'src');
      await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'src']);
      await makeRepo(src, env, 2);
      writeFileSync(join(src, 'secret.txt'), SECRET);
      await gitOk(src, env, ['add', 'secret.txt']);
      await gitOk(src, env, ['commit', '-q', '-m', 'secret']);
      await gitOk(src, env, ['push', '-q', repoUrl(govc.url, 'secret', 'alice', aliceToken), 'main']);
      secretBlob = (await gitOk(src, env, ['rev-parse', 'main:secret.txt'])).trim();
      secretCommit = (await gitOk(src, env, ['rev-parse', 'main'])).trim();
      const other = join(tmp.path, 'other');
      await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'other']);
      writeFileSync(join(other, 'notes.txt'), 'public notes, version one\n');
      await gitOk(other, env, ['add', 'notes.txt']);
      await gitOk(other, env, ['commit', '-q', '-m', 'notes']);
      await gitOk(other, env, ['push', '-q', repoUrl(govc.url, 'open', 'carol', carolToken), 'main']);
      openMain = (await gitOk(other, env, ['rev-parse', 'main'])).trim();
      openBlob = (await gitOk(other, env, ['rev-parse', 'main:notes.txt'])).trim();
    });
    after(async () => {
      await govc?.stop();
      tmp.remove();
    });

    it('refuses a delta on another repository\'s private object, in the words it uses for a missing one', async () => {
      const objects = await objectCount();
      const refs = await openRefs();
      // The attacker knows the base's id (and here, to make the delta valid, its size).
      const stolen = leakPack(secretBlob, copyDelta(SECRET.length, SECRET.length), secretBlob);
      const foreign = await push(pushBody(ZERO, stolen.commit, 'refs/heads/leak', stolen.pack));
      assert.match(foreign, new RegExp(`unpack .*delta base ${secretBlob} is neither in the pack nor in this repository`));
      assert.match(foreign, /ng refs\/heads\/leak /);

      const nowhere = 'ab'.repeat(20);
      const absent = leakPack(nowhere, copyDelta(SECRET.length, SECRET.length), secretBlob);
      const missing = await push(pushBody(ZERO, absent.commit, 'refs/heads/leak', absent.pack));
      const words = (text: string, id: string) => text.replace(/pack entry at \d+/, 'pack entry').replaceAll(id, '<base>');
      assert.equal(words(foreign, secretBlob), words(missing, nowhere), 'a foreign base and an absent one read the same');

      // A wrong size must not reveal the right one.
      const guess = leakPack(secretBlob, copyDelta(7, 7), secretBlob);
      const sized = await push(pushBody(ZERO, guess.commit, 'refs/heads/leak', guess.pack));
      assert.doesNotMatch(sized, new RegExp(`\\b${SECRET.length}\\b`));
      assert.match(sized, /neither in the pack nor in this repository/);

      assert.deepEqual(await openRefs(), refs, 'refs unchanged');
      assert.equal(await objectCount(), objects, 'nothing stored');
      const clone = join(tmp.path, `clone-${Date.now()}`);
      await gitOk(tmp.path, env, ['clone', '-q', '--mirror', repoUrl(govc.url, 'open'), clone]);
      await gitOk(clone, env, ['fsck', '--full', '--strict']);
      assert.notEqual((await git(clone, env, ['cat-file', '-e', secretBlob])).code, 0, 'the secret never reaches a clone of open');
    });

    it('takes a delta on an object its own repository reaches', async () => {
      const base = readFileSync(join(tmp.path, 'other', 'notes.txt'));
      const delta = copyDelta(base.length, base.length, Buffer.from('and a second line\n'));
      const result = Buffer.concat([base, Buffer.from('and a second line\n')]);
      const own = leakPack(openBlob, delta, objectId('blob', result));
      const text = await push(pushBody(ZERO, own.commit, 'refs/heads/grown', own.pack));
      assert.match(text, /unpack ok/);
      assert.match(text, /ok refs\/heads\/grown/);
      const clone = join(tmp.path, `clone-own-${Date.now()}`);
      await gitOk(tmp.path, env, ['clone', '-q', '--mirror', repoUrl(govc.url, 'open'), clone]);
      await gitOk(clone, env, ['fsck', '--full', '--strict']);
      assert.equal((await gitOk(clone, env, ['cat-file', 'blob', `refs/heads/grown:leak.txt`])), result.toString());
    });

    it('answers a garbage object as a branch tip with a report, not a reset connection', async () => {
      const objects = await objectCount();
      for (const type of ['commit', 'tree', 'tag'] as const) {
        const garbage = Buffer.from(`\x00\xff not a ${type} at all \x01\x02`, 'latin1');
        const text = await push(pushBody(ZERO, objectId(type, garbage), `refs/heads/garbage-${type}`, buildPack([{ type, data: garbage }])));
        assert.match(text, /unpack object [0-9a-f]{40}: \w+: /, `${type}: ${text}`);
        assert.match(text, new RegExp(`ng refs/heads/garbage-${type} `));
      }
      assert.equal(await objectCount(), objects, 'nothing stored');
    });

    it('does not acknowledge a have of another repository\'s commit (v0 and v2)', async () => {
      const upload = async (body: Buffer<ArrayBuffer>, v2: boolean) => {
        const headers: Record<string, string> = { 'content-type': 'application/x-git-upload-pack-request', authorization: `Bearer ${carolToken}` };
        if (v2) headers['git-protocol'] = 'version=2';
        const res = await fetch(`${govc.url}/open.git/git-upload-pack`, { method: 'POST', headers, body });
        return Buffer.from(await res.arrayBuffer()).toString('latin1');
      };
      const v0 = (have: string) => Buffer.concat([pktLine(`want ${openMain} multi_ack_detailed side-band-64k ofs-delta\n`), Buffer.from('0000'), pktLine(`have ${have}\n`), Buffer.from('0000')]);
      const v2 = (have: string) => Buffer.concat([pktLine('command=fetch\n'), Buffer.from('0001'), pktLine(`want ${openMain}\n`), pktLine(`have ${have}\n`), Buffer.from('0000')]);
      const ownV0 = await upload(v0(openMain), false);
      assert.match(ownV0, new RegExp(`ACK ${openMain} common`), 'its own commit is acknowledged');
      const foreignV0 = await upload(v0(secretCommit), false);
      assert.doesNotMatch(foreignV0, /ACK/);
      assert.match(foreignV0, /NAK/);
      assert.match(await upload(v2(openMain), true), new RegExp(`ACK ${openMain}`));
      const foreignV2 = await upload(v2(secretCommit), true);
      assert.doesNotMatch(foreignV2, /ACK/);
      assert.match(foreignV2, /NAK/);
    });
  });
}
