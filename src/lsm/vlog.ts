/**
 * The value log (WiscKey): large values live here, the tree holds a pointer.
 *
 *   record  := length (u32 LE) | crc32(body) (u32 LE) | body
 *   body    := key (varint length + bytes) | value
 *   pointer := file number varint | offset varint | record length varint
 *
 * The key is kept beside the value so garbage collection can ask the tree
 * whether this record is still the key's live value.
 */
import { closeSync, fdatasync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { ByteReader, ByteWriter, crc } from './coding.js';
import { corruption } from './errors.js';

const fdatasyncAsync = promisify(fdatasync);
const HEADER = 8;

export interface ValuePointer {
  file: number;
  offset: number;
  length: number;
}

export function encodePointer(p: ValuePointer): Buffer {
  return Buffer.from(new ByteWriter(24).varint(p.file).varint(p.offset).varint(p.length).view());
}

export function decodePointer(b: Buffer): ValuePointer {
  const r = new ByteReader(b, 0, b.length, (w) => corruption(`value pointer: ${w}`, {}));
  return { file: r.varint(), offset: r.varint(), length: r.varint() };
}

export interface VlogRecord {
  key: Buffer;
  value: Buffer;
}

function decodeRecord(buf: Buffer, where: Record<string, unknown>): VlogRecord {
  if (buf.length < HEADER || buf.readUInt32LE(0) !== buf.length - HEADER) throw corruption('value log record length mismatch', where);
  const body = buf.subarray(HEADER);
  if (crc(body) !== buf.readUInt32LE(4)) throw corruption('value log record checksum mismatch', where);
  const r = new ByteReader(body, 0, body.length, (w) => corruption(`value log record: ${w}`, where));
  const key = r.lenBytes();
  return { key, value: body.subarray(r.pos) };
}

/** One value-log file: appended by the writer, read at any offset. */
export class VlogFile {
  private readonly fd: number;
  size: number;

  constructor(readonly path: string, readonly number: number, writable: boolean) {
    this.fd = openSync(path, writable ? 'a+' : 'r');
    this.size = fstatSync(this.fd).size;
  }

  append(key: Buffer, value: Buffer): ValuePointer {
    const body = new ByteWriter(key.length + value.length + 8).lenBytes(key).bytes(value).view();
    const rec = Buffer.allocUnsafe(HEADER + body.length);
    rec.writeUInt32LE(body.length, 0);
    rec.writeUInt32LE(crc(body), 4);
    body.copy(rec, HEADER);
    let done = 0;
    while (done < rec.length) done += writeSync(this.fd, rec, done, rec.length - done, this.size + done);
    const p = { file: this.number, offset: this.size, length: rec.length };
    this.size += rec.length;
    return p;
  }

  sync(): Promise<void> {
    return fdatasyncAsync(this.fd);
  }

  read(p: ValuePointer): VlogRecord {
    const where = { file: this.path, offset: p.offset };
    if (p.offset + p.length > this.size) throw corruption('value pointer runs past the end of the value log', where);
    const buf = Buffer.allocUnsafe(p.length);
    let done = 0;
    while (done < p.length) {
      const n = readSync(this.fd, buf, done, p.length - done, p.offset + done);
      if (n === 0) throw corruption('value log file is truncated', where);
      done += n;
    }
    return decodeRecord(buf, where);
  }

  /** Every record with its pointer, in file order (for GC); stops at a torn tail. */
  *records(): Generator<{ pointer: ValuePointer; record: VlogRecord }> {
    let offset = 0;
    const head = Buffer.allocUnsafe(HEADER);
    while (offset + HEADER <= this.size) {
      readSync(this.fd, head, 0, HEADER, offset);
      const length = HEADER + head.readUInt32LE(0);
      if (offset + length > this.size) return;
      const pointer = { file: this.number, offset, length };
      yield { pointer, record: this.read(pointer) };
      offset += length;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
