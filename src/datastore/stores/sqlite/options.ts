/** The sqlite store's options, read once through the shared OptionReader. */
import { isAbsolute, resolve } from 'node:path';
import type { StoreConfig } from '../../config.js';
import type { OptionReader } from '../../options.js';

// OFF is left out: without a rollback journal a failed write could not be undone, and write() is all-or-nothing.
export const JOURNAL_MODES = ['WAL', 'DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY'] as const;
export const SYNCHRONOUS_MODES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

export type JournalMode = (typeof JOURNAL_MODES)[number];
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

export const MEMORY_PATH = ':memory:';
export const DEFAULT_PATH = './data/govc.db';

export interface SqliteSettings {
  /** An absolute file path, or `:memory:`. */
  path: string;
  journalMode: JournalMode;
  synchronous: SynchronousMode;
  /** SQLite's meaning: pages when positive, KiB when negative. */
  cacheSize: number;
  busyTimeoutMs: number;
}

/** `sqlite://./data/govc.db?journal_mode=WAL&synchronous=NORMAL&cache_size=10000&busy_timeout=5s`, or `sqlite://:memory:`. */
export function readSqliteSettings(config: StoreConfig, options: OptionReader): SqliteSettings {
  const connection = config.connection.trim() || DEFAULT_PATH;
  return {
    path: connection === MEMORY_PATH || isAbsolute(connection) ? connection : resolve(connection),
    journalMode: options.string('journal_mode', 'WAL', JOURNAL_MODES),
    synchronous: options.string('synchronous', 'NORMAL', SYNCHRONOUS_MODES),
    cacheSize: options.int('cache_size', 10_000, -(2 ** 31), 2 ** 31 - 1),
    busyTimeoutMs: Math.round(options.durationMs('busy_timeout', 5000)),
  };
}
