/**
 * `mongodb://user:password@host:27017/govc?pool_size=50&write_concern=majority&tls=true`
 * Options: see readMongoSettings in settings.ts.
 */
import type { StoreConfig } from '../../config.js';
import type { OptionReader } from '../../options.js';
import { MongoDriver } from './driver.js';
import { readMongoSettings } from './settings.js';

export { MongoDriver } from './driver.js';
export type { ServerFeatures } from './server-features.js';

export function createDriver(config: StoreConfig, options: OptionReader): MongoDriver {
  return new MongoDriver(readMongoSettings(config, options));
}
