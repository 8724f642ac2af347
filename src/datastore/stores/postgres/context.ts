/** What the driver, its transactions and its writers share. */
import type { Dialect } from './dialect.js';
import type { WriteStatements } from './writer.js';

export interface StoreContext {
  dialect: Dialect;
  sql: WriteStatements;
  /** NOTIFY channel of this store's schema. */
  channel: string;
  maxObjectSize: number;
  mapError(err: unknown): unknown;
}
