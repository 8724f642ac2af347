/**
 * Encryption keys from a file or an environment variable, never from the
 * config itself. The source holds one or more keys separated by newlines or
 * commas, each `id:key` or a bare key (its id is then the first 8 hex digits
 * of its SHA-256); a key is 32 bytes as base64 or 64 hex digits. The first
 * key encrypts new values; the others only decrypt values written before a
 * rotation (`govc datastore rotate-key`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.js';

export interface Keyring {
  current: { id: string; key: Buffer };
  byId: Map<string, Buffer>;
  /** Where the keys came from, for messages (never the keys). */
  source: string;
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;

function parseKey(text: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(text) && key.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, ''))) {
    throw new ConfigError(`${source} holds a key that is not 32 bytes as base64 or 64 hex digits; make one with: openssl rand -base64 32`);
  }
  return key;
}

export function parseKeyring(text: string, source: string): Keyring {
  const byId = new Map<string, Buffer>();
  let current: Keyring['current'] | undefined;
  for (const item of text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#'))) {
    const colon = item.indexOf(':');
    const key = parseKey(colon < 0 ? item : item.slice(colon + 1).trim(), source);
    const id = colon < 0 ? createHash('sha256').update(key).digest('hex').slice(0, 8) : item.slice(0, colon).trim();
    if (!ID.test(id)) throw new ConfigError(`${source}: key id ${JSON.stringify(id)} must be 1 to 64 letters, digits, dots, dashes or underscores`);
    if (byId.has(id)) throw new ConfigError(`${source} holds key id ${id} twice; each key needs its own id`);
    byId.set(id, key);
    current ??= { id, key };
  }
  if (!current) throw new ConfigError(`${source} holds no key; put one in it, e.g. the output of: openssl rand -base64 32`);
  return { current, byId, source };
}

export interface KeySource {
  keyFile?: string;
  keyEnv?: string;
}

export function loadKeyring({ keyFile, keyEnv }: KeySource): Keyring {
  if (keyFile && keyEnv) throw new ConfigError('encryption takes key_file or key_env, not both', { key: 'encryption.options' });
  if (keyFile) {
    let text: string;
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read encryption key file ${keyFile}: ${(err as Error).message}`, { key: 'encryption.options.key_file' });
    }
    return parseKeyring(text, `key file ${keyFile}`);
  }
  if (keyEnv) {
    const text = process.env[keyEnv];
    if (!text) throw new ConfigError(`environment variable ${keyEnv} (encryption key_env) is not set; export it with the key, e.g. ${keyEnv}=$(openssl rand -base64 32)`, { key: 'encryption.options.key_env' });
    return parseKeyring(text, `environment variable ${keyEnv}`);
  }
  throw new ConfigError(
    'encryption needs a key: set encryption.options.key_file to a file holding it, or key_env to the environment variable that does (keys are never written in the config itself)',
    { key: 'encryption.options' },
  );
}
