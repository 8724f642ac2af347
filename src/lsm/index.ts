/** An embedded LSM key-value engine: see README.md beside this file. */
export { LsmDb, Snapshot, WriteBatch, type LsmEntry, type LsmRange, type WriteOp } from './db.js';
export { LsmError, type LsmErrorCode } from './errors.js';
export { DEFAULT_OPTIONS, type LsmOptions } from './options.js';
export type { LsmStats } from './core.js';
