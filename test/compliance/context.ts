/** Shared helpers for the compliance cases: fresh stores, sample data. */
import { randomBytes } from 'node:crypto';
import { createStore, hashObject, type DataStore, type StoreConfig } from '../../src/datastore/index.js';
import { openInTransaction } from './in-transaction.js';
import type { ComplianceTarget } from './target.js';

export interface SuiteContext {
  name: string;
  target: ComplianceTarget;
  /** Opens a fresh empty store, runs fn, closes it (even on failure). */
  withStore<T>(fn: (store: DataStore, config: string | StoreConfig) => Promise<T>): Promise<T>;
  /** Opens the store a config names (again), through the transaction wrapper when the target asks for it. */
  open(config: string | StoreConfig): Promise<DataStore>;
  /** Opens a fresh store and leaves closing to the caller. */
  openFresh(): Promise<{ store: DataStore; config: string | StoreConfig }>;
  /** Capabilities of this target, read once from a fresh store. */
  capabilities(): Promise<DataStore['capabilities']>;
}

export function makeContext(name: string, target: ComplianceTarget): SuiteContext {
  let caps: DataStore['capabilities'] | undefined;
  const ctx: SuiteContext = {
    name,
    target,
    open: (config) => (target.inTransaction ? openInTransaction(config) : createStore(config)),
    async openFresh() {
      const config = await target.freshConfig();
      return { store: await ctx.open(config), config };
    },
    async withStore(fn) {
      const { store, config } = await ctx.openFresh();
      try {
        return await fn(store, config);
      } finally {
        await store.close();
      }
    },
    async capabilities() {
      caps ??= await ctx.withStore(async (s) => s.capabilities);
      return caps;
    },
  };
  return ctx;
}

export function blob(text: string): { type: 'blob'; data: Buffer } {
  return { type: 'blob', data: Buffer.from(text) };
}

export function blobId(text: string): string {
  return hashObject('blob', Buffer.from(text));
}

export function randomBlob(size: number): { type: 'blob'; data: Buffer } {
  return { type: 'blob', data: randomBytes(size) };
}

/** Creates a repository and returns its id. */
export async function makeRepository(store: DataStore, name = `repo-${randomBytes(4).toString('hex')}`): Promise<string> {
  return (await store.createRepository({ name })).id;
}

/** Awaits a promise expected to reject with a DataStoreError of `code`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code !== code) throw new Error(`expected error code ${code}, got ${e.code ?? 'none'}: ${e.message}`);
    if (message && !message.test(e.message)) throw new Error(`error message ${JSON.stringify(e.message)} does not match ${message}`);
    return e;
  }
  throw new Error(`expected a ${code} error, but the call succeeded`);
}

/** Every page of a cursor-paged list, checking that pages chain. */
export async function collectPages<T>(fetch: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await fetch(cursor);
    pages.push(page.items);
    if (!page.nextCursor) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end after 10,000 pages');
}
