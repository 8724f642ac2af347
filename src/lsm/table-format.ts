/**
 * How an SSTable's blocks sit on disk. Every block (data, filter, index) is
 * framed the same way, so one checksum check covers all of them:
 *
 *   block frame := payload | compression type (u8) | crc32(payload + type) (u32 LE)
 *   footer      := index offset (u48) | index size (u32) | filter offset (u48) | filter size (u32)
 *                  | entry count (u48) | magic (8 bytes)               -- 36 bytes, at the end of the file
 *
 * A block handle (offset, payload size) points at a frame.
 */
import { compressSync, uncompressSync } from 'lz4-napi';
import { crc } from './coding.js';
import { corruption } from './errors.js';

export type Compression = 'lz4' | 'none';

export const FRAME_TRAILER = 5;
export const FOOTER_SIZE = 36;
export const TABLE_MAGIC = Buffer.from('govcLSM1', 'latin1');

const NONE = 0;
const LZ4 = 1;

export interface BlockHandle {
  offset: number;
  size: number;
}

/** The frame for a block: compressed when that saves at least an eighth. */
export function frameBlock(raw: Buffer, compression: Compression): Buffer {
  let payload = raw;
  let type = NONE;
  if (compression === 'lz4' && raw.length > 64) {
    const packed = compressSync(raw);
    if (packed.length < raw.length - (raw.length >> 3)) {
      payload = packed;
      type = LZ4;
    }
  }
  const frame = Buffer.allocUnsafe(payload.length + FRAME_TRAILER);
  payload.copy(frame, 0);
  frame[payload.length] = type;
  frame.writeUInt32LE(crc(frame.subarray(0, payload.length + 1)), payload.length + 1);
  return frame;
}

/** Whether a frame's payload was stored compressed. */
export const isCompressed = (frame: Buffer): boolean => frame[frame.length - FRAME_TRAILER] !== NONE;

/** The raw block from its frame, after checking its checksum. */
export function unframeBlock(frame: Buffer, where: Record<string, unknown>): Buffer {
  if (frame.length < FRAME_TRAILER) throw corruption('block frame is truncated', where);
  const n = frame.length - FRAME_TRAILER;
  if (crc(frame.subarray(0, n + 1)) !== frame.readUInt32LE(n + 1)) throw corruption('block checksum mismatch', where);
  const type = frame[n];
  if (type === NONE) return frame.subarray(0, n);
  if (type === LZ4) {
    try {
      return uncompressSync(frame.subarray(0, n));
    } catch (err) {
      throw corruption(`lz4 block does not decompress (${(err as Error).message})`, where);
    }
  }
  throw corruption(`unknown block compression type ${type}`, where);
}

export interface Footer {
  index: BlockHandle;
  filter: BlockHandle;
  entries: number;
}

export function encodeFooter(f: Footer): Buffer {
  const out = Buffer.alloc(FOOTER_SIZE);
  out.writeUIntLE(f.index.offset, 0, 6);
  out.writeUInt32LE(f.index.size, 6);
  out.writeUIntLE(f.filter.offset, 10, 6);
  out.writeUInt32LE(f.filter.size, 16);
  out.writeUIntLE(f.entries, 20, 6);
  TABLE_MAGIC.copy(out, 28);
  return out;
}

export function decodeFooter(buf: Buffer, where: Record<string, unknown>): Footer {
  if (buf.length !== FOOTER_SIZE || !buf.subarray(28).equals(TABLE_MAGIC)) throw corruption('table footer is missing or has a bad magic number', where);
  return {
    index: { offset: buf.readUIntLE(0, 6), size: buf.readUInt32LE(6) },
    filter: { offset: buf.readUIntLE(10, 6), size: buf.readUInt32LE(16) },
    entries: buf.readUIntLE(20, 6),
  };
}
