/**
 * The record log under the WAL and the manifest: each record is framed as
 *
 *   length (u32 LE) | crc32(payload) (u32 LE) | payload
 *
 * A process killed mid-append leaves a torn last record (short, or with a
 * checksum that does not match); reading stops there and reports where.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { crc } from './coding.js';

const fdatasyncAsync = promisify(fdatasync);
export const RECORD_HEADER = 8;

export function frameRecord(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc(payload), 4);
  out.set(payload, RECORD_HEADER);
  return out;
}

export interface LogContents {
  records: Buffer[];
  /** Bytes of whole, valid records; anything after is a torn or corrupt tail. */
  validBytes: number;
  fileBytes: number;
}

export function readLog(path: string): LogContents {
  const buf = readFileSync(path);
  const records: Buffer[] = [];
  let pos = 0;
  while (pos + RECORD_HEADER <= buf.length) {
    const len = buf.readUInt32LE(pos);
    const end = pos + RECORD_HEADER + len;
    if (end > buf.length) break;
    const payload = buf.subarray(pos + RECORD_HEADER, end);
    if (crc(payload) !== buf.readUInt32LE(pos + 4)) break;
    records.push(payload);
    pos = end;
  }
  return { records, validBytes: pos, fileBytes: buf.length };
}

/** Appends records to one log file. */
export class LogWriter {
  private readonly fd: number;
  bytes = 0;

  constructor(readonly path: string, flags = 'wx') {
    this.fd = openSync(path, flags);
  }

  /** Writes to the OS (survives a process crash, not a power loss until synced). */
  append(data: Buffer): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
    this.bytes += data.length;
  }

  sync(): Promise<void> {
    return fdatasyncAsync(this.fd);
  }

  syncNow(): void {
    fdatasyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
