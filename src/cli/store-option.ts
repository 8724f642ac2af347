/**
 * Which store a command works on, decided here once for `serve`, `repo ...`
 * and `datastore check|bench|gc|rotate-key`:
 *   1. --store <uri>
 *   2. -c/--config <file>: the file's datastore: block (the same YAML `serve` reads)
 *   3. $GOVC_STORE
 *   4. sqlite://./data/govc.db (./data is created)
 * --store with a config file that has a datastore: block is refused: two
 * answers to one question.
 */
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { createStore } from '../datastore/builtin.js';
import type { StoreConfig } from '../datastore/config.js';
import { ConfigError } from '../datastore/errors.js';
import type { DataStore } from '../datastore/store.js';
import { readServerConfigFile } from '../server/config.js';

export const DEFAULT_STORE = 'sqlite://./data/govc.db';

export interface StoreFlags {
  store?: string;
  config?: string;
}

export type StoreSource = '--store' | '--config' | '$GOVC_STORE' | 'default';

export interface ResolvedStore {
  datastore: string | StoreConfig;
  source: StoreSource;
  /** What to print about the store: its URI, or where its config came from. */
  label: string;
}

export const STORE_PRECEDENCE_HELP = `
Store: --store <uri>, else the datastore: block of -c/--config <file>, else $GOVC_STORE, else ${DEFAULT_STORE}.
--store together with a config file that has a datastore: block is an error.`;

/** Adds -s/--store and -c/--config, and the precedence to the command's --help. */
export function storeOptions(command: Command, configHelp = 'YAML config whose datastore: block names the store'): Command {
  return command
    .option('-s, --store <uri>', 'store URI, e.g. sqlite://./data/govc.db, memory://, postgres://user:pass@host/db')
    .option('-c, --config <file>', configHelp)
    .addHelpText('after', STORE_PRECEDENCE_HELP);
}

/** Applies the precedence above; `fromFile` is the config file's datastore: block when it has one. */
export function resolveStore(flags: StoreFlags, fromFile: string | StoreConfig | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedStore {
  if (flags.store !== undefined && fromFile !== undefined) {
    throw new ConfigError(`both --store and the datastore: block of ${flags.config} name a store; give one of them (drop --store, or the datastore: block)`);
  }
  if (flags.store !== undefined) return { datastore: flags.store, source: '--store', label: flags.store };
  if (fromFile !== undefined) return { datastore: fromFile, source: '--config', label: typeof fromFile === 'string' ? fromFile : `the ${fromFile.type} store of ${flags.config}` };
  const fromEnv = env.GOVC_STORE;
  if (fromEnv !== undefined && fromEnv !== '') return { datastore: fromEnv, source: '$GOVC_STORE', label: fromEnv };
  return { datastore: DEFAULT_STORE, source: 'default', label: DEFAULT_STORE };
}

/** The store for a command that only needs a store: a -c file must then have a datastore: block. */
export function storeFromFlags(flags: StoreFlags): ResolvedStore {
  const fromFile = flags.config !== undefined ? readServerConfigFile(flags.config).datastore : undefined;
  if (flags.config !== undefined && fromFile === undefined) {
    throw new ConfigError(`${flags.config} has no datastore: block; add one, e.g. datastore: {type: sqlite, connection: ./data/govc.db}`);
  }
  return resolveStore(flags, fromFile);
}

/** Creates ./data when the default store is used (its file lives there). */
export function prepareDefault(resolved: ResolvedStore): void {
  if (resolved.source === 'default') mkdirSync('./data', { recursive: true });
}

/** Opens the resolved store, runs fn, closes it. */
export async function withStore<T>(flags: StoreFlags, fn: (store: DataStore) => Promise<T>): Promise<T> {
  const resolved = storeFromFlags(flags);
  prepareDefault(resolved);
  const store = await createStore(resolved.datastore);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
