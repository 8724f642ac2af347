/**
 * `govc repo import`: a repository on disk into a store. Objects from every
 * pack (read through its .idx, streaming, one pack open at a time; entries
 * kept as the pack holds them, deltas included; each object resolved and
 * hashed against its id on a worker thread meanwhile) and every loose file,
 * in batches, skipping what the store has; then the repository
 * record, its refs (compare-and-swap from their stored values, so the store
 * mirrors the source), the commit index, and an audit event.
 */
import { open } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '../../datastore/errors.js';
import type { CommitIndexRow } from '../../datastore/commit-index/index.js';
import type { DataStore } from '../../datastore/store.js';
import type { EventInput } from '../../datastore/inputs.js';
import type { Ref, RefUpdate, Repository } from '../../datastore/types.js';
import { checkRefName } from '../../datastore/validate.js';
import { listLooseObjects, listPacks, objectDirs, readLooseObject } from '../disk/disk-objects.js';
import { readDiskRefs } from '../disk/disk-refs.js';
import { commonDir, findGitDir, repositoryObjectFormat } from '../disk/git-dir.js';
import { PackIndex } from '../pack/pack-index.js';
import { PackReader } from '../pack/pack-reader.js';
import { workerVerifier } from '../pack/pack-verifier.js';
import { indexAhead } from '../query/commit-index.js';
import { ObjectBatcher } from './object-batcher.js';
import { storePackEntries, type PackedObjectList } from './pack-entries.js';
import type { ProgressListener } from '../progress.js';

/** Commit-index rows written with the refs; the rest of a large import's rows are written ahead, parents first. */
const INDEX_WITH_REFS = 2000;

export interface ImportOptions {
  /** Repository name in the store; default: the directory name without `.git`. */
  name?: string;
  batchSize?: number;
  /** Build or extend the commit index used by queries (default true). */
  index?: boolean;
  onProgress?: ProgressListener;
}

export interface ImportResult {
  repository: Repository;
  created: boolean;
  objectsSeen: number;
  objectsAdded: number;
  refsChanged: number;
  /** Refs on disk whose names the store refuses (git check-ref-format rules); not imported. */
  refsSkipped: string[];
  commitsIndexed: number;
}

/** `/src/proj` -> proj, `/srv/proj.git` -> proj, `/src/proj/.git` -> proj. */
export function defaultRepositoryName(path: string): string {
  const full = resolve(path);
  const base = basename(full) === '.git' ? basename(dirname(full)) : basename(full);
  return base.replace(/\.git$/, '') || 'repository';
}

async function idxCount(packPath: string): Promise<number> {
  const handle = await open(packPath.replace(/\.pack$/, '.idx'), 'r');
  try {
    const head = Buffer.alloc(8 + 1024);
    await handle.read(head, 0, head.length, 0);
    return PackIndex.countFromHeader(head);
  } finally {
    await handle.close();
  }
}

