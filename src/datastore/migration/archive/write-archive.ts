/** Export: a store's records into a govc archive (./format.ts), streamed with backpressure. */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { ProgressListener } from '../../../git/progress.js';
import type { DataStore } from '../../store.js';
import { dumpStore } from '../records.js';
import { encodeRecord } from './codec.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  CHUNK_BYTES,
  CHUNK_RECORDS,
  chunkName,
  emptyCounts,
  HEADER_NAME,
  MANIFEST_NAME,
  type ArchiveHeader,
  type ArchiveManifest,
} from './format.js';

export interface ExportSummary {
  archiveId: string;
  records: number;
  counts: ArchiveManifest['counts'];
  objectBytes: number;
  chunks: number;
  /** Bytes of the archive file. */
  archiveBytes: number;
}

/** Writes one tar entry; resolves once the pack took it (its writes wait while gzip and the file are behind). */
function addEntry(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date() }, (err) => (err ? reject(err) : resolve()));
    // The entry re-emits the pack's failure: unheard, it would crash the process before the .partial is removed.
    entry.on('error', reject);
    entry.end(data);
  });
}

/**
 * Exports everything in `store` to `path` (written to `path.partial`, renamed
 * when complete, so a killed export never leaves a file that looks whole).
 */
export async function exportArchive(store: DataStore, path: string, onProgress?: ProgressListener): Promise<ExportSummary> {
  const partial = `${path}.partial`;
  const pack = tar.pack();
  const file = createWriteStream(partial);
  const done = pipeline(pack, createGzip({ level: 6 }), file);
  done.catch(() => undefined);
  // A failed file (a full disk) destroys the pack, whose entry callbacks then may never come: each wait also ends with the pipeline's first error.
  const failed = done.then(() => new Promise<never>(() => undefined));
  failed.catch(() => undefined);
  const add = (name: string, data: Buffer) => Promise.race([addEntry(pack, name, data), failed]);
  const header: ArchiveHeader = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    archiveId: randomUUID(),
    objectFormat: store.objectFormat,
    source: { type: store.type },
    createdAt: new Date().toISOString(),
  };
  const manifest: ArchiveManifest = { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, archiveId: header.archiveId, records: 0, counts: emptyCounts(), objectBytes: 0, chunks: [] };
  const totals = await store.metrics().then((m) => m.objectCount).catch(() => 0);
  let frames: Buffer[] = [];
  let bytes = 0;
  const flush = async () => {
    if (frames.length === 0) return;
    const data = Buffer.concat(frames);
    const name = chunkName(manifest.chunks.length + 1);
    manifest.chunks.push({ name, records: frames.length, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    frames = [];
    bytes = 0;
    await add(name, data);
  };
  try {
    await add(HEADER_NAME, Buffer.from(JSON.stringify(header, null, 2) + '\n'));
    for await (const record of dumpStore(store)) {
      const frame = encodeRecord(record);
      if (bytes > 0 && bytes + frame.length > CHUNK_BYTES) await flush();
      frames.push(frame);
      bytes += frame.length;
      manifest.records++;
      manifest.counts[record.kind]++;
      if (record.kind === 'object') manifest.objectBytes += record.entry.bytes.byteLength;
      if (frames.length >= CHUNK_RECORDS) await flush();
      if (onProgress && manifest.records % 1000 === 0) {
        const phase = record.kind === 'object' ? 'objects' : 'records';
        onProgress({ phase, done: record.kind === 'object' ? manifest.counts.object : manifest.records - manifest.counts.object, total: record.kind === 'object' ? totals : 0 });
      }
    }
    await flush();
    await add(MANIFEST_NAME, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    pack.finalize();
    await done;
    await rename(partial, path);
  } catch (err) {
    pack.destroy();
    await done.catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
  return {
    archiveId: header.archiveId,
    records: manifest.records,
    counts: manifest.counts,
    objectBytes: manifest.objectBytes,
    chunks: manifest.chunks.length,
    archiveBytes: file.bytesWritten,
  };
}
