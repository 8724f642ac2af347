/** For the SSH tests and bench: `govc serve` with server.ssh on, keys made by ssh-keygen, and git using OpenSSH's own client. */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, startGovc, type Govc } from './govc.js';

export interface GovcWithSsh extends Govc {
  /** `ssh://git@127.0.0.1:<port>` */
  sshUrl: string;
  sshPort: number;
  hostKeyPath: string;
}

/** Starts `govc serve` with SSH on a free port; the host key lives in `dir`; `serverYaml` adds lines to the server: block (indented by two). */
export async function startGovcWithSsh(dir: string, args: string[], options: { hostKeyPath?: string; serverYaml?: string } = {}): Promise<GovcWithSsh> {
  const hostKeyPath = options.hostKeyPath ?? join(dir, 'ssh', 'host_key');
  const config = join(dir, `govc-ssh-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(config, `server:\n  ssh: {enabled: true, port: 0, host_key: ${JSON.stringify(hostKeyPath)}}\n${options.serverYaml ?? ''}`);
  const govc = await startGovc(['--config', config, ...args]);
  const deadline = Date.now() + 20_000;
  let m: RegExpExecArray | null;
  while (!(m = /git over SSH on (ssh:\/\/git@127\.0\.0\.1:(\d+)) /.exec(govc.output()))) {
    if (Date.now() > deadline) throw new Error(`govc serve printed no SSH address:\n${govc.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Object.assign(govc, { sshUrl: m[1], sshPort: Number(m[2]), hostKeyPath });
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))),
  );
}

/** A new key pair made by ssh-keygen, without passphrase; returns the private key's path and the public line. */
export async function makeKey(dir: string, name: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519', bits?: number): Promise<{ path: string; publicKey: string; fingerprint: string }> {
  const path = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', `${name}@test`, '-f', path]);
  const fingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`])).split(' ')[1];
  return { path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim(), fingerprint };
}

/**
 * The environment for git (or ssh) to use OpenSSH's client with this key only,
 * trusting exactly the server's host key (known_hosts written from its .pub).
 */
export function sshEnv(base: NodeJS.ProcessEnv, dir: string, govc: GovcWithSsh, keyPath: string): NodeJS.ProcessEnv {
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${govc.sshPort} ${readFileSync(`${govc.hostKeyPath}.pub`, 'utf8').trim()}\n`);
  const command = ['ssh', '-F', '/dev/null', '-o', 'IdentitiesOnly=yes', '-o', `IdentityFile=${keyPath}`, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes'];
  return { ...base, GIT_SSH_COMMAND: command.join(' '), GIT_SSH_VARIANT: 'ssh' };
}

export async function addKey(base: string, token: string, username: string, publicKey: string, title?: string): Promise<{ status: number; body: any }> {
  return api(base, 'POST', `/api/v1/users/${username}/ssh-keys`, { token, body: { key: publicKey, ...(title ? { title } : {}) } });
}
