/**
 * The govc archive, version 1: a gzip-compressed tar holding, in this order,
 *
 *   govc-archive.json   header: format, version, archive id, object format, source type, time
 *   records/000001.rec  chunks of record frames (./codec.ts), each up to CHUNK_BYTES
 *   records/000002.rec  (a record larger than that gets a chunk of its own)
 *   ...
 *   manifest.json       counts per kind, and per chunk its record count, bytes and SHA-256
 *
 * Records come objects first (id order, stored entries as they are), then
 * each repository followed by its refs, users, events (time order), config.
 * The manifest comes last because an export streams the store once and only
 * knows the counts at the end; an archive without it is truncated. Import
 * reads the whole archive and checks every frame's CRC-32, every chunk's
 * SHA-256 and the counts before it writes anything.
 */
import type { ObjectFormat } from '../../types.js';
import type { RecordKind } from '../records.js';

export const ARCHIVE_FORMAT = 'govc-archive';
export const ARCHIVE_VERSION = 1;
export const HEADER_NAME = 'govc-archive.json';
export const MANIFEST_NAME = 'manifest.json';
export const CHUNK_BYTES = 4 * 1024 * 1024;
export const CHUNK_RECORDS = 10_000;

export const chunkName = (n: number) => `records/${String(n).padStart(6, '0')}.rec`;

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  /** Random; names the import checkpoint in a target, so a resumed import knows its archive. */
  archiveId: string;
  objectFormat: ObjectFormat;
  source: { type: string };
  createdAt: string;
}

export interface ChunkSummary {
  name: string;
  records: number;
  bytes: number;
  sha256: string;
}

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  archiveId: string;
  records: number;
  counts: Record<RecordKind, number>;
  /** Bytes of stored object entries (what the objects take in the store, about). */
  objectBytes: number;
  chunks: ChunkSummary[];
}

export function emptyCounts(): Record<RecordKind, number> {
  return { object: 0, repository: 0, ref: 0, user: 0, event: 0, config: 0, commit: 0 };
}
