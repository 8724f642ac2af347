/**
 * `govc repo export`: a repository of a store as a bare git repository: the
 * objects reachable from its refs in one pack with its .idx, packed-refs and
 * HEAD. Two passes over the store: ids first, by the walk a clone makes
 * (Walker.objectsToSend: the pack header needs the count), then the stored
 * entries, copied into the pack as they are (writeStoredPack), in batches. Written to a temp directory renamed at the end.
 */
import { readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InvalidArgumentError } from '../../datastore/errors.js';
import type { DataStore } from '../../datastore/store.js';
import type { Ref } from '../../datastore/types.js';
import { initBareRepository, writeRefs } from '../disk/write-bare.js';
import { packToFiles } from '../pack/pack-writer.js';
import { requireRepository } from '../store/revision.js';
import type { ProgressListener } from '../progress.js';
import { Walker } from '../protocol/walk.js';
import { EntryStash, STASH_BYTES } from './entry-stash.js';
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

/**
 * Writes the bare repository into a temp directory beside `dir` and renames
 * it to `dir` when complete: a failed or killed export never leaves a
 * repository that looks whole; the first error is the one thrown.
 */
export async function exportRepository(store: DataStore, name: string, dir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const repository = await requireRepository(store, name);
  const existing = await readdir(dir).catch(() => undefined);
  if (existing && existing.length > 0) throw new InvalidArgumentError(`${dir} exists and is not empty; export needs a new or empty directory`);
  const target = resolve(dir);
  const tmp = join(dirname(target), `.${basename(target)}.govc-export-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    const result = await exportInto(store, repository.id, tmp, options);
    if (existing) await rmdir(target);
    await rename(tmp, target);
    return { ...result, packPath: join(target, relative(tmp, result.packPath)) };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function exportInto(store: DataStore, repositoryId: string, dir: string, options: ExportOptions): Promise<ExportResult> {
  const refs = await repositoryRefs(store, repositoryId);
  const tips = refs.filter((r) => r.type === 'direct').map((r) => r.target);
  const progress = options.onProgress ?? (() => undefined);
  await initBareRepository(dir, store.objectFormat);
  // The walk a clone makes (commits newest first, so successive versions of a tree come one after another, as delta
  // bases need); the commit and tree entries it reads go into the pack as read.
  progress({ phase: 'counting', done: 0, total: 0 });
  const stash = new EntryStash(STASH_BYTES);
  const sending = await new Walker(store).objectsToSend(tips, [], { stash });
  const total = sending.length;
  progress({ phase: 'counting', done: total, total });
  const onObject = (done: number) => (done % 1000 === 0 || done === total) && progress({ phase: 'writing', done, total });
  const pack = await packToFiles(join(dir, 'objects', 'pack'), store.objectFormat, (out) =>
    writeStoredPack(store, sending, out, { format: store.objectFormat, ofsDelta: true, deltas: options.deltas ?? true, index: true, onObject, stash }),
  );
  await writeRefs(dir, refs);
  return { objects: total, refs: refs.length, packPath: pack.packPath };
}
