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

/**
 * Each connection's page cache, in SQLite's terms: -16384 is 16 MiB. Every
 * connection has its own (govc serve opens one per engine thread besides its
 * main one), and a large write fills it: 10000 pages (80 MiB at our 8 KiB
 * pages) raised a 1 GiB push's peak RSS by ~60 MB and made neither a
 * 150k-object import nor a clone of it faster (reads that miss come from
 * the OS page cache).
 */
const DEFAULT_CACHE_SIZE = -16384;

/** `sqlite://./data/govc.db?journal_mode=WAL&synchronous=NORMAL&cache_size=10000&busy_timeout=5s`, or `sqlite://:memory:`. */
export function readSqliteSettings(config: StoreConfig, options: OptionReader): SqliteSettings {
  const connection = config.connection.trim() || DEFAULT_PATH;
  return {
    path: connection === MEMORY_PATH || isAbsolute(connection) ? connection : resolve(connection),
    journalMode: options.string('journal_mode', 'WAL', JOURNAL_MODES),
    synchronous: options.string('synchronous', 'NORMAL', SYNCHRONOUS_MODES),
    cacheSize: options.int('cache_size', DEFAULT_CACHE_SIZE, -(2 ** 31), 2 ** 31 - 1),
    busyTimeoutMs: Math.round(options.durationMs('busy_timeout', 5000)),
  };
}
