/**
 * A store's content as sorted streams, one per kind, each keyed so that two
 * stores' streams can be merged in one pass (copy, verify, incremental). Keys
 * compare in code point order, the order every store lists in.
 */
import type { CommitIndexRow } from '../commit-index/index.js';
import { InvalidArgumentError } from '../errors.js';
import { KEYSPACE } from '../keyspace.js';
import type { DataStore } from '../store.js';
import type { AuditEvent, Page, Ref, Repository, User } from '../types.js';

const PAGE = 500;

export interface Keyed<T> {
  key: string;
  value: T;
}

/** Code point order (UTF-16 comparison differs above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

async function* pages<T>(fetch: (cursor?: string) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor);
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** Object ids under a hex prefix, strictly after `after`. */
export async function* objectIds(store: DataStore, prefix: string, after?: string): AsyncGenerator<Keyed<string>> {
  for await (const id of store.listObjects({ prefix })) {
    if (after !== undefined && id <= after) continue;
    yield { key: id, value: id };
  }
}

export async function* repositories(store: DataStore, after?: string): AsyncGenerator<Keyed<Repository>> {
  for await (const r of pages((cursor) => store.listRepositories({ cursor, limit: PAGE }))) {
    if (after !== undefined && compareKeys(r.name, after) <= 0) continue;
    yield { key: r.name, value: r };
  }
}

export async function* refs(store: DataStore, repositoryId: string): AsyncGenerator<Keyed<Ref>> {
  for await (const ref of store.listRefs(repositoryId)) yield { key: ref.name, value: ref };
}

export async function* users(store: DataStore, after?: string): AsyncGenerator<Keyed<User>> {
  for await (const u of pages((cursor) => store.listUsers({ cursor, limit: PAGE }))) {
    if (after !== undefined && compareKeys(u.username, after) <= 0) continue;
    yield { key: u.username, value: u };
  }
}

/** Events in (timestamp, id) order; the key sorts the same way. */
export function eventKey(e: { timestamp: Date; id: string }): string {
  return `${e.timestamp.getTime().toString().padStart(15, '0')} ${e.id}`;
}

/** Events from `since` (inclusive) on. */
export async function* events(store: DataStore, since?: Date): AsyncGenerator<Keyed<AuditEvent>> {
  for await (const e of pages((cursor) => store.queryEvents({ cursor, since, limit: PAGE, order: 'asc' }))) {
    yield { key: eventKey(e), value: e };
  }
}

/** A repository's commit-index rows by id, wherever the store keeps them. */
export async function* commits(store: DataStore, repositoryId: string): AsyncGenerator<Keyed<CommitIndexRow>> {
  for await (const row of store.listIndexedRows(repositoryId)) yield { key: row.id, value: row };
}

/**
 * Config pairs, without migration checkpoints (they belong to the store
 * holding them) or commit-index keys (they travel as commit rows, whichever
 * way each store keeps them).
 */
export async function* config(store: DataStore, after?: string): AsyncGenerator<Keyed<string>> {
  for await (const [key, value] of store.listConfig()) {
    if (key.startsWith(KEYSPACE.migration) || key.startsWith(KEYSPACE.commitIndex)) continue;
    if (after !== undefined && compareKeys(key, after) <= 0) continue;
    yield { key, value };
  }
}

/** One step of a merge: a key on the left only, the right only, or both. */
export type Merged<L, R> = { key: string; left?: L; right?: R };

/**
 * Merges two sorted streams by key. Refuses a stream that is out of order
 * (a store listing in another collation would otherwise show false differences).
 */
export async function* mergeSorted<L, R>(left: AsyncIterable<Keyed<L>>, right: AsyncIterable<Keyed<R>>, what: string): AsyncGenerator<Merged<L, R>> {
  const li = left[Symbol.asyncIterator]();
  const ri = right[Symbol.asyncIterator]();
  let lastL: string | undefined;
  let lastR: string | undefined;
  const next = async <T>(it: AsyncIterator<Keyed<T>>, side: string, last: string | undefined) => {
    const r = await it.next();
    if (r.done) return undefined;
    if (last !== undefined && compareKeys(last, r.value.key) >= 0) {
      throw new InvalidArgumentError(`${what} on the ${side} are not in ascending order (${JSON.stringify(last)} before ${JSON.stringify(r.value.key)}); cannot compare them in one pass`);
    }
    return r.value;
  };
  let l = await next(li, 'source', lastL);
  let r = await next(ri, 'target', lastR);
  while (l || r) {
    const c = !l ? 1 : !r ? -1 : compareKeys(l.key, r.key);
    if (c === 0) {
      yield { key: l!.key, left: l!.value, right: r!.value };
      lastL = l!.key;
      lastR = r!.key;
      l = await next(li, 'source', lastL);
      r = await next(ri, 'target', lastR);
    } else if (c < 0) {
      yield { key: l!.key, left: l!.value };
      lastL = l!.key;
      l = await next(li, 'source', lastL);
    } else {
      yield { key: r!.key, right: r!.value };
      lastR = r!.key;
      r = await next(ri, 'target', lastR);
    }
  }
}

/** The hex prefixes objects are split into for parallel work: 16 of one digit. */
export const OBJECT_SHARDS = '0123456789abcdef'.split('');

/** Runs `work` over `items` with at most `parallel` at a time; the first failure stops the rest from starting. */
export async function inParallel<T>(items: T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
}

/** A record as canonical JSON (dates as ISO strings), for equality checks. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? sortKeys(v) : v));
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}
