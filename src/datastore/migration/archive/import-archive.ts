/**
 * Import: an archive into a store. The whole archive is read and checked
 * first (nothing is written from a damaged or truncated archive); then its
 * records go in batches, each with the import's checkpoint in the same atomic
 * write, so a killed import resumes after the last batch it wrote.
 */
import type { ProgressListener } from '../../../git/progress.js';
import type { StoreWriteOp } from '../../commit-index/index.js';
import { KEYSPACE } from '../../keyspace.js';
import type { DataStore } from '../../store.js';
import { checkpointOp, readCheckpoint, recordOp, writeBatch } from '../record-ops.js';
import type { ArchiveManifest } from './format.js';
import { ArchiveError, ArchiveReader, checkArchive } from './read-archive.js';

export interface ImportOptions {
  batchSize?: number;
  onProgress?: ProgressListener;
}

export interface ImportSummary {
  archiveId: string;
  records: number;
  counts: ArchiveManifest['counts'];
  /** Records written by this run (the rest were written by an earlier, interrupted one). */
  written: number;
  resumedAfter: number;
  /** Events the target already held (same id), left as they were. */
  eventsAlreadyPresent: number;
}

interface ImportCheckpoint {
  applied: number;
  completedAt?: string;
}

export const importCheckpointKey = (archiveId: string) => `${KEYSPACE.migration}import.${archiveId}`;

const formatMismatch = (archive: string, store: string) =>
  new ArchiveError(`the archive holds ${archive} objects and the target store uses ${store}; open the target with object_format=${archive}`);

export async function importArchive(target: DataStore, path: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? 500;
  const progress = options.onProgress;
  const { header, manifest } = await checkArchive(path, ({ record, index }, h) => {
    if (h.objectFormat !== target.objectFormat) throw formatMismatch(h.objectFormat, target.objectFormat);
    recordOp(record, target);
    if (progress && index % 1000 === 0) progress({ phase: 'checking', done: index, total: 0 });
  });
  if (header.objectFormat !== target.objectFormat) throw formatMismatch(header.objectFormat, target.objectFormat);
  const key = importCheckpointKey(header.archiveId);
  const resumedAfter = (await readCheckpoint<ImportCheckpoint>(target, key))?.applied ?? 0;
  const summary: ImportSummary = { archiveId: header.archiveId, records: manifest.records, counts: manifest.counts, written: 0, resumedAfter, eventsAlreadyPresent: 0 };
  let batch: StoreWriteOp[] = [];
  let last = resumedAfter;
  const flush = async (done = false) => {
    const checkpoint: ImportCheckpoint = done ? { applied: last, completedAt: new Date().toISOString() } : { applied: last };
    summary.eventsAlreadyPresent += await writeBatch(target, batch, checkpointOp(key, checkpoint));
    summary.written += batch.length;
    batch = [];
    progress?.({ phase: 'importing', done: last, total: manifest.records });
  };
  for await (const { record, index } of new ArchiveReader(path).records()) {
    if (index <= resumedAfter) continue;
    batch.push(recordOp(record, target));
    last = index;
    if (batch.length >= batchSize) await flush();
  }
  await flush(true);
  return summary;
}
