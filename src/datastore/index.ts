/** The library entry: types, errors, the DataStore, and the default registry with every built-in store. */
export * from './types.js';
export * from './errors.js';
export type { StoreDriver, DriverReader, DriverTransaction, WriteOp, ChangeEvent, ChangeListener } from './driver.js';
export { DataStore, Transaction } from './store.js';
export type { ObjectInput, ListOptions } from './operations.js';
export type { RepositoryInput, RepositoryPatch, UserInput, UserPatch, EventInput } from './inputs.js';
export { hashObject, isObjectId, zeroId } from './hash.js';
export { StoreRegistry, type StoreFactory } from './registry.js';
export { parseStoreUri, parseStoreYaml, loadStoreYaml, type StoreConfig } from './config.js';
export { defaultRegistry, createStore } from './builtin.js';
