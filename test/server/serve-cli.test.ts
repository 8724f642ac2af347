/** `govc serve` as a command: config file and flags, clear errors, the SQLite default, graceful shutdown. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pktLine } from '../../support/pack-builder.js';
import { api, runGovc, startGovc } from '../../support/govc.js';
import { createRepo, makeRepo } from '../support/server.js';
import { gitEnv, gitOk } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';
import { zeroId } from '../../src/datastore/hash.js';

describe('govc serve: command, config and shutdown', () => {
  const tmp = tempDir();
  after(() => tmp.remove());

  it('refuses a bad config with a message naming the problem', async () => {
    const bad = join(tmp.path, 'bad.yaml');
    writeFileSync(bad, 'server: [unclosed\n');
    let r = await runGovc(['serve', '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml is not valid YAML/);
    writeFileSync(bad, 'server:\n  prot: 80\n');
    r = await runGovc(['serve', '--config', bad]);
    assert.match(r.stderr, /unknown key server\.prot/);
    writeFileSync(bad, 'datastore:\n  type: nosuch\n');
    r = await runGovc(['serve', '--config', bad]);
    assert.match(r.stderr, /unknown store type nosuch/);
    r = await runGovc(['serve', '--store', 'memory://', '--port', 'eighty']);
    assert.match(r.stderr, /--port must be a port number/);
    r = await runGovc(['serve', '--config', join(tmp.path, 'missing.yaml')]);
    assert.match(r.stderr, /cannot read config file/);
  });

  it('says which port is in use', async () => {
    const first = await startGovc(['--store', 'memory://']);
    try {
      const port = new URL(first.url).port;
      const r = await runGovc(['serve', '--store', 'memory://', '--port', port]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`port ${port} is in use on 127\\.0\\.0\\.1; pass --port`));
    } finally {
      await first.stop();
    }
  });

  it('says when the store cannot be reached', async () => {
    const r = await runGovc(['serve', '--store', 'postgres://postgres@127.0.0.1:1/test?connect_timeout=2', '--port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[CONNECTION\]/);
  });

  it('reads host, port and store from YAML, and flags override them', async () => {
    const cfg = join(tmp.path, 'govc.yaml');
    writeFileSync(cfg, 'datastore:\n  type: memory\nserver:\n  host: 127.0.0.1\n  port: 1\n  auth:\n    anonymous_read: false\n');
    const govc = await startGovc(['--config', cfg, '--init-admin', 'admin']);
    try {
      assert.notEqual(new URL(govc.url).port, '1', '--port 0 from the test overrides the file');
      assert.match(govc.output(), /serving memory store/);
      await createRepo(govc.url, govc.adminToken, 'pub');
      // anonymous_read: false -> even a public repository needs a token.
      assert.equal((await api(govc.url, 'GET', '/api/v1/repositories/pub')).status, 401);
      assert.equal((await api(govc.url, 'GET', '/api/v1/repositories/pub', { token: govc.adminToken })).status, 200);
    } finally {
      await govc.stop();
    }
  });

  it('defaults to embedded SQLite under ./data and keeps data across restarts', async () => {
    const cwd = join(tmp.path, 'sqlite-default');
    execFileSync('mkdir', ['-p', cwd]);
    let govc = await startGovc(['--init-admin', 'admin'], { cwd });
    const token = govc.adminToken;
    try {
      assert.match(govc.output(), /serving sqlite store/);
      await createRepo(govc.url, token, 'kept');
    } finally {
      assert.equal(await govc.stop(), 0);
    }
    assert.ok(existsSync(join(cwd, 'data', 'govc.db')));
    govc = await startGovc(['--init-admin', 'admin'], { cwd });
    try {
      assert.match(govc.output(), /administrator admin exists already; no new token/);
      assert.equal((await api(govc.url, 'GET', '/api/v1/repositories/kept', { token })).status, 200);
    } finally {
      await govc.stop();
    }
  });

  it('on SIGTERM lets an in-flight push finish, then closes the store', async () => {
    const env = gitEnv(tmp.path);
    const snapshot = join(tmp.path, 'mem.snapshot');
    const store = `memory://${snapshot}?persist_on_shutdown=true`;
    let govc = await startGovc(['--store', store, '--init-admin', 'admin']);
    const token = govc.adminToken;
    await createRepo(govc.url, token, 'slow');
    const src = join(tmp.path, 'slow-src');
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'slow-src']);
    await makeRepo(src, env, 3);
    const head = (await gitOk(src, env, ['rev-parse', 'main'])).trim();
    const pack = execFileSync('git', ['pack-objects', '--stdout', '--revs'], { cwd: src, input: 'main\n', env });
    const commands = Buffer.concat([pktLine(`${zeroId()} ${head} refs/heads/main\0report-status\n`), Buffer.from('0000')]);

    const response = new Promise<string>((resolve, reject) => {
      const req = request(`${govc.url}/slow.git/git-receive-pack`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-git-receive-pack-request', authorization: `Bearer ${token}` },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.write(commands);
      req.write(pack.subarray(0, 20));
      // The push is in flight: now ask the server to stop, then finish sending the pack.
      setTimeout(() => {
        govc.child.kill('SIGTERM');
        setTimeout(() => req.end(pack.subarray(20)), 500);
      }, 300);
    });
    assert.match(await response, /ok refs\/heads\/main/);
    assert.equal(await govc.exited, 0, govc.output());
    assert.match(govc.output(), /SIGTERM: finishing in-flight requests/);
    assert.ok(readFileSync(snapshot).length > 0);

    govc = await startGovc(['--store', store]);
    try {
      const ref = await api(govc.url, 'GET', '/api/v1/repositories/slow/refs/refs%2Fheads%2Fmain', { token });
      assert.equal(ref.body.target, head);
    } finally {
      await govc.stop();
    }
  });
});
