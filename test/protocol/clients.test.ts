/**
 * Other git implementations against `govc serve` (SQLite store): isomorphic-git
 * (JavaScript) and dulwich (Python, over protocol v0 and v2). Shallow and
 * partial clones hold what the git CLI's hold, pushes land, and a push the
 * server refuses reaches each client's user with the server's reason.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { api } from '../../support/govc.js';
import { createUser, repoUrl } from '../support/server.js';
import { gitOk } from '../../support/git.js';
import { lines, protocolFixture, type ProtocolFixture } from './support.js';

const DULWICH = fileURLToPath(new URL('../../../test/protocol/dulwich_client.py', import.meta.url));

function dulwich(...args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile('python3', [DULWICH, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && !stdout) return reject(new Error(`dulwich ${args[0]} failed: ${stderr}`));
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      if (out.error) return reject(new Error(`dulwich ${args[0]}: ${out.error}`));
      resolve(out);
    });
  });
}

describe('isomorphic-git and dulwich against govc serve', () => {
  let f: ProtocolFixture;
  let writerUrl: string;
  let writer: { username: string; password: string };
  let readerUrl: string;
  before(async () => {
    f = await protocolFixture(30);
    const token = await createUser(f.govc.url, f.govc.adminToken, 'wendy');
    const r = await api(f.govc.url, 'PUT', '/api/v1/repositories/gen/collaborators/wendy', { token: f.govc.adminToken, body: { permission: 'write' } });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    writerUrl = repoUrl(f.govc.url, 'gen', 'wendy', token);
    writer = { username: 'wendy', password: token };
    const reader = await createUser(f.govc.url, f.govc.adminToken, 'rita');
    await api(f.govc.url, 'PUT', '/api/v1/repositories/gen/collaborators/rita', { token: f.govc.adminToken, body: { permission: 'read' } });
    readerUrl = repoUrl(f.govc.url, 'gen', 'rita', reader);
  });
  after(() => f.close());

  /** The commits of a git CLI clone from git's own upload-pack with these arguments (the reference). */
  async function reference(name: string, args: string[]): Promise<string[]> {
    const dir = join(f.tmp.path, `ref-${name}`);
    await gitOk(f.tmp.path, f.env, ['clone', '-q', '--no-checkout', ...args, `file://${f.source}`, dir]);
    return lines(await gitOk(dir, f.env, ['log', '--format=%H']));
  }

  it('isomorphic-git: a shallow clone, a push, and a refused force push with the reason', async () => {
    const dir = join(f.tmp.path, 'iso');
    const url = `${f.govc.url}/gen.git`;
    const onAuth = () => writer;
    await git.clone({ fs, http, dir, url, depth: 2, singleBranch: true, ref: 'main', onAuth });
    const log = (await git.log({ fs, dir, ref: 'main' })).map((c) => c.oid);
    assert.deepEqual(log, await reference('iso', ['--depth', '2', '--single-branch', '--branch', 'main']));
    await gitOk(dir, f.env, ['fsck', '--no-progress']);

    fs.writeFileSync(join(dir, 'iso.txt'), 'from isomorphic-git\n');
    await git.add({ fs, dir, filepath: 'iso.txt' });
    const oid = await git.commit({ fs, dir, message: 'from isomorphic-git', author: { name: 'I', email: 'i@example.com' } });
    const pushed = await git.push({ fs, http, dir, url, ref: 'main', remoteRef: 'refs/heads/iso', onAuth });
    assert.equal(pushed.ok, true, JSON.stringify(pushed));
    assert.match(await gitOk(f.tmp.path, f.env, ['ls-remote', f.url(), 'refs/heads/iso']), new RegExp(`^${oid}`));

    // A rewrite of main: a writer may not force it (admin only).
    const parent = (await git.log({ fs, dir, ref: 'main', depth: 2 }))[1].oid;
    await git.writeRef({ fs, dir, ref: 'refs/heads/rewrite', value: parent });
    const refused = await git.push({ fs, http, dir, url, ref: 'rewrite', remoteRef: 'refs/heads/iso', force: true, onAuth }).catch((e: Error) => e);
    const text = refused instanceof Error ? refused.message : JSON.stringify(refused);
    assert.match(text, /a forced update needs admin permission/);
  });

  for (const version of ['0', '2']) {
    it(`dulwich (protocol v${version}): shallow and partial clones, a push, and a refused force push with the reason`, async () => {
      const shallow = await dulwich('clone', f.url(), join(f.tmp.path, `dw-shallow-${version}`), '3', '-', version);
      assert.deepEqual(shallow.commits, await reference(`dw-${version}`, ['--depth', '3', '--no-single-branch']));
      assert.ok(shallow.shallow.length > 0);
      if (version === '2') {
        const partial = await dulwich('clone', f.url(), join(f.tmp.path, 'dw-partial'), '-', 'blob:none', version);
        assert.equal(partial.commits.length, (await reference('dw-full', [])).length);
      }
      const dir = join(f.tmp.path, `dw-push-${version}`);
      await gitOk(f.tmp.path, f.env, ['clone', '-q', f.url(), dir]);
      const { commit } = await dulwich('commit', dir, `dw-${version}.txt`, `dulwich ${version}\n`);
      const ok = await dulwich('push', dir, writerUrl, `refs/heads/main:refs/heads/dw-${version}`, '-');
      assert.equal(ok.ok, true, ok.stderr);
      assert.match(await gitOk(f.tmp.path, f.env, ['ls-remote', f.url(), `refs/heads/dw-${version}`]), new RegExp(`^${commit}`));

      await gitOk(dir, f.env, ['branch', '-f', 'old', 'HEAD~1']);
      const refused = await dulwich('push', dir, writerUrl, `+refs/heads/old:refs/heads/dw-${version}`, 'force');
      assert.match(refused.stderr, /a forced update needs admin permission/);

      // Refused before any pack: the advertisement carries the reason.
      const reader = await dulwich('push', dir, readerUrl, `refs/heads/main:refs/heads/rd-${version}`, '-');
      assert.equal(reader.ok, false);
      assert.match(reader.stderr, /you need write permission on gen; you have read/);
    });
  }
});
