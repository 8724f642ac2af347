/** Auth and isolation: anonymous pushes, private repositories, and objects of one repository fetched through another. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPack, pktLine } from '../../support/pack-builder.js';
import { api, startGovc, type Govc } from '../../support/govc.js';
import { createRepo, createUser, makeRepo, repoUrl } from '../support/server.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';
import { zeroId } from '../../src/datastore/hash.js';

describe('govc serve: auth and isolation', () => {
  let govc: Govc;
  const tmp = tempDir();
  const env = gitEnv(tmp.path);
  let aliceToken: string;
  let carolToken: string;
  let secret: string;

  before(async () => {
    govc = await startGovc(['--store', 'memory://', '--init-admin', 'root']);
    aliceToken = await createUser(govc.url, govc.adminToken, 'alice');
    carolToken = await createUser(govc.url, govc.adminToken, 'carol');
    await createRepo(govc.url, aliceToken, 'secret', 'private');
    await createRepo(govc.url, carolToken, 'open', 'public');
    const src = join(tmp.path, 'src');
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'src']);
    await makeRepo(src, env, 2);
    await gitOk(src, env, ['push', repoUrl(govc.url, 'secret', 'alice', aliceToken), 'main']);
    secret = (await gitOk(src, env, ['rev-parse', 'main'])).trim();
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'other']);
    await makeRepo(join(tmp.path, 'other'), env, 1);
    await gitOk(join(tmp.path, 'other'), env, ['push', repoUrl(govc.url, 'open', 'carol', carolToken), 'main']);
  });
  after(async () => {
    await govc.stop();
    tmp.remove();
  });

  it('refuses an unauthenticated push', async () => {
    const other = join(tmp.path, 'other');
    const r = await git(other, env, ['push', repoUrl(govc.url, 'open'), 'main:refs/heads/anon']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /could not read Username|Authentication failed/);
    const raw = await fetch(`${govc.url}/open.git/info/refs?service=git-receive-pack`);
    assert.equal(raw.status, 401);
    assert.match(raw.headers.get('www-authenticate') ?? '', /^Basic /);
    const ls = await gitOk(other, env, ['ls-remote', repoUrl(govc.url, 'open')]);
    assert.doesNotMatch(ls, /anon/);
  });

  it('refuses a bad token', async () => {
    const r = await api(govc.url, 'GET', '/api/v1/user', { token: 'govc_not-a-real-token' });
    assert.equal(r.status, 401);
    const g = await git(tmp.path, env, ['ls-remote', repoUrl(govc.url, 'secret', 'alice', 'govc_wrong')]);
    assert.notEqual(g.code, 0);
  });

  it('hides a private repository: 401 to anonymous git, not found to other users, readable by its owner', async () => {
    const anon = await git(tmp.path, env, ['clone', '-q', repoUrl(govc.url, 'secret'), 'anon-clone']);
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /could not read Username|Authentication failed/);
    const carol = await git(tmp.path, env, ['clone', '-q', repoUrl(govc.url, 'secret', 'carol', carolToken), 'carol-clone']);
    assert.notEqual(carol.code, 0);
    assert.match(carol.stderr, /not found/);
    assert.equal((await api(govc.url, 'GET', '/api/v1/repositories/secret', { token: carolToken })).status, 404);
    assert.equal((await api(govc.url, 'GET', '/api/v1/repositories/secret')).status, 404);
    assert.equal((await api(govc.url, 'GET', '/api/v1/repositories/nope', { token: carolToken })).status, 404);
    const listed = await api(govc.url, 'GET', '/api/v1/repositories', { token: carolToken });
    assert.deepEqual(listed.body.items.map((r: any) => r.name), ['open']);
    const own = await api(govc.url, 'GET', '/api/v1/repositories', { token: aliceToken });
    assert.deepEqual(own.body.items.map((r: any) => r.name), ['open', 'secret']);
    await gitOk(tmp.path, env, ['clone', '-q', repoUrl(govc.url, 'secret', 'alice', aliceToken), 'alice-clone']);
  });

  it('lets a read collaborator clone but not push, and says why in words git shows', async () => {
    const g = await api(govc.url, 'PUT', '/api/v1/repositories/secret/collaborators/carol', { token: aliceToken, body: { permission: 'read' } });
    assert.equal(g.status, 200);
    const url = repoUrl(govc.url, 'secret', 'carol', carolToken);
    await gitOk(tmp.path, env, ['clone', '-q', url, 'carol-read']);
    const r = await git(join(tmp.path, 'carol-read'), env, ['push', url, 'main:refs/heads/carol']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /remote error: you need write permission on secret; you have read/);
    await api(govc.url, 'DELETE', '/api/v1/repositories/secret/collaborators/carol', { token: aliceToken });
    const again = await git(tmp.path, env, ['ls-remote', url]);
    assert.notEqual(again.code, 0);
  });

  it('will not serve an object of repository A through repository B', async () => {
    const dir = join(tmp.path, 'thief');
    await gitOk(tmp.path, env, ['clone', '-q', repoUrl(govc.url, 'open', 'carol', carolToken), 'thief']);
    const r = await git(dir, env, ['fetch', 'origin', secret]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not our ref/);
    const cat = await git(dir, env, ['cat-file', '-e', secret]);
    assert.notEqual(cat.code, 0, 'the secret commit must not have arrived');

    // The same as a raw request, with capabilities that allow any reachable sha1.
    const body = Buffer.concat([pktLine(`want ${secret} multi_ack_detailed side-band-64k ofs-delta\n`), Buffer.from('0000'), pktLine('done\n')]);
    const res = await fetch(`${govc.url}/open.git/git-upload-pack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-git-upload-pack-request', authorization: `Bearer ${carolToken}` },
      body,
    });
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    assert.match(text, /ERR upload-pack: not our ref/);
    assert.doesNotMatch(text, /PACK/);
  });

  it('will not let a push point a ref of B at an object of A it did not send', async () => {
    const zero = zeroId();
    const body = Buffer.concat([pktLine(`${zero} ${secret} refs/heads/stolen\0report-status atomic\n`), Buffer.from('0000'), buildPack([])]);
    const res = await fetch(`${govc.url}/open.git/git-receive-pack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-git-receive-pack-request', authorization: `Bearer ${carolToken}` },
      body,
    });
    const text = await res.text();
    assert.match(text, /ng refs\/heads\/stolen objects not reachable in this repository/);
    const refs = await api(govc.url, 'GET', '/api/v1/repositories/open/refs', { token: carolToken });
    assert.deepEqual(refs.body.items.map((r: any) => r.name).sort(), ['HEAD', 'refs/heads/main']);
  });

  it('keeps user management for administrators', async () => {
    assert.equal((await api(govc.url, 'POST', '/api/v1/users', { token: carolToken, body: { username: 'eve' } })).status, 403);
    assert.equal((await api(govc.url, 'POST', '/api/v1/users', { body: { username: 'eve' } })).status, 401);
    assert.equal((await api(govc.url, 'GET', '/api/v1/users', { token: carolToken })).status, 403);
    assert.equal((await api(govc.url, 'GET', '/api/v1/events', { token: carolToken })).status, 403);
    const list = await api(govc.url, 'GET', '/api/v1/users', { token: govc.adminToken });
    assert.deepEqual(list.body.items.map((u: any) => u.username), ['alice', 'carol', 'root']);
    assert.ok(!JSON.stringify(list.body).includes('govc_'), 'no token or hash in user records');
  });
});
