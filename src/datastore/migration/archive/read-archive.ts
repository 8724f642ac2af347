/**
 * Reading a govc archive (./format.ts) as a stream of records, checking as it
 * goes: every frame's CRC-32 and shape, then at the end every chunk's SHA-256
 * and the counts against the manifest. Any fault is an ArchiveError naming the
 * first bad record (or the last good one, when the bytes stop making sense).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip, crc32 } from 'node:zlib';
import tar from 'tar-stream';
import { IntegrityError } from '../../errors.js';
import type { StoreRecord } from '../records.js';
import { BadRecord, decodePayload, describeRecord, FRAME_HEADER } from './codec.js';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, chunkName, emptyCounts, HEADER_NAME, MANIFEST_NAME, type ArchiveHeader, type ArchiveManifest, type ChunkSummary } from './format.js';

/** The archive cannot be used; nothing has been written because of it. */
export class ArchiveError extends IntegrityError {}

/** Largest tar entry read into memory: a chunk, or one large object. */
const MAX_ENTRY_BYTES = 1024 * 1024 * 1024;

export interface ArchivedRecord {
  record: StoreRecord;
  /** 1-based position in the archive. */
  index: number;
}

async function collect(entry: AsyncIterable<unknown>, size: number, name: string): Promise<Buffer> {
  if (size > MAX_ENTRY_BYTES) throw new ArchiveError(`archive entry ${name} claims ${size} bytes, more than any chunk holds: the archive is damaged`);
  const parts: Buffer[] = [];
  for await (const part of entry) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function parseJson<T>(data: Buffer, name: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw new ArchiveError(`${name} in the archive is not valid JSON: the archive is damaged`);
  }
}

export class ArchiveReader {
  header?: ArchiveHeader;
  manifest?: ArchiveManifest;
  private lastGood = 'the archive header';
  private index = 0;
  private readonly kinds = emptyCounts();

  constructor(readonly path: string) {}

  private where(): string {
    return this.index === 0 ? 'before its first record' : `after record ${this.index} (${this.lastGood})`;
  }

