/**
 * AES-256-GCM for stored values. A sealed value is: magic "GE", version 1,
 * key id length, key id, 12-byte nonce, ciphertext, 16-byte tag. The name
 * of what is sealed (e.g. "config <key>", "object <id>") is authenticated
 * data, so a value moved to another row fails like a tampered one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { IntegrityError } from '../../errors.js';
import type { ByteTransform } from '../value-codec.js';
import type { Keyring } from './keyring.js';

const MAGIC = Buffer.from('GE\u0001');
const NONCE = 12;
const TAG = 16;

/** The key id a sealed value names, or undefined when it is not one. */
export function sealedKeyId(stored: Uint8Array): string | undefined {
  if (stored.length < MAGIC.length + 1 || !MAGIC.equals(Buffer.from(stored.subarray(0, MAGIC.length)))) return undefined;
  const len = stored[MAGIC.length];
  if (stored.length < MAGIC.length + 1 + len + NONCE + TAG) return undefined;
  return Buffer.from(stored.subarray(MAGIC.length + 1, MAGIC.length + 1 + len)).toString('latin1');
}

export class AesGcm implements ByteTransform {
  readonly tag = 'e';
  readonly objects = true;
  readonly seals = true;

  constructor(
    readonly keyring: Keyring,
    /** Values written before encryption was turned on are read as they are (until rotate-key has sealed them). */
    private readonly allowPlaintext: boolean,
  ) {}

  encode(plain: Buffer, where: string): Buffer {
    const { id, key } = this.keyring.current;
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(where));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const idBytes = Buffer.from(id, 'latin1');
    return Buffer.concat([MAGIC, Buffer.from([idBytes.length]), idBytes, nonce, body, cipher.getAuthTag()]);
  }

  decode(stored: Buffer, where: string): Buffer {
    const id = sealedKeyId(stored);
    if (id === undefined) {
      if (this.allowPlaintext) return stored;
      throw new IntegrityError(`${where}: the stored value is not an encrypted value (truncated, or written without encryption); nothing was returned. If encryption was just turned on, set encryption.options.allow_plaintext until govc datastore rotate-key has run`, { where });
    }
    const key = this.keyring.byId.get(id);
    if (!key) {
      throw new IntegrityError(`${where}: the stored value was encrypted with key id ${id}, which ${this.keyring.source} does not hold; add that key (after the current one) to read it`, { where, keyId: id });
    }
    const start = MAGIC.length + 1 + id.length;
    const nonce = stored.subarray(start, start + NONCE);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(Buffer.from(where));
    decipher.setAuthTag(stored.subarray(stored.length - TAG));
    try {
      return Buffer.concat([decipher.update(stored.subarray(start + NONCE, stored.length - TAG)), decipher.final()]);
    } catch {
      throw new IntegrityError(`${where}: the stored value fails authentication (tampered with, truncated, or moved from another record); nothing was returned`, { where, keyId: id });
    }
  }

  unmarked(where: string): void {
    if (this.allowPlaintext) return;
    throw new IntegrityError(`${where}: the stored value is not encrypted; nothing was returned. If encryption was just turned on, set encryption.options.allow_plaintext until govc datastore rotate-key has run`, { where });
  }
}
