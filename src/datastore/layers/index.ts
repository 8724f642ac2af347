/**
 * Wraps a driver in the layers a config names, outermost first, after
 * checking that their order makes sense. Each layer is a driver over the one
 * below, so the DataStore above validates, hashes and counts once.
 */
import type { LayerConfig, LayerKind } from '../config.js';
import type { StoreDriver } from '../driver.js';
import { ConfigError } from '../errors.js';
import { OptionReader } from '../options.js';
import { createCacheLayer } from './cache/index.js';
import { createCompressionLayer } from './compression/index.js';
import { createEncryptionLayer } from './encryption/index.js';

export type LayerFactory = (inner: StoreDriver, config: LayerConfig, options: OptionReader) => StoreDriver | Promise<StoreDriver>;

const FACTORIES: Record<LayerKind, LayerFactory> = {
  cache: createCacheLayer,
  compression: createCompressionLayer,
  encryption: createEncryptionLayer,
};

/** Orders that cannot work, and why; `outer` wraps `inner` (directly or not). */
function refusal(outer: LayerConfig, inner: LayerConfig): string | undefined {
  if (outer.kind === 'encryption' && inner.kind === 'compression') {
    return 'encryption above compression: ciphertext does not compress. List compression before encryption, e.g. layers: [cache, compression, encryption]';
  }
  if (outer.kind === 'cache' && outer.type === 'redis' && inner.kind === 'encryption') {
    return 'a redis cache above encryption would keep plaintext in Redis. List the cache after encryption (layers: [compression, encryption, cache]) so Redis holds ciphertext, or use a memory cache above it';
  }
  return undefined;
}

export function checkLayerOrder(layers: LayerConfig[], where = 'datastore'): void {
  for (let i = 0; i < layers.length; i++) {
    for (let j = i + 1; j < layers.length; j++) {
      const why = refusal(layers[i], layers[j]);
      if (why) throw new ConfigError(`${where}.layers: ${why}`, { key: `${where}.layers` });
    }
  }
}

/** The driver wrapped in `layers` (outermost first). */
export async function applyLayers(driver: StoreDriver, layers: LayerConfig[] = [], where = 'datastore'): Promise<StoreDriver> {
  checkLayerOrder(layers, where);
  let wrapped = driver;
  for (const layer of [...layers].reverse()) {
    const factory = FACTORIES[layer.kind];
    const options = new OptionReader(`${layer.kind} layer`, layer.options);
    wrapped = await factory(wrapped, layer, options);
    options.done();
  }
  return wrapped;
}
