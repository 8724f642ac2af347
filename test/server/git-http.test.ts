/** The real git client against `govc serve` on a memory store: clone, push, update, force, delete, fetch. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api, startGovc, type Govc } from '../../support/govc.js';
import { createRepo, createUser, makeRepo, repoUrl, sample } from '../support/server.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';

describe('govc serve: git smart HTTP', () => {
  let govc: Govc;
  const tmp = tempDir();
  const env = gitEnv(tmp.path);
  const src = join(tmp.path, 'src');
  let pushUrl: string;
  let bobToken: string;

  before(async () => {
    govc = await startGovc(['--store', 'memory://', '--init-admin', 'admin']);
    assert.match(govc.adminToken, /^govc_/);
    await createRepo(govc.url, govc.adminToken, 'demo');
    pushUrl = repoUrl(govc.url, 'demo', 'admin', govc.adminToken);
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'src']);
    await makeRepo(src, env, 3);
  });
  after(async () => {
    assert.equal(await govc.stop(), 0, govc.output());
    tmp.remove();
  });

  it('pushes a new branch and a tag, then clones them back identical', async () => {
    await gitOk(src, env, ['tag', '-a', 'v1', '-m', 'release 1']);
    await gitOk(src, env, ['push', pushUrl, 'main', 'v1']);
    await gitOk(tmp.path, env, ['clone', '-q', repoUrl(govc.url, 'demo'), 'clone1']);
    const clone = join(tmp.path, 'clone1');
    assert.equal(await gitOk(clone, env, ['rev-parse', 'HEAD']), await gitOk(src, env, ['rev-parse', 'HEAD']));
    assert.equal(await gitOk(clone, env, ['rev-parse', 'v1']), await gitOk(src, env, ['rev-parse', 'v1']));
    assert.equal(await gitOk(clone, env, ['rev-parse', '--abbrev-ref', 'HEAD']), 'main\n');
    await gitOk(clone, env, ['fsck', '--full', '--strict']);
  });

  it('pushes an update and an incremental fetch brings only it', async () => {
    const clone = join(tmp.path, 'clone1');
    writeFileSync(join(src, 'new.txt'), 'new\n');
    await gitOk(src, env, ['add', '-A']);
    await gitOk(src, env, ['commit', '-q', '-m', 'update']);
    await gitOk(src, env, ['push', pushUrl, 'main']);
    const fetched = await git(clone, { ...env, GIT_TRACE_PACKET: '1' }, ['fetch', 'origin']);
    assert.equal(fetched.code, 0, fetched.stderr);
    // The client told the server what it has, and the server acknowledged it.
    assert.match(fetched.stderr, /> have [0-9a-f]{40}/);
    assert.match(fetched.stderr, /< ACK [0-9a-f]{40}$/m);
    assert.match(fetched.stderr, /< version 2/, 'git 2.26+ speaks protocol v2 to us');
    // The common commit covers the want: the server says "ready" and sends the pack at once.
    assert.match(fetched.stderr, /< ready$/m);
    assert.doesNotMatch(fetched.stderr, /> done$/m);
    assert.equal(await gitOk(clone, env, ['rev-parse', 'origin/main']), await gitOk(src, env, ['rev-parse', 'main']));
    const counted = await gitOk(clone, env, ['count-objects', '-v']);
    assert.match(counted, /in-pack: \d+/);
    await gitOk(clone, env, ['fsck', '--full']);
  });

  it('sends only what an incremental fetch lacks (3 objects for a one-file commit), over protocol v0 too', async () => {
    const clone = join(tmp.path, 'clone1');
    writeFileSync(join(src, 'again.txt'), 'again\n');
    await gitOk(src, env, ['add', '-A']);
    await gitOk(src, env, ['commit', '-q', '-m', 'again']);
    await gitOk(src, env, ['push', pushUrl, 'main']);
    // Protocol v0 this time (multi_ack_detailed negotiation).
    const r = await git(clone, { ...env, GIT_TRACE_PACKET: '1' }, ['-c', 'protocol.version=0', 'fetch', '--progress', 'origin']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /< ACK [0-9a-f]{40} common/);
    assert.doesNotMatch(r.stderr, /< version 2/);
    assert.match(r.stderr, /Enumerating objects: 3, done/);
  });

  it('negotiates with a client that has many commits of its own: "ready" ends the rounds early', async () => {
    const clone = join(tmp.path, 'clone1');
    await gitOk(clone, env, ['checkout', '-q', '-b', 'local', 'origin/main']);
    // Dated before origin/main, so git's date-ordered walk offers origin/main first: once the server
    // acknowledges it, "ready" ends the negotiation. Without it, the client would send all 200 haves.
    for (let i = 0; i < 200; i++) {
      const date = `@${1_000_000_000 + i} +0000`;
      await gitOk(clone, { ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }, ['commit', '-q', '--allow-empty', '-m', `local ${i}`]);
    }
    writeFileSync(join(src, 'remote.txt'), 'remote\n');
    await gitOk(src, env, ['add', '-A']);
    await gitOk(src, env, ['commit', '-q', '-m', 'remote side']);
    await gitOk(src, env, ['push', pushUrl, 'main']);
    const r = await git(clone, { ...env, GIT_TRACE_PACKET: '1' }, ['fetch', 'origin']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /< ready$/m);
    const haves = (r.stderr.match(/> have [0-9a-f]{40}/g) ?? []).length;
    assert.ok(haves > 0 && haves < 100, `the client stopped sending haves (${haves} sent)`);
    // Protocol v0 too: multi_ack_detailed's "ACK <id> ready", then the client's "done".
    writeFileSync(join(src, 'remote.txt'), 'remote 2\n');
    await gitOk(src, env, ['commit', '-q', '-am', 'remote side 2']);
    await gitOk(src, env, ['push', pushUrl, 'main']);
    const v0 = await git(clone, { ...env, GIT_TRACE_PACKET: '1' }, ['-c', 'protocol.version=0', 'fetch', 'origin']);
    assert.equal(v0.code, 0, v0.stderr);
    assert.match(v0.stderr, /< ACK [0-9a-f]{40} ready/);
    assert.equal(await gitOk(clone, env, ['rev-parse', 'origin/main']), await gitOk(src, env, ['rev-parse', 'main']));
    await gitOk(clone, env, ['fsck', '--full']);
  });

  it('accepts a gzipped request body (a fetch of 40 new branches: git gzips requests over 1 KiB)', async () => {
    const clone = join(tmp.path, 'clone1');
    const branches: string[] = [];
    await gitOk(src, env, ['checkout', '-q', '-b', 'many', 'main']);
    for (let i = 0; i < 40; i++) {
      await gitOk(src, env, ['commit', '-q', '--allow-empty', '-m', `branch ${i}`]);
      await gitOk(src, env, ['branch', '-f', `many-${i}`]);
      branches.push(`many-${i}`);
    }
    await gitOk(src, env, ['checkout', '-q', 'main']);
    await gitOk(src, env, ['push', pushUrl, ...branches]);
    const r = await git(clone, { ...env, GIT_TRACE_CURL: '1', GIT_TRACE_CURL_NO_DATA: '1' }, ['fetch', 'origin']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Content-Encoding: gzip/i, 'git sent a gzipped request body');
    for (const b of [branches[0], branches[39]]) {
      assert.equal(await gitOk(clone, env, ['rev-parse', `origin/${b}`]), await gitOk(src, env, ['rev-parse', b]));
    }
    await gitOk(clone, env, ['fsck', '--full']);
  });

  it('refuses a non-fast-forward push unless forced, and a force without admin permission', async () => {
    bobToken = await createUser(govc.url, govc.adminToken, 'bob');
    const grant = await api(govc.url, 'PUT', '/api/v1/repositories/demo/collaborators/bob', { token: govc.adminToken, body: { permission: 'write' } });
    assert.equal(grant.status, 200);
    const bobUrl = repoUrl(govc.url, 'demo', 'bob', bobToken);
    const before = await gitOk(src, env, ['rev-parse', 'main']);
    await gitOk(src, env, ['checkout', '-q', '-b', 'rewrite', 'main~1']);
    writeFileSync(join(src, 'other.txt'), 'other\n');
    await gitOk(src, env, ['add', '-A']);
    await gitOk(src, env, ['commit', '-q', '-m', 'diverge']);

    const plain = await git(src, env, ['push', bobUrl, 'rewrite:main']);
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /rejected|non-fast-forward/);

    // Forced by bob, who may write but not force: the server refuses.
    const forced = await git(src, env, ['push', '--force', bobUrl, 'rewrite:main']);
    assert.notEqual(forced.code, 0);
    assert.match(forced.stderr, /non-fast-forward: a forced update needs admin permission/);
    const ls1 = await gitOk(src, env, ['ls-remote', repoUrl(govc.url, 'demo'), 'refs/heads/main']);
    assert.equal(ls1.split('\t')[0], before.trim());

    // Bob may fast-forward and create branches.
    await gitOk(src, env, ['push', bobUrl, 'rewrite:refs/heads/bob-branch']);

    // Forced by the admin: accepted.
    await gitOk(src, env, ['push', '--force', pushUrl, 'rewrite:main']);
    const ls2 = await gitOk(src, env, ['ls-remote', repoUrl(govc.url, 'demo'), 'refs/heads/main']);
    assert.equal(ls2.split('\t')[0], (await gitOk(src, env, ['rev-parse', 'rewrite'])).trim());
  });

  it('deletes a branch', async () => {
    await gitOk(src, env, ['push', pushUrl, ':refs/heads/bob-branch']);
    const ls = await gitOk(src, env, ['ls-remote', repoUrl(govc.url, 'demo')]);
    assert.doesNotMatch(ls, /bob-branch/);
    assert.match(ls, /refs\/heads\/main/);
  });

  it('applies an atomic push all or nothing', async () => {
    await gitOk(src, env, ['checkout', '-q', 'main']);
    await gitOk(src, env, ['branch', '-f', 'a1', 'main']);
    const stale = await gitOk(src, env, ['rev-parse', 'main~2']);
    // One good ref and a forced non-fast-forward the server refuses (bob may not force): nothing applies.
    const bobUrl = repoUrl(govc.url, 'demo', 'bob', bobToken);
    const r = await git(src, env, ['push', '--atomic', bobUrl, 'a1:refs/heads/a1', `+${stale.trim()}:refs/heads/main`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /atomic push failed/);
    const ls = await gitOk(src, env, ['ls-remote', repoUrl(govc.url, 'demo')]);
    assert.doesNotMatch(ls, /refs\/heads\/a1/);
    await gitOk(src, env, ['push', '--atomic', pushUrl, 'a1:refs/heads/a1', 'a1:refs/heads/a2']);
    const ls2 = await gitOk(src, env, ['ls-remote', repoUrl(govc.url, 'demo')]);
    assert.match(ls2, /refs\/heads\/a1/);
    assert.match(ls2, /refs\/heads\/a2/);
  });

  it('records every push as an audit event', async () => {
    const r = await api(govc.url, 'GET', '/api/v1/events?action=git.push&repository=demo&limit=100', { token: govc.adminToken });
    assert.equal(r.status, 200);
    assert.ok(r.body.items.length >= 6, JSON.stringify(r.body));
    const refused = r.body.items.find((e: any) => e.details.refs.some((x: any) => /non-fast-forward/.test(x.result)));
    assert.ok(refused, 'the refused force push is recorded too');
  });

  it('records exactly one audit event per push, as before: the pusher, the repository and every ref\'s result, refused ones too', async () => {
    const ZERO = '0'.repeat(40);
    const events = async () => (await api(govc.url, 'GET', '/api/v1/events?action=git.push&repository=demo&limit=1000', { token: govc.adminToken })).body.items as any[];
    const bob = (await api(govc.url, 'GET', '/api/v1/users/bob', { token: govc.adminToken })).body;
    const repo = (await api(govc.url, 'GET', '/api/v1/repositories/demo', { token: govc.adminToken })).body;
    const bobUrl = repoUrl(govc.url, 'demo', 'bob', bobToken);
    const remoteMain = (await gitOk(src, env, ['ls-remote', repoUrl(govc.url, 'demo'), 'refs/heads/main'])).split('\t')[0];
    const stale = (await gitOk(src, env, ['rev-parse', `${remoteMain}~2`])).trim();
    await gitOk(src, env, ['checkout', '-q', '-b', 'audited', remoteMain]);
    writeFileSync(join(src, 'audited.txt'), 'audited\n');
    await gitOk(src, env, ['add', 'audited.txt']);
    await gitOk(src, env, ['commit', '-q', '-m', 'audited']);
    const tip = (await gitOk(src, env, ['rev-parse', 'audited'])).trim();
    const refusedForce = { ref: 'refs/heads/main', old: remoteMain, new: stale, result: 'non-fast-forward: a forced update needs admin permission on this repository' };
    const fields = (e: any) => ({ ...e, id: undefined, timestamp: undefined, details: { ...e.details, refs: [...e.details.refs].sort((a: any, b: any) => a.ref.localeCompare(b.ref)) } });
    const expected = (objects: number, refs: unknown[]) => ({ id: undefined, timestamp: undefined, action: 'git.push', userId: bob.id, resource: 'demo', repositoryId: repo.id, details: { atomic: false, objects, refs } });

    // One ref accepted (its event goes in the ref update's write), one refused.
    let seen = new Set((await events()).map((e) => e.id));
    const mixed = await git(src, env, ['push', '--force', bobUrl, 'audited:refs/heads/audited', `${stale}:refs/heads/main`]);
    assert.notEqual(mixed.code, 0);
    let added = (await events()).filter((e) => !seen.has(e.id));
    assert.equal(added.length, 1, JSON.stringify(added));
    assert.deepEqual(fields(added[0]), expected(3, [{ ref: 'refs/heads/audited', old: ZERO, new: tip, result: 'ok' }, refusedForce]));

    // Every ref refused: no ref update, the transport records the event.
    seen = new Set((await events()).map((e) => e.id));
    const refused = await git(src, env, ['push', '--force', bobUrl, `${stale}:refs/heads/main`]);
    assert.notEqual(refused.code, 0);
    added = (await events()).filter((e) => !seen.has(e.id));
    assert.equal(added.length, 1, JSON.stringify(added));
    assert.deepEqual(fields(added[0]), expected(0, [refusedForce]));
    await gitOk(src, env, ['checkout', '-q', 'main']);
  });

  it('counts git traffic in /metrics: operations, pack bytes and objects each way, ref updates', async () => {
    const scrape = async () => (await api(govc.url, 'GET', '/metrics', { token: govc.adminToken })).body as string;
    const value = (text: string, name: string, labels: Record<string, string>) => sample(text, name, labels) ?? 0;
    const before = await scrape();
    // Earlier tests had the server refuse ref updates (non-fast-forward, atomic).
    assert.ok(value(before, 'govc_git_ref_updates_total', { result: 'refused' }) >= 1, before);
    assert.ok(value(before, 'govc_git_operations_total', { service: 'receive-pack', result: 'refused' }) >= 1, before);

    await gitOk(src, env, ['checkout', '-q', '-b', 'counted', 'main']);
    writeFileSync(join(src, 'counted.txt'), 'counted\n');
    await gitOk(src, env, ['add', 'counted.txt']);
    await gitOk(src, env, ['commit', '-q', '-m', 'counted']);
    await gitOk(src, env, ['push', pushUrl, 'counted']);
    const fetched = join(tmp.path, 'counted-clone');
    await gitOk(tmp.path, env, ['clone', '-q', '--branch', 'counted', repoUrl(govc.url, 'demo'), fetched]);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    assert.equal(delta('govc_git_operations_total', { service: 'receive-pack', result: 'ok' }), 1);
    assert.equal(delta('govc_git_ref_updates_total', { result: 'ok' }), 1);
    // A commit, its root tree and the new file.
    assert.equal(delta('govc_git_pack_objects_total', { direction: 'received' }), 3);
    assert.ok(delta('govc_git_pack_bytes_total', { direction: 'received' }) > 0);
    assert.equal(delta('govc_git_operations_total', { service: 'upload-pack', result: 'pack' }), 1);
    const sent = Number((await gitOk(fetched, env, ['rev-list', '--objects', '--all'])).trim().split('\n').length);
    assert.equal(delta('govc_git_pack_objects_total', { direction: 'sent' }), sent);
    assert.ok(delta('govc_git_pack_bytes_total', { direction: 'sent' }) > 0);
    assert.equal(delta('govc_http_requests_total', { route: 'git.receive-pack', method: 'POST', status: '200' }), 1);
    assert.ok(value(after, 'govc_store_objects', { store: 'memory' }) >= sent);
  });
});
