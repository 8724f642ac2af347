/** What every benchmark group gets: the open store, how to reopen it, the sizes, and a place to log. */
import { randomBytes } from 'node:crypto';
import type { DataStore } from '../../datastore/store.js';
import type { BenchResult, Group } from './result.js';
import type { SuiteSizes } from './sizes.js';

export interface SuiteContext {
  /** The store URI as given (workers and the server open their own). */
  uri: string;
  store: DataStore;
  sizes: SuiteSizes;
  /** Unique per run, so repositories of reruns on one store do not collide. */
  tag: string;
  /** Closes the store and opens it again from the URI (for cold reads); updates `store`. */
  reopen(): Promise<DataStore>;
  /** Progress lines on stderr. */
  log(line: string): void;
}

export interface BenchmarkGroup {
  group: Group;
  /** Every benchmark name this group reports (rows may repeat a name per worker count). */
  names: readonly string[];
  /** Runs the wanted benchmarks of the group on one store. */
  run(ctx: SuiteContext, wanted: (name: string) => boolean): Promise<BenchResult[]>;
}

export function runTag(): string {
  return `bench-${randomBytes(4).toString('hex')}`;
}

/** Runs `fn` and always deletes the repositories it registered. */
export async function withRepositories<T>(store: () => DataStore, fn: (created: string[]) => Promise<T>): Promise<T> {
  const created: string[] = [];
  try {
    return await fn(created);
  } finally {
    for (const id of created) await store().deleteRepository(id).catch(() => undefined);
  }
}
