/** The encryption layer from its config block: {type: aes-256-gcm, options: {key_file | key_env, allow_plaintext}}. */
import type { LayerConfig } from '../../config.js';
import type { StoreDriver } from '../../driver.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import { ValueCodec } from '../value-codec.js';
import { ValueLayer } from '../value-layer.js';
import { AesGcm } from './aes-gcm.js';
import { loadKeyring } from './keyring.js';

export class EncryptionLayer extends ValueLayer {
  constructor(
    inner: StoreDriver,
    readonly cipher: AesGcm,
  ) {
    super(inner, new ValueCodec(cipher));
  }
  /** The store below, for rotate-key (reads what is stored, as stored). */
  get below(): StoreDriver {
    return this.inner;
  }
  get valueCodec(): ValueCodec {
    return this.codec;
  }
}

export function createEncryptionLayer(inner: StoreDriver, config: LayerConfig, options: OptionReader): StoreDriver {
  if (!['aes-256-gcm', 'aes256', 'aes-256'].includes(config.type)) {
    throw new ConfigError(`unknown encryption type ${config.type}; the one supported is aes-256-gcm`, { key: 'encryption.type' });
  }
  if (options.string('key') !== undefined) {
    throw new ConfigError('encryption.options.key: keys are never written in the config; put the key in a file (key_file) or an environment variable (key_env)', { key: 'encryption.options.key' });
  }
  const keyring = loadKeyring({ keyFile: options.string('key_file'), keyEnv: options.string('key_env') });
  return new EncryptionLayer(inner, new AesGcm(keyring, options.bool('allow_plaintext', false)));
}
