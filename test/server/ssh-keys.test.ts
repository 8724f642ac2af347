/**
 * SSH set-up of `govc serve`: server.ssh config, the host key (generated once,
 * kept, private), and users' public keys through the REST API, checked
 * against ssh-keygen's fingerprints; then OpenSSH's client against the
 * listener for what happens before any git runs (unknown key, shell, a
 * command that is not git).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseServerYaml } from '../../src/server/config.js';
import { parseGitCommand, shellWords } from '../../src/server/ssh/command.js';
import { loadOrCreateHostKey } from '../../src/server/ssh/host-key.js';
import { api, createUser, startGovc, tempDir } from './helpers.js';
import { addKey, makeKey, sshEnv, startGovcWithSsh, type GovcWithSsh } from './ssh-helpers.js';

function ssh(env: NodeJS.ProcessEnv, port: number, command?: string): Promise<{ code: number; stderr: string; stdout: string }> {
  const base = env.GIT_SSH_COMMAND!.split(' ');
  const args = [...base.slice(1), '-p', String(port), 'git@127.0.0.1', ...(command !== undefined ? [command] : [])];
  return new Promise((resolve) => {
    const child = execFile(base[0], args, { env, encoding: 'utf8', timeout: 20000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end();
  });
}

describe('server.ssh config', () => {
  it('reads enabled, host, port and host_key, and refuses what it does not know', () => {
    const parsed = parseServerYaml('server:\n  ssh: {port: 2200, host: 0.0.0.0, host_key: /k}\n', 'test.yaml');
    assert.deepEqual(parsed.ssh, { enabled: true, host: '0.0.0.0', port: 2200, hostKeyPath: '/k' });
    assert.equal(parseServerYaml('server:\n  ssh: {enabled: false}\n', 't').ssh?.enabled, false);
    assert.throws(() => parseServerYaml('server:\n  ssh: {prot: 22}\n', 't'), /unknown server\.ssh option prot/);
    assert.throws(() => parseServerYaml('server:\n  ssh: {port: 70000}\n', 't'), /server\.ssh option port must be an integer from 0 to 65535/);
    assert.throws(() => parseServerYaml('server:\n  ssh: true\n', 't'), /server\.ssh must be a mapping/);
  });
});

describe('SSH host key generation', () => {
  // ssh2's generator makes a malformed ed25519 key about once in 300; a server must never write one.
  it('writes only keys that load, over 2,000 first starts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'govc-host-keys-'));
    try {
      for (let i = 0; i < 2000; i++) loadOrCreateHostKey(join(dir, `key${i}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SSH exec commands as git sends them', () => {
  it('finds the service and repository in every form git and other clients use', () => {
    const forms: Array<[string, string, string]> = [
      ["git-upload-pack '/demo.git'", 'git-upload-pack', 'demo'],
      ["git-receive-pack 'demo.git'", 'git-receive-pack', 'demo'],
      ["git-upload-pack 'demo'", 'git-upload-pack', 'demo'],
      ["git-upload-pack '~/demo.git/'", 'git-upload-pack', 'demo'],
      ['git upload-pack "/my-repo.v2.git"', 'git-upload-pack', 'my-repo.v2'],
      ['git-receive-pack /demo', 'git-receive-pack', 'demo'],
    ];
    for (const [command, service, repository] of forms) assert.deepEqual(parseGitCommand(command), { ok: true, service, repository }, command);
    // git's sq_quote escapes ' and ! outside the quotes.
    assert.deepEqual(shellWords("git-upload-pack 'it'\\''s a'\\!'.git'"), ['git-upload-pack', "it's a!.git"]);
    assert.match((parseGitCommand("git-upload-pack --stateless-rpc '/demo'") as { message: string }).message, /takes no options over SSH/);
    assert.match((parseGitCommand('git-upload-pack') as { message: string }).message, /takes one repository path; got 0/);
    assert.match((parseGitCommand("git-upload-pack '../etc'") as { message: string }).message, /does not name a repository/);
  });
});

describe('govc serve over SSH: host key and public keys', () => {
  const tmp = tempDir('govc-ssh-keys-');
  let govc: GovcWithSsh;
  let admin: string;
  let bob: string;

  before(async () => {
    govc = await startGovcWithSsh(tmp.path, ['--store', 'memory://', '--init-admin', 'admin']);
    admin = govc.adminToken;
    bob = await createUser(govc.url, admin, 'bob');
    await createUser(govc.url, admin, 'carol');
  });
  after(async () => {
    assert.equal(await govc.stop(), 0, govc.output());
    tmp.remove();
  });

  it('generates the host key on first start, private to its owner, and keeps it across restarts', async () => {
    assert.equal(statSync(govc.hostKeyPath).mode & 0o777, 0o600);
    const printed = /host key (SHA256:\S+)\)/.exec(govc.output())![1];
    const fromKeygen = await new Promise<string>((resolve) => execFile('ssh-keygen', ['-lf', `${govc.hostKeyPath}.pub`], (_e, out) => resolve(out.split(' ')[1])));
    assert.equal(printed, fromKeygen);
    const again = await startGovcWithSsh(tmp.path, ['--store', 'memory://'], { hostKeyPath: govc.hostKeyPath });
    try {
      assert.match(again.output(), new RegExp(`host key ${printed.replace(/[+/]/g, '\\$&')}\\)`));
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });

  it('refuses to start with a host key others may read', async () => {
    const path = join(tmp.path, 'loose', 'host_key');
    const first = await startGovcWithSsh(tmp.path, ['--store', 'memory://'], { hostKeyPath: path });
    await first.stop();
    chmodSync(path, 0o644);
    await assert.rejects(startGovcWithSsh(tmp.path, ['--store', 'memory://'], { hostKeyPath: path }), /may be read by other users \(mode 644\); run chmod 600/);
  });

  it('adds, lists and deletes a user\'s keys, with the fingerprints ssh-keygen prints', async () => {
    const ed = await makeKey(tmp.path, 'bob_ed25519');
    const rsa = await makeKey(tmp.path, 'bob_rsa', 'rsa');
    const ec = await makeKey(tmp.path, 'bob_ecdsa', 'ecdsa');
    const added = await addKey(govc.url, bob, 'bob', ed.publicKey, 'laptop');
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.fingerprint, ed.fingerprint);
    assert.equal(added.body.title, 'laptop');
    assert.equal(added.body.type, 'ssh-ed25519');
    for (const k of [rsa, ec]) {
      const r = await addKey(govc.url, admin, 'bob', k.publicKey);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.fingerprint, k.fingerprint);
      assert.equal(r.body.title, k.publicKey.split(' ')[2], 'the key comment is the default title');
    }
    const listed = await api(govc.url, 'GET', '/api/v1/users/bob/ssh-keys', { token: bob });
    assert.deepEqual(listed.body.items.map((k: { fingerprint: string }) => k.fingerprint).sort(), [ed, rsa, ec].map((k) => k.fingerprint).sort());

    const byFingerprint = await api(govc.url, 'DELETE', `/api/v1/users/bob/ssh-keys/${encodeURIComponent(rsa.fingerprint)}`, { token: bob });
    assert.equal(byFingerprint.status, 204);
    const ecId = listed.body.items.find((k: { fingerprint: string }) => k.fingerprint === ec.fingerprint).id;
    assert.equal((await api(govc.url, 'DELETE', `/api/v1/users/bob/ssh-keys/${ecId}`, { token: admin })).status, 204);
    assert.equal((await api(govc.url, 'DELETE', `/api/v1/users/bob/ssh-keys/${ecId}`, { token: admin })).status, 404);
    const left = await api(govc.url, 'GET', '/api/v1/users/bob/ssh-keys', { token: admin });
    assert.deepEqual(left.body.items.map((k: { fingerprint: string }) => k.fingerprint), [ed.fingerprint]);

    const events = await api(govc.url, 'GET', '/api/v1/events?action=ssh_key.add&user=bob', { token: admin });
    assert.equal(events.body.items.length, 1);
    assert.equal(events.body.items[0].details.fingerprint, ed.fingerprint);
    assert.equal((await api(govc.url, 'GET', '/api/v1/events?action=ssh_key.delete', { token: admin })).body.items.length, 2);
  });

  it('lets a key belong to one user only, and users manage only their own keys', async () => {
    const k = await makeKey(tmp.path, 'shared');
    assert.equal((await addKey(govc.url, bob, 'bob', k.publicKey)).status, 201);
    const again = await addKey(govc.url, bob, 'bob', k.publicKey);
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /added this key already/);
    const other = await addKey(govc.url, admin, 'carol', k.publicKey);
    assert.equal(other.status, 409);
    assert.match(other.body.error.message, /belongs to another account/);
    assert.equal((await addKey(govc.url, bob, 'carol', k.publicKey)).status, 403);
    assert.equal((await api(govc.url, 'GET', '/api/v1/users/carol/ssh-keys', { token: bob })).status, 403);
    assert.equal((await api(govc.url, 'GET', '/api/v1/users/bob/ssh-keys')).status, 401);
  });

  it('frees a deleted user\'s keys', async () => {
    const dave = await createUser(govc.url, admin, 'dave');
    const k = await makeKey(tmp.path, 'dave');
    assert.equal((await addKey(govc.url, dave, 'dave', k.publicKey)).status, 201);
    assert.equal((await api(govc.url, 'DELETE', '/api/v1/users/dave', { token: admin })).status, 204);
    assert.equal((await addKey(govc.url, admin, 'carol', k.publicKey)).status, 201);
  });

  it('refuses what is not a usable public key, saying what to send', async () => {
    const cases: Array<[string, RegExp]> = [
      ['-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----', /private key: never share it/],
      ['ssh-dss AAAAB3NzaC1kc3MAAACBAP', /DSA keys are no longer accepted/],
      ['hello world', /unsupported SSH key type "hello"/],
      ['ssh-ed25519 bm90IGEga2V5', /not a valid ssh-ed25519 public key/],
      ['ssh-ed25519 AAAA\nssh-ed25519 BBBB', /one public key, on one line/],
    ];
    for (const [key, message] of cases) {
      const r = await addKey(govc.url, bob, 'bob', key);
      assert.equal(r.status, 400, key);
      assert.match(r.body.error.message, message);
    }
    const short = await makeKey(tmp.path, 'short_rsa', 'rsa', 1024);
    const refused = await addKey(govc.url, bob, 'bob', short.publicKey);
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /RSA keys need at least 2048 bits/);
  });

  it('tells a client whose keys are unknown which keys it offered and how to register one', async () => {
    const stranger = await makeKey(tmp.path, 'stranger');
    const r = await ssh(sshEnv({ PATH: process.env.PATH, HOME: tmp.path }, tmp.path, govc, stranger.path), govc.sshPort, "git-upload-pack '/demo.git'");
    assert.equal(r.code, 255);
    assert.match(r.stderr, new RegExp(`none of the SSH keys you offered \\(${stranger.fingerprint.replace(/[+/]/g, '\\$&')}\\) is registered`));
    assert.match(r.stderr, /\/api\/v1\/users\/<username>\/ssh-keys/);
    assert.match(r.stderr, /Permission denied \(publickey\)/);
  });

  it('greets a shell request by name and refuses it; refuses commands that are not git', async () => {
    const k = await makeKey(tmp.path, 'carol_key');
    const carol = await createUser(govc.url, admin, 'erin');
    assert.equal((await addKey(govc.url, carol, 'erin', k.publicKey)).status, 201);
    const env = sshEnv({ PATH: process.env.PATH, HOME: tmp.path }, tmp.path, govc, k.path);
    const shell = await ssh(env, govc.sshPort);
    assert.equal(shell.code, 1);
    assert.match(shell.stderr, /Hi erin! You've authenticated, but govc does not provide shell access/);
    assert.match(shell.stderr, new RegExp(`git clone ${govc.sshUrl}/<repository>\\.git`));
    const ls = await ssh(env, govc.sshPort, 'ls -la');
    assert.equal(ls.code, 128);
    assert.match(ls.stderr, /govc: "ls" is not a git command this server runs; only git-upload-pack and git-receive-pack/);
    const archive = await ssh(env, govc.sshPort, "git-upload-archive '/demo.git'");
    assert.match(archive.stderr, /git archive --remote is not served/);
    const quotes = await ssh(env, govc.sshPort, "git-upload-pack 'demo.git");
    assert.match(quotes.stderr, /unbalanced quotes/);
    const nested = await ssh(env, govc.sshPort, "git-upload-pack '/a/b.git'");
    assert.match(nested.stderr, /"\/a\/b\.git" does not name a repository/);
  });

  it('does not listen for SSH unless server.ssh is configured', async () => {
    const plain = await startGovc(['--store', 'memory://']);
    try {
      assert.doesNotMatch(plain.output(), /git over SSH/);
    } finally {
      await plain.stop();
    }
  });
});
