/**
 * The SSH host key: read from server.ssh.host_key, or generated there on
 * first start (ed25519, OpenSSH format, mode 0600, with a `.pub` beside it as
 * ssh-keygen writes it) and kept, so clients' known_hosts stay valid across
 * restarts. A key file others may read is refused, as sshd refuses one.
 * Several servers starting at once on one path agree on one key: the file
 * appears whole (written aside, then hard-linked into place) or not at all.
 */
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { ConfigError } from '../../datastore/errors.js';
import { fingerprintOf } from './fingerprint.js';

export interface HostKey {
  /** The private key as read (OpenSSH or PEM format), for ssh2's hostKeys. */
  privateKey: string;
  /** `ssh-ed25519 AAAA...`: what a known_hosts line holds after the host name. */
  publicKey: string;
  fingerprint: string;
}

export function loadOrCreateHostKey(path: string): HostKey {
  let text: string;
  try {
    text = readKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    createHostKey(path);
    text = readKeyFile(path);
  }
  const parsed = ssh2.utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || !key || !key.isPrivateKey()) {
    throw new ConfigError(`server.ssh.host_key ${path} is not an unencrypted SSH private key${key instanceof Error ? ` (${key.message})` : ''}; remove it to have a new one generated`, { key: 'server.ssh.host_key' });
  }
  const blob = key.getPublicSSH();
  return { privateKey: text, publicKey: `${key.type} ${blob.toString('base64')}`, fingerprint: fingerprintOf(blob) };
}

function readKeyFile(path: string): string {
  const mode = statSync(path).mode;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      `server.ssh.host_key ${path} may be read by other users (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`,
      { key: 'server.ssh.host_key' },
    );
  }
  return readFileSync(path, 'utf8');
}

/** ssh2's generator writes a malformed ed25519 key about once in 300 (ssh-keygen refuses it too): keep only one that parses. */
function generateHostKeyPair(): { private: string; public: string } {
  for (let attempt = 1; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'govc host key' });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
    if (attempt === 20) throw new Error('could not generate a well-formed ed25519 host key in 20 attempts');
  }
}

function createHostKey(path: string): void {
  const { private: privateKey, public: publicKey } = generateHostKeyPair();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, privateKey, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, path);
    writeFileSync(`${path}.pub`, `${publicKey}\n`, { mode: 0o644 });
  } catch (err) {
    // Another server made it first: use that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(aside);
  }
}
