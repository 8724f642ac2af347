/**
 * The real git CLI with OpenSSH's own client against `govc serve` over SSH:
 * clone, push, fetch (protocol v2 and v0), ls-remote, scp-like and ssh://
 * URLs, permissions and audit as over HTTP, and git's view of each refusal.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api } from '../../support/govc.js';
import { createRepo, createUser, makeRepo, repoUrl, sample } from '../support/server.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';
import { addKey, makeKey, sshEnv, startGovcWithSsh, type GovcWithSsh } from '../../support/ssh.js';

describe('govc serve: git over SSH', () => {
  const tmp = tempDir('govc-ssh-git-');
  const base = gitEnv(tmp.path);
  const src = join(tmp.path, 'src');
  let govc: GovcWithSsh;
  let adminEnv: NodeJS.ProcessEnv;
  let bobEnv: NodeJS.ProcessEnv;
  let bobToken: string;
  const url = (name: string) => `${govc.sshUrl}/${name}.git`;

  before(async () => {
    govc = await startGovcWithSsh(tmp.path, ['--store', 'memory://', '--init-admin', 'admin']);
    const adminKey = await makeKey(tmp.path, 'admin_key');
    assert.equal((await addKey(govc.url, govc.adminToken, 'admin', adminKey.publicKey)).status, 201);
    bobToken = await createUser(govc.url, govc.adminToken, 'bob');
    const bobKey = await makeKey(tmp.path, 'bob_key');
    assert.equal((await addKey(govc.url, bobToken, 'bob', bobKey.publicKey)).status, 201);
    adminEnv = sshEnv(base, tmp.path, govc, adminKey.path);
    bobEnv = sshEnv(base, tmp.path, govc, bobKey.path);
    await createRepo(govc.url, govc.adminToken, 'demo');
    await createRepo(govc.url, govc.adminToken, 'secret', 'private');
    mkdirSync(src);
    await makeRepo(src, base, 3);
  });
  after(async () => {
    if (govc) assert.equal(await govc.stop(), 0, govc.output());
    tmp.remove();
  });

  it('pushes a branch and a tag over ssh://, then clones them back identical, over HTTP too', async () => {
    await gitOk(src, base, ['tag', '-a', 'v1', '-m', 'release 1']);
    await gitOk(src, adminEnv, ['push', url('demo'), 'main', 'v1']);
    await gitOk(tmp.path, bobEnv, ['clone', '-q', url('demo'), 'clone1']);
    const clone = join(tmp.path, 'clone1');
    assert.equal(await gitOk(clone, base, ['rev-parse', 'HEAD']), await gitOk(src, base, ['rev-parse', 'HEAD']));
    assert.equal(await gitOk(clone, base, ['rev-parse', 'v1']), await gitOk(src, base, ['rev-parse', 'v1']));
    assert.equal(await gitOk(clone, base, ['rev-parse', '--abbrev-ref', 'HEAD']), 'main\n');
    await gitOk(clone, base, ['fsck', '--full', '--strict']);
    await gitOk(tmp.path, base, ['clone', '-q', repoUrl(govc.url, 'demo'), 'via-http']);
    assert.equal(await gitOk(join(tmp.path, 'via-http'), base, ['rev-parse', 'HEAD']), await gitOk(src, base, ['rev-parse', 'HEAD']));
  });

  it('fetches only what is new, over protocol v2 and v0, negotiating on one connection', async () => {
    const clone = join(tmp.path, 'clone1');
    for (const version of ['2', '0']) {
      writeFileSync(join(src, `v${version}.txt`), `protocol ${version}\n`);
      await gitOk(src, base, ['add', '-A']);
      await gitOk(src, base, ['commit', '-q', '-m', `for v${version}`]);
      await gitOk(src, adminEnv, ['push', url('demo'), 'main']);
      const fetched = await git(clone, { ...bobEnv, GIT_TRACE_PACKET: '1' }, ['-c', `protocol.version=${version}`, 'fetch', '--progress', 'origin']);
      assert.equal(fetched.code, 0, fetched.stderr);
      if (version === '2') assert.match(fetched.stderr, /< version 2/);
      else assert.doesNotMatch(fetched.stderr, /< version 2/);
      assert.match(fetched.stderr, /> have [0-9a-f]{40}/);
      assert.match(fetched.stderr, /< ACK [0-9a-f]{40}/);
      assert.match(fetched.stderr, /Enumerating objects: 3, done/, 'a one-file commit is 3 objects');
      assert.equal(await gitOk(clone, base, ['rev-parse', 'origin/main']), await gitOk(src, base, ['rev-parse', 'main']));
    }
    await gitOk(clone, base, ['fsck', '--full']);
  });

  it('takes scp-like addresses (no leading slash, with or without .git) and ls-remote', async () => {
    const scpEnv = { ...bobEnv, GIT_SSH_COMMAND: `${bobEnv.GIT_SSH_COMMAND} -o Port=${govc.sshPort}` };
    const listed = await gitOk(tmp.path, scpEnv, ['ls-remote', 'git@127.0.0.1:demo']);
    assert.match(listed, /refs\/heads\/main/);
    assert.match(listed, /refs\/tags\/v1\^\{\}/);
    assert.equal(await gitOk(tmp.path, scpEnv, ['ls-remote', 'git@127.0.0.1:demo.git']), listed);
    assert.equal(await gitOk(tmp.path, scpEnv, ['-c', 'protocol.version=0', 'ls-remote', 'git@127.0.0.1:demo.git']), listed);
  });

  it('applies the permissions of HTTP: read-only users cannot push, private repositories do not exist for others', async () => {
    const readOnly = await git(src, bobEnv, ['push', url('demo'), 'main:refs/heads/bob']);
    assert.notEqual(readOnly.code, 0);
    assert.match(readOnly.stderr, /govc: you need write permission on demo; you have read/);
    assert.match(readOnly.stderr, /Could not read from remote repository/);
    const hidden = await git(tmp.path, bobEnv, ['clone', url('secret'), 'nope']);
    assert.notEqual(hidden.code, 0);
    assert.match(hidden.stderr, /govc: repository secret not found/);
    const missing = await git(tmp.path, bobEnv, ['ls-remote', url('missing')]);
    assert.match(missing.stderr, /govc: repository missing not found/);

    assert.equal((await api(govc.url, 'PUT', '/api/v1/repositories/demo/collaborators/bob', { token: govc.adminToken, body: { permission: 'write' } })).status, 200);
    await gitOk(src, bobEnv, ['push', url('demo'), 'main:refs/heads/bob']);
    // A forced update needs admin, refused per ref as git reports it.
    await gitOk(src, base, ['commit', '-q', '--amend', '-m', 'rewritten']);
    const forced = await git(src, bobEnv, ['push', '--force', url('demo'), 'main:refs/heads/bob']);
    assert.notEqual(forced.code, 0);
    assert.match(forced.stderr, /\[remote rejected\] main -> bob/);
    await gitOk(src, adminEnv, ['push', '--force', url('demo'), 'main:refs/heads/bob']);
    await gitOk(src, bobEnv, ['push', url('demo'), ':refs/heads/bob']);
    assert.doesNotMatch(await gitOk(tmp.path, bobEnv, ['ls-remote', url('demo')]), /refs\/heads\/bob/);
  });

  it('records SSH pushes in the audit log as HTTP pushes are, and counts them in the metrics', async () => {
    const events = await api(govc.url, 'GET', '/api/v1/events?action=git.push&user=bob&repository=demo', { token: govc.adminToken });
    assert.equal(events.status, 200);
    assert.ok(events.body.items.length >= 3, JSON.stringify(events.body));
    const deleted = events.body.items.find((e: { details: { refs: Array<{ new: string }> } }) => /^0+$/.test(e.details.refs[0].new));
    assert.ok(deleted, 'the delete is recorded');
    assert.equal(deleted.details.transport, 'ssh');
    // The fields of an HTTP push's event, and the key that pushed.
    const bob = (await api(govc.url, 'GET', '/api/v1/users/bob', { token: govc.adminToken })).body;
    const repo = (await api(govc.url, 'GET', '/api/v1/repositories/demo', { token: govc.adminToken })).body;
    assert.deepEqual([deleted.action, deleted.userId, deleted.resource, deleted.repositoryId], ['git.push', bob.id, 'demo', repo.id]);
    assert.deepEqual(Object.keys(deleted.details).sort(), ['atomic', 'key', 'objects', 'refs', 'transport']);
    assert.match(deleted.details.key, /^SHA256:/);
    const metrics = await api(govc.url, 'GET', '/metrics', { token: govc.adminToken });
    assert.ok((sample(metrics.body, 'govc_git_operations_total', { service: 'receive-pack', result: 'ok' }) ?? 0) >= 3);
  });

  it('hands push options to the engine, a delete-only push too, and records them', async () => {
    await gitOk(src, adminEnv, ['push', '-o', 'ci.skip', url('demo'), 'main:refs/heads/opt']);
    await gitOk(src, adminEnv, ['push', '-o', 'reason=cleanup', url('demo'), ':refs/heads/opt']);
    const events = await api(govc.url, 'GET', '/api/v1/events?action=git.push&repository=demo&order=desc&limit=2', { token: govc.adminToken });
    assert.deepEqual(events.body.items.map((e: { details: { pushOptions?: string[] } }) => e.details.pushOptions), [['reason=cleanup'], ['ci.skip']]);
  });

  it('serves a shallow clone on one connection', async () => {
    for (const version of ['2', '0']) {
      const dest = `shallow-v${version}`;
      await gitOk(tmp.path, bobEnv, ['-c', `protocol.version=${version}`, 'clone', '-q', '--depth', '1', url('demo'), dest]);
      assert.equal(await gitOk(join(tmp.path, dest), base, ['rev-list', '--count', 'HEAD']), '1\n');
      await gitOk(join(tmp.path, dest), base, ['fsck']);
    }
  });

  it('no longer lets a deleted key in', async () => {
    const gone = await makeKey(tmp.path, 'gone_key');
    const added = await addKey(govc.url, bobToken, 'bob', gone.publicKey);
    assert.equal((await api(govc.url, 'DELETE', `/api/v1/users/bob/ssh-keys/${added.body.id}`, { token: bobToken })).status, 204);
    const r = await git(tmp.path, sshEnv(base, tmp.path, govc, gone.path), ['ls-remote', url('demo')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is registered with this server/);
    assert.match(r.stderr, /Permission denied \(publickey\)/);
  });
});

describe('govc serve over SSH: limits', () => {
  const tmp = tempDir('govc-ssh-limits-');
  const base = gitEnv(tmp.path);
  let govc: GovcWithSsh;

  after(async () => {
    if (govc) assert.equal(await govc.stop(), 0, govc.output());
    tmp.remove();
  });

  it('refuses a push over server.limits.max_pack_size in words git shows, storing nothing', async () => {
    govc = await startGovcWithSsh(tmp.path, ['--store', 'memory://', '--init-admin', 'admin'], { serverYaml: '  limits: {max_pack_size: 2KB, max_request_body: 1KB}\n' });
    const key = await makeKey(tmp.path, 'admin_key');
    assert.equal((await addKey(govc.url, govc.adminToken, 'admin', key.publicKey)).status, 201);
    await createRepo(govc.url, govc.adminToken, 'small');
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    await makeRepo(src, base, 1);
    const { randomBytes } = await import('node:crypto');
    writeFileSync(join(src, 'big.bin'), randomBytes(64 * 1024));
    await gitOk(src, base, ['add', '-A']);
    await gitOk(src, base, ['commit', '-q', '-m', 'big']);
    const r = await git(src, sshEnv(base, tmp.path, govc, key.path), ['push', `${govc.sshUrl}/small.git`, 'main']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /push is over the server's limit of 2 KiB for its pack \(server\.limits\.max_pack_size\)/);
    const refs = await api(govc.url, 'GET', '/api/v1/repositories/small/refs', { token: govc.adminToken });
    assert.deepEqual(refs.body.items.filter((r: { type: string }) => r.type !== 'symbolic'), [], 'no branch was created');
  });
});