export async function importRepository(store: DataStore, path: string, options: ImportOptions = {}): Promise<ImportResult> {
  const gitDir = await findGitDir(path);
  const common = await commonDir(gitDir);
  const format = await repositoryObjectFormat(common);
  if (format !== store.objectFormat) {
    throw new InvalidArgumentError(`repository uses ${format} object ids but the store uses ${store.objectFormat}`);
  }
  const name = options.name ?? defaultRepositoryName(path);
  const batcher = new ObjectBatcher(store, options.batchSize ?? 1000);
  const progress = options.onProgress ?? (() => undefined);
  const size = batcher.batchSize;

  // Count first, so the bar has a total.
  const packs: string[] = [];
  const loose: Array<{ dir: string; ids: string[] }> = [];
  let total = 0;
  for (const dir of await objectDirs(common)) {
    for (const packPath of await listPacks(dir)) {
      packs.push(packPath);
      total += await idxCount(packPath);
    }
    const ids = await listLooseObjects(dir);
    loose.push({ dir, ids });
    total += ids.length;
  }
  let done = 0;
  progress({ phase: 'objects', done, total });
  let packOffered = 0;
  let packAdded = 0;
  for (const packPath of packs) {
    const { reader, index } = await PackReader.open(packPath, { format });
    // Objects are resolved and hashed on a worker thread while this one stores entries.
    const verifier = workerVerifier(reader, index);
    try {
      // By offset, each object made when asked: an array of them all took ~110 MB for a million.
      const byOffset = index.positionsByOffset();
      const objects: PackedObjectList = { length: byOffset.length, at: (i) => ({ id: index.idAt(byOffset[i]), offset: index.offsetAt(byOffset[i]) }) };
      const before = done;
      // Entries are stored as the pack holds them (deltas stay deltas); every object is resolved and hashed first.
      const stored = await storePackEntries(store, reader, objects, {
        verify: true,
        verifier,
        batchSize: size,
        // As many entries per write as suit the store (32 MiB still bounds their bytes): large for SQLite;
        // LMDB's file grows by a quarter with them (its copy-on-write frees pages a long write cannot reuse).
        maxBatchEntries: Math.max(size, store.capabilities.bulkWriteEntries ?? size),
        onProgress: (p) => progress({ phase: 'objects', done: before + p.done, total }),
      });
      packOffered += stored.offered;
      packAdded += stored.added;
      done += objects.length;
    } finally {
      await verifier.close(); // before the reader: the worker reads its descriptor
      await reader.close();
    }
  }
  for (const { dir, ids } of loose) {
    for (let i = 0; i < ids.length; i += size) {
      const slice = ids.slice(i, i + size);
      for (const id of await batcher.missing(slice)) await batcher.add({ id, ...(await readLooseObject(dir, id)) });
      done += slice.length;
      progress({ phase: 'objects', done, total });
    }
  }
  await batcher.flush();

  let repository = await store.getRepositoryByName(name);
  const created = !repository;
  if (!repository) {
    repository = await store.createRepository({ name, description: '', metadata: { importedFrom: gitDir } });
  }
  const refsSkipped: string[] = [];
  const refs = (await readDiskRefs(gitDir, common)).filter((ref) => {
    try {
      checkRefName(ref.name);
      if (ref.type === 'symbolic') checkRefName(ref.target);
      return true;
    } catch {
      refsSkipped.push(ref.name);
      return false;
    }
  });
  // The index rows of the last commits go in the refs' write; earlier ones in batches ahead of it.
  const targets = refs.filter((r) => r.type === 'direct').map((r) => r.target);
  const indexed = options.index === false ? { count: 0, rows: [] } : await indexAhead(store, repository.id, targets, { keep: INDEX_WITH_REFS, onProgress: options.onProgress });
  const commitsIndexed = indexed.count;
  const counts = { objectsSeen: packOffered + batcher.stats.offered, objectsAdded: packAdded + batcher.stats.added };
  // The event goes in the write that moves the refs: an import that lands is never left without it.
  const refsChanged = await mirrorRefs(store, repository.id, refs, indexed.rows, (changed) => ({
    action: 'repo.import',
    repositoryId: repository.id,
    resource: `repository/${repository.name}`,
    details: { source: gitDir, ...counts, refsChanged: changed, commitsIndexed, refsSkipped, created },
  }));
  return { repository, created, ...counts, refsChanged, commitsIndexed, refsSkipped };
}

/**
 * Makes the stored refs equal `source` in one atomic compare-and-swap update; returns how many changed.
 * `event`, given how many change, is written in that same update (or alone when none changes).
 */
export async function mirrorRefs(
  store: DataStore,
  repositoryId: string,
  source: readonly Ref[],
  commits: CommitIndexRow[] = [],
  event?: (refsChanged: number) => EventInput,
): Promise<number> {
  const stored = new Map<string, Ref>();
  for await (const ref of store.listRefs(repositoryId)) stored.set(ref.name, ref);
  const head = await store.getRef(repositoryId, 'HEAD');
  if (head) stored.set('HEAD', head);
  const updates: RefUpdate[] = [];
  const wanted = new Set<string>();
  for (const ref of source) {
    wanted.add(ref.name);
    const now = stored.get(ref.name);
    if (now && now.type === ref.type && now.target === ref.target) continue;
    updates.push({ name: ref.name, old: now ? now.target : null, new: ref.target, symbolic: ref.type === 'symbolic' });
  }
  for (const [name, ref] of stored) if (!wanted.has(name)) updates.push({ name, old: ref.target, new: null });
  if (updates.length > 0) {
    await store.updateRefs(repositoryId, updates, { commits, event: event?.(updates.length) });
  } else {
    await store.indexCommits(repositoryId, commits);
    if (event) await store.logEvent(event(0));
  }
  return updates.length;
}
