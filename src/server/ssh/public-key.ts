/**
 * A user's SSH public key as pasted from a `.pub` file or `ssh-add -L`:
 * `<type> <base64> [comment]`. Only types ssh2 verifies and current OpenSSH
 * accepts; anything else gets an error saying what to send instead.
 */
import ssh2 from 'ssh2';
import { InvalidArgumentError } from '../../datastore/errors.js';
import { fingerprintOf, keyIdOf } from './fingerprint.js';

export const KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] as const;
const MIN_RSA_BITS = 2048;
const MAX_KEY_TEXT = 16 * 1024;

export interface PublicKey {
  type: string;
  /** The key blob (what the client sends when it authenticates). */
  blob: Buffer;
  /** `<type> <base64>`, without the comment. */
  openssh: string;
  fingerprint: string;
  /** Hex SHA-256 of the blob. */
  id: string;
  comment: string;
}

const bad = (message: string) => new InvalidArgumentError(message);

export function parsePublicKey(text: string): PublicKey {
  if (text.length > MAX_KEY_TEXT) throw bad(`an SSH public key is a single line of a few hundred characters; got ${text.length}`);
  const line = text.trim();
  if (/PRIVATE KEY/.test(line)) throw bad('that is a private key: never share it; send the contents of the matching .pub file');
  if (/[\r\n]/.test(line)) throw bad('send one public key, on one line: the contents of a .pub file');
  const [type = '', base64 = '', ...comment] = line.split(/\s+/);
  if (!(KEY_TYPES as readonly string[]).includes(type)) {
    const hint = type === 'ssh-dss' ? 'DSA keys are no longer accepted by OpenSSH' : `expected a line starting with one of ${KEY_TYPES.join(', ')}`;
    throw bad(`unsupported SSH key type ${JSON.stringify(type.slice(0, 40))}: ${hint}; make one with ssh-keygen -t ed25519`);
  }
  const parsed = ssh2.utils.parseKey(`${type} ${base64}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || !key) throw bad(`not a valid ${type} public key${key instanceof Error ? ` (${key.message})` : ''}; paste the whole line of the .pub file`);
  if (key.type !== type) throw bad(`the key says it is ${type} but holds a ${key.type} key`);
  const blob = key.getPublicSSH();
  if (type === 'ssh-rsa' && rsaBits(blob) < MIN_RSA_BITS) throw bad(`RSA keys need at least ${MIN_RSA_BITS} bits; make an ed25519 key with ssh-keygen -t ed25519`);
  return { type, blob, openssh: `${type} ${blob.toString('base64')}`, fingerprint: fingerprintOf(blob), id: keyIdOf(blob), comment: comment.join(' ') };
}

/** Bits of an RSA key blob's modulus: string "ssh-rsa", mpint e, mpint n (RFC 4253, 6.6). */
function rsaBits(blob: Buffer): number {
  let at = 0;
  const next = () => {
    const length = blob.readUInt32BE(at);
    const value = blob.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return value;
  };
  next();
  next();
  const n = next();
  let start = 0;
  while (start < n.length && n[start] === 0) start++;
  return start === n.length ? 0 : (n.length - start - 1) * 8 + (32 - Math.clz32(n[start]));
}
