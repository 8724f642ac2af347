/** What a store's test file hands the compliance suite. */
import type { StoreConfig } from '../../src/datastore/index.js';

export interface ComplianceTarget {
  /**
   * A URI or config for a new, empty store (a new file, database, schema or key
   * prefix). Called many times; every store it names must be independent.
   * The suite opens it with createStore(), in this process or in a child.
   */
  freshConfig(): Promise<string | StoreConfig>;
  /** Removes everything the configs made; called once at the end. */
  cleanup?(): Promise<void>;
  /**
   * Run every read and write of the stores the suite opens in a transaction of
   * its own (in-transaction.ts); for stores with `capabilities.transactions`.
   */
  inTransaction?: boolean;
  /** Object count for the many-small-objects case (default 100,000). */
  manyObjects?: number;
  /** Size in bytes of the large-object case (default 64 MiB). */
  largeObjectBytes?: number;
  /**
   * Fraction (0, 1] of the work in the heavy contention and crash cases
   * (writers, increments, record updaters, acknowledged writes before the
   * kill), for a server too slow to run them at full size in CI (default 1).
   * The 32-way compare-and-swap race keeps its 32 racers and 20 rounds
   * whatever this says.
   */
  loadScale?: number;
}

/** `full` scaled by the target's loadScale, never below `min`. */
export function scaled(target: ComplianceTarget, full: number, min: number): number {
  return Math.max(min, Math.round(full * (target.loadScale ?? 1)));
}