  /** Every record in order; throws ArchiveError at the first fault, and after the last record if the manifest disagrees. */
  async *records(): AsyncGenerator<ArchivedRecord> {
    const extract = tar.extract();
    const flow = pipeline(createReadStream(this.path), createGunzip(), extract);
    let flowError: Error | undefined;
    flow.catch((err: Error) => (flowError = err));
    const chunks: ChunkSummary[] = [];
    try {
      for await (const entry of extract) {
        const name = entry.header.name;
        const data = await collect(entry, entry.header.size ?? 0, name);
        if (!this.header) {
          if (name !== HEADER_NAME) throw new ArchiveError(`${this.path} is a tar file but not a govc archive (it starts with ${name}, not ${HEADER_NAME})`);
          this.header = this.checkHeader(parseJson<ArchiveHeader>(data, HEADER_NAME));
          continue;
        }
        if (this.manifest) throw new ArchiveError(`the archive has ${name} after its manifest: it is damaged`);
        if (name === MANIFEST_NAME) {
          this.manifest = parseJson<ArchiveManifest>(data, MANIFEST_NAME);
          continue;
        }
        const expected = chunkName(chunks.length + 1);
        if (name !== expected) throw new ArchiveError(`the archive has ${name} where ${expected} should be, ${this.where()}: it is damaged`);
        let records = 0;
        for (const record of this.frames(data, name)) {
          records++;
          yield { record, index: this.index };
        }
        chunks.push({ name, records, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
      }
    } catch (err) {
      if (err instanceof ArchiveError) throw err;
      const cause = flowError ?? (err as Error);
      throw new ArchiveError(`the archive ${this.path} is damaged or truncated ${this.where()}: ${cause.message}`, { cause: cause.message });
    } finally {
      extract.destroy();
      await flow.catch(() => undefined);
    }
    if (flowError) throw new ArchiveError(`the archive ${this.path} is damaged or truncated ${this.where()}: ${flowError.message}`);
    if (!this.header) throw new ArchiveError(`${this.path} holds no govc archive header: it is empty or not a govc archive`);
    if (!this.manifest) throw new ArchiveError(`the archive ends ${this.where()} without its manifest: it is truncated`);
    this.checkManifest(chunks);
  }

  private checkHeader(h: ArchiveHeader): ArchiveHeader {
    if (h?.format !== ARCHIVE_FORMAT) throw new ArchiveError(`${this.path} is not a govc archive (format ${JSON.stringify(h?.format)})`);
    if (h.version !== ARCHIVE_VERSION) throw new ArchiveError(`${this.path} is a govc archive of version ${h.version}; this govc reads version ${ARCHIVE_VERSION}: use the govc that wrote it, or a newer one`);
    if (typeof h.archiveId !== 'string' || (h.objectFormat !== 'sha1' && h.objectFormat !== 'sha256')) throw new ArchiveError(`the header of ${this.path} is damaged`);
    return h;
  }

  private *frames(data: Buffer, chunk: string): Generator<StoreRecord> {
    let at = 0;
    let n = 0;
    while (at < data.length) {
      n++;
      const bad = (why: string) => new ArchiveError(`record ${this.index + 1} (number ${n} in ${chunk}, ${this.where()}) is damaged: ${why}`, { record: this.index + 1, chunk });
      if (data.length - at < FRAME_HEADER) throw bad('its frame header is cut short');
      const length = data.readUInt32BE(at);
      const crc = data.readUInt32BE(at + 4);
      if (data.length - at - FRAME_HEADER < length || length === 0) throw bad(`it claims ${length} bytes, the chunk holds ${data.length - at - FRAME_HEADER} more`);
      const payload = data.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
      if (crc32(payload) !== crc) throw bad('its checksum does not match its bytes');
      let record: StoreRecord;
      try {
        record = decodePayload(payload);
      } catch (err) {
        if (err instanceof BadRecord || err instanceof RangeError) throw bad(err.message);
        throw err;
      }
      at += FRAME_HEADER + length;
      this.index++;
      this.kinds[record.kind]++;
      this.lastGood = describeRecord(record);
      yield record;
    }
  }

  private checkManifest(chunks: ChunkSummary[]): void {
    const m = this.manifest!;
    if (m.format !== ARCHIVE_FORMAT || m.archiveId !== this.header!.archiveId || !Array.isArray(m.chunks)) {
      throw new ArchiveError(`the manifest of ${this.path} does not belong to its header: the archive is damaged`);
    }
    let first = 1;
    for (let i = 0; i < Math.max(chunks.length, m.chunks.length); i++) {
      const got = chunks[i];
      const want = m.chunks[i];
      if (!got || !want) throw new ArchiveError(`the archive holds ${chunks.length} chunks, its manifest lists ${m.chunks.length}: it is damaged`);
      if (got.sha256 !== want.sha256 || got.records !== want.records || got.bytes !== want.bytes) {
        throw new ArchiveError(`${got.name} (records ${first} to ${first + got.records - 1}) does not match its SHA-256 and counts in the manifest: record ${first} onward is damaged`, { record: first, chunk: got.name });
      }
      first += got.records;
    }
    if (m.records !== this.index) throw new ArchiveError(`the archive holds ${this.index} records, its manifest counts ${m.records}: it is damaged`);
    for (const [kind, n] of Object.entries(this.kinds)) {
      if (m.counts?.[kind as keyof typeof this.kinds] !== n) throw new ArchiveError(`the archive holds ${n} ${kind} records, its manifest counts ${m.counts?.[kind as keyof typeof this.kinds]}: it is damaged`);
    }
  }
}

/**
 * Reads the whole archive, checking everything; `check` may refuse a record
 * (a store's own validation), which names it. Returns the header and manifest.
 */
export async function checkArchive(path: string, check?: (r: ArchivedRecord, header: ArchiveHeader) => void): Promise<{ header: ArchiveHeader; manifest: ArchiveManifest }> {
  const reader = new ArchiveReader(path);
  for await (const r of reader.records()) {
    try {
      check?.(r, reader.header!);
    } catch (err) {
      if (err instanceof ArchiveError) throw err;
      throw new ArchiveError(`record ${r.index} (${describeRecord(r.record)}) is refused: ${(err as Error).message}`, { record: r.index });
    }
  }
  return { header: reader.header!, manifest: reader.manifest! };
}
