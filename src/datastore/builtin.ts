/**
 * The registry with every built-in store. Each store's module is imported only
 * when that type is created, so a native binding that failed to build breaks
 * only its own store.
 */
import type { StoreConfig } from './config.js';
import { StoreRegistry } from './registry.js';
import type { DataStore } from './store.js';

export const defaultRegistry = new StoreRegistry();

defaultRegistry.register('memory', {
  description: 'in-process maps; size limit, LRU eviction as a cache, optional snapshot to disk',
  network: false,
  create: async (config, options) => (await import('./stores/memory/index.js')).createMemoryDriver(config, options),
});

/** Creates and opens a store from a URI (`sqlite://./data/govc.db`) or a config object. */
export function createStore(source: string | StoreConfig | Record<string, unknown>): Promise<DataStore> {
  return defaultRegistry.create(source);
}
