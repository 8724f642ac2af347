/**
 * `govc repo gc`: finds deltas for the objects of a repository that are kept
 * whole (pushed one by one, or put through the API), as pack-objects would:
 * each version of a path against the newer one met before it (history is
 * walked newest first), kept as a delta when that is less than half its size.
 * Entries of stores from before objects were encoded are deflated. Objects
 * that others build on are left as they are, so no chain grows past the bound.
 */
import { createDelta } from '../pack/delta-encode.js';
import { deflate, deltaEntry, entryDepth, ENCODING, MAX_DELTA_DEPTH, wholeEntry } from '../../datastore/objects/encoding.js';
import type { DataStore } from '../../datastore/store.js';
import { ByteLru } from '../../datastore/lru-cache.js';
import type { ObjectEntry } from '../../datastore/types.js';
import { forEachReachable, type ReachableObject } from '../history/reachable.js';
import { repositoryRefs } from '../transfer/export.js';
import type { ProgressListener } from '../progress.js';

export interface DeltifyOptions {
  dryRun?: boolean;
  onProgress?: ProgressListener;
}

export interface DeltifyResult {
  objects: number;
  /** Whole objects now kept as deltas. */
  deltified: number;
  /** Entries of an older store, deflated. */
  deflated: number;
  /** Entry bytes before and after (of the objects rewritten). */
  bytesBefore: number;
  bytesAfter: number;
}

const BATCH = 256;
const MIN_SIZE = 64;

interface Version {
  id: string;
  data: Buffer;
  depth: number;
  byteLength: number;
}

export async function deltifyRepository(store: DataStore, repositoryId: string, options: DeltifyOptions = {}): Promise<DeltifyResult> {
  const tips = (await repositoryRefs(store, repositoryId)).filter((r) => r.type === 'direct').map((r) => r.target);
  const result: DeltifyResult = { objects: 0, deltified: 0, deflated: 0, bytesBefore: 0, bytesAfter: 0 };
  /** The newest version met of each path (by type and entry name). */
  const newer = new ByteLru<string, Version>(64 << 20);
  let batch: ReachableObject[] = [];

  const flush = async () => {
    const ids = batch.map((o) => o.id);
    const [entries, objects] = await Promise.all([store.getEntries(ids), store.getObjects(ids)]);
    const rewrites: ObjectEntry[] = [];
    for (const o of batch) {
      const entry = entries.get(o.id);
      const obj = objects.get(o.id);
      if (!entry || !obj) continue;
      const data = Buffer.from(obj.data);
      const key = `${o.type}\0${o.name ?? ''}`;
      const base = o.name !== undefined ? newer.get(key) : undefined;
      let next: ObjectEntry | undefined;
      // Only an object nothing builds on: its depth may change, and no chain can then loop through it.
      if (entry.encoding !== ENCODING.delta && base && data.length >= MIN_SIZE && base.depth < MAX_DELTA_DEPTH) {
        const delta = createDelta(base.data, data, data.length / 2);
        if (delta && (await store.listDependents(o.id, { limit: 1 })).length === 0) {
          next = deltaEntry(o.id, o.type, data.length, base.id, base.depth + 1, delta.length, deflate(delta));
          result.deltified++;
        }
      }
      if (!next && entry.encoding === ENCODING.raw) {
        next = wholeEntry(o.id, o.type, data);
        result.deflated++;
      }
      if (next) {
        rewrites.push(next);
        result.bytesBefore += entry.bytes.byteLength;
        result.bytesAfter += next.bytes.byteLength;
      }
      if (o.name !== undefined) newer.set(key, { id: o.id, data, depth: entryDepth(next ?? entry), byteLength: data.length });
    }
    if (rewrites.length > 0 && !options.dryRun) await store.replaceEntries(rewrites);
    result.objects += batch.length;
    options.onProgress?.({ phase: 'objects', done: result.objects, total: 0 });
    batch = [];
  };

  const found: ReachableObject[] = [];
  await forEachReachable(store, tips, (obj) => {
    if (obj.type === 'commit' || obj.type === 'tag') result.objects++;
    else found.push(obj);
  });
  for (let i = 0; i < found.length; i += BATCH) {
    batch = found.slice(i, i + BATCH);
    await flush();
  }
  return result;
}
