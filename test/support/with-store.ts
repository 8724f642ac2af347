/** Opens a store for one test body and always closes it; `driver` is typed by the caller for store-specific checks. */
import { createStore, type DataStore, type StoreConfig, type StoreDriver } from '../../src/datastore/index.js';

export async function withStore<T, D extends StoreDriver = StoreDriver>(
  source: string | StoreConfig,
  fn: (store: DataStore, driver: D) => Promise<T>,
): Promise<T> {
  const store = await createStore(source);
  try {
    return await fn(store, store.driver as D);
  } finally {
    await store.close();
  }
}
