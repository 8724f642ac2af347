/**
 * `govc datastore gc`: removes objects no repository reaches. Objects are
 * shared by content across a store, so reachability is from every
 * repository's refs. A push stores its objects a moment before it moves its
 * refs, so an object is removed only when a run finds it unreachable and an
 * earlier run, at least `graceMs` before, found it unreachable too (or at
 * once with a grace of 0, when no push can be in flight): the first
 * sighting is recorded under config keys `gc/unreachable/<id>`, forgotten
 * when the object is reachable again. Deltas go before their bases, and a
 * base that stays has nothing to rewrite; one that goes while a reachable
 * object builds on it has that object rewritten whole (deleteObject does).
 */
import { IdSet } from '../../datastore/id-set.js';
import { KEYSPACE } from '../../datastore/keyspace.js';
import type { DataStore } from '../../datastore/store.js';
import { entryDepth } from '../../datastore/objects/encoding.js';
import { forEachReachable } from '../history/reachable.js';
import { repositoryRefs } from '../transfer/export.js';
import type { ProgressListener } from '../progress.js';

export const UNREACHABLE_PREFIX = KEYSPACE.unreachable;

export interface PruneOptions {
  /** How long an object must have been unreachable before it goes. */
  graceMs: number;
  dryRun?: boolean;
  now?: Date;
  onProgress?: ProgressListener;
}

export interface PruneResult {
  repositories: number;
  reachable: number;
  unreachable: number;
  /** Removed now (or, with dryRun, that would be). */
  removed: number;
  /** Unreachable, but within the grace period: recorded, kept. */
  waiting: number;
}

export async function pruneStore(store: DataStore, options: PruneOptions): Promise<PruneResult> {
  const now = (options.now ?? new Date()).getTime();
  const reachable = new IdSet();
  let repositories = 0;
  const markReachable = async (repositoryId: string): Promise<void> => {
    const tips = (await repositoryRefs(store, repositoryId)).filter((r) => r.type === 'direct').map((r) => r.target);
    await forEachReachable(store, tips, () => reachable.size % 10000 === 0 && options.onProgress?.({ phase: 'counting', done: reachable.size, total: 0 }), reachable);
  };
  for (let cursor: string | undefined, more = true; more; ) {
    const page = await store.listRepositories({ limit: 100, cursor });
    for (const repo of page.items) {
      repositories++;
      await markReachable(repo.id);
    }
    cursor = page.nextCursor;
    more = cursor !== undefined;
  }
  // Records of earlier runs: objects reachable again are forgotten.
  const seenBefore = new Map<string, number>();
  for await (const [key, value] of store.listConfig(UNREACHABLE_PREFIX)) {
    const id = key.slice(UNREACHABLE_PREFIX.length);
    if (reachable.has(id)) {
      if (!options.dryRun) await store.deleteConfig(key);
    } else seenBefore.set(id, Date.parse(value));
  }
  const doomed: string[] = [];
  let unreachable = 0;
  let waiting = 0;
  let scanned = 0;
  for await (const id of store.listObjects()) {
    if (++scanned % 10000 === 0) options.onProgress?.({ phase: 'scanning', done: scanned, total: 0 });
    if (reachable.has(id)) continue;
    unreachable++;
    const first = seenBefore.get(id);
    if (options.graceMs === 0 || (first !== undefined && now - first >= options.graceMs)) doomed.push(id);
    else {
      waiting++;
      if (first === undefined && !options.dryRun) await store.setConfig(`${UNREACHABLE_PREFIX}${id}`, new Date(now).toISOString());
    }
  }
  if (!options.dryRun) {
    // Deepest first: a delta goes before its base, so no doomed object is rewritten only to be deleted.
    const depths = new Map<string, number>();
    for (let i = 0; i < doomed.length; i += 500) {
      for (const [id, e] of await store.getEntries(doomed.slice(i, i + 500))) depths.set(id, entryDepth(e));
    }
    doomed.sort((a, b) => (depths.get(b) ?? 0) - (depths.get(a) ?? 0));
    let removed = 0;
    for (const id of doomed) {
      await store.deleteObject(id);
      await store.deleteConfig(`${UNREACHABLE_PREFIX}${id}`);
      options.onProgress?.({ phase: 'removing', done: ++removed, total: doomed.length });
    }
  }
  // Records of objects that are gone (deleted some other way) need no keeping either.
  return { repositories, reachable: reachable.size, unreachable, removed: doomed.length, waiting };
}
