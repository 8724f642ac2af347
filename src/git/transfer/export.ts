/**
 * `govc repo export`: a repository of a store as a bare git repository: the
 * objects reachable from its refs in one pack with its .idx, packed-refs and
 * HEAD. Two passes over the store: ids first (the pack header needs the
 * count), then the stored entries, copied into the pack as they are
 * (writeStoredPack), in batches.
 */
import { join } from 'node:path';
import type { DataStore } from '../../datastore/store.js';
import type { Ref } from '../../datastore/types.js';
import { initBareRepository, writeRefs } from '../disk/write-bare.js';
import { reachableObjects, type ReachableObject } from '../history/reachable.js';
import { packToFiles } from '../pack/pack-writer.js';
import { ObjectReader } from '../store/object-reader.js';
import { requireRepository } from '../store/revision.js';
import type { ProgressListener } from '../progress.js';
import { writeStoredPack } from './stored-pack.js';

export interface ExportOptions {
  /** Deltas between versions of a file for objects not stored as deltas (default true; smaller, slower to write). */
  deltas?: boolean;
  onProgress?: ProgressListener;
}

export interface ExportResult {
  objects: number;
  refs: number;
  packPath: string;
}

/** Every ref of a repository, HEAD included. */
export async function repositoryRefs(store: DataStore, repositoryId: string): Promise<Ref[]> {
  const refs = new Map<string, Ref>();
  for await (const ref of store.listRefs(repositoryId)) refs.set(ref.name, ref);
  const head = await store.getRef(repositoryId, 'HEAD');
  if (head) refs.set('HEAD', head);
  return [...refs.values()];
}

export async function exportRepository(store: DataStore, name: string, dir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const repository = await requireRepository(store, name);
  const refs = await repositoryRefs(store, repository.id);
  const tips = refs.filter((r) => r.type === 'direct').map((r) => r.target);
  const progress = options.onProgress ?? (() => undefined);
  const reader = new ObjectReader(store);

  await initBareRepository(dir, store.objectFormat);
  const ids: ReachableObject[] = [];
  for await (const obj of reachableObjects(reader, tips)) {
    ids.push(obj);
    if (ids.length % 1000 === 0) progress({ phase: 'counting', done: ids.length, total: 0 });
  }
  const sending = ids.map((o) => ({ id: o.id, type: o.type, name: o.name?.toString('latin1') }));
  const onObject = (done: number) => (done % 1000 === 0 || done === ids.length) && progress({ phase: 'writing', done, total: ids.length });
  const pack = await packToFiles(join(dir, 'objects', 'pack'), store.objectFormat, (out) =>
    writeStoredPack(store, sending, out, { format: store.objectFormat, ofsDelta: true, deltas: options.deltas ?? true, index: true, onObject }),
  );
  await writeRefs(dir, refs);
  return { objects: ids.length, refs: refs.length, packPath: pack.packPath };
}
