/** SSH key fingerprints as OpenSSH prints them (`ssh-keygen -lf`, sshd's log): SHA256 of the key blob, base64 without padding. */
import { createHash } from 'node:crypto';

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The same digest in hex: a key's id in the store and in REST paths (no '/' or '+' to escape). */
export function keyIdOf(blob: Buffer): string {
  return createHash('sha256').update(blob).digest('hex');
}

/** The hex id a fingerprint names, or undefined when `text` is no SHA256 fingerprint. */
export function keyIdOfFingerprint(text: string): string | undefined {
  const m = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text);
  if (!m) return undefined;
  const bytes = Buffer.from(m[1], 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : undefined;
}
