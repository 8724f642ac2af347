import type { StoreConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { OptionReader } from '../../options.js';
import { MemoryDriver } from './memory-driver.js';

/** `memory://` or `memory://./data/snapshot.bin?persist_on_shutdown=true&max_size=1GB&mode=cache`. */
export function createDriver(config: StoreConfig, options: OptionReader): MemoryDriver {
  const maxBytes = options.bytes('max_size', 0);
  const mode = options.string('mode', 'primary', ['primary', 'cache'] as const);
  const persist = options.bool('persist_on_shutdown', false);
  const path = config.connection || undefined;
  if (persist && !path) {
    throw new ConfigError('memory option persist_on_shutdown needs a snapshot path as the connection, e.g. memory://./data/memory.snapshot', {
      key: 'connection',
    });
  }
  return new MemoryDriver({ maxBytes, mode, snapshotPath: persist ? path : undefined });
}
