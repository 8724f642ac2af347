/**
 * The one representation of an object in every store: whole (a zlib stream
 * of its data) or a delta (a zlib stream of git's delta format against a base
 * object), exactly as a pack entry holds it, so an entry can be copied into a
 * pack without inflating it and a pack's entries stored without re-deflating.
 *
 * `bytes` of a delta entry: varint chain depth, varint size of the inflated
 * delta (a pack entry's header needs it), then the zlib stream. Encoding 0
 * (raw data) is only read: stores written before entries were encoded.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { IntegrityError } from '../errors.js';
import type { ObjectEncoding, ObjectEntry, ObjectType } from '../types.js';
import { InflateFailure, inflateReused } from './inflater.js';
import { pushVarint, readVarint } from './varint.js';

export const ENCODING = { raw: 0, whole: 1, delta: 2 } as const satisfies Record<string, ObjectEncoding>;

/** Longest delta chain written (git's pack.depth default). Reads allow a little more, then call it corrupt. */
export const MAX_DELTA_DEPTH = 50;
export const MAX_READ_DEPTH = 64;

function varintAt(bytes: Uint8Array, pos: number, id: string): [number, number] {
  const read = readVarint(bytes, pos);
  if (!read) throw new IntegrityError(`object ${id}: its stored delta header is corrupt`, { id });
  return read;
}

export function deflate(data: Uint8Array): Buffer {
  return deflateSync(data);
}

/** A whole object, deflated. */
export function wholeEntry(id: string, type: ObjectType, data: Uint8Array): ObjectEntry {
  return { id, type, size: data.byteLength, encoding: ENCODING.whole, base: null, bytes: deflate(data) };
}

/** A delta entry from a zlib stream of a delta (a pack entry's compressed bytes, as they are). */
export function deltaEntry(id: string, type: ObjectType, size: number, base: string, depth: number, deltaSize: number, zlib: Uint8Array): ObjectEntry {
  const head: number[] = [];
  pushVarint(head, depth);
  pushVarint(head, deltaSize);
  const bytes = Buffer.allocUnsafe(head.length + zlib.byteLength);
  bytes.set(head, 0);
  bytes.set(zlib, head.length);
  return { id, type, size, encoding: ENCODING.delta, base, bytes };
}

export interface DeltaParts {
  depth: number;
  /** Bytes of the inflated delta. */
  deltaSize: number;
  /** The zlib stream of the delta, a view into the entry's bytes. */
  zlib: Buffer;
}

export function deltaParts(entry: ObjectEntry): DeltaParts {
  const [depth, p1] = varintAt(entry.bytes, 0, entry.id);
  const [deltaSize, p2] = varintAt(entry.bytes, p1, entry.id);
  return { depth, deltaSize, zlib: Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset + p2, entry.bytes.byteLength - p2) };
}

/** How many deltas lie between this entry and a whole object (0 for a whole one). */
export function entryDepth(entry: ObjectEntry): number {
  return entry.encoding === ENCODING.delta ? deltaParts(entry).depth : 0;
}

/** A zlib output chunk that fits `size` bytes exactly (zlib's least is 64), at most 1 MiB. */
export function outputChunk(size: number): number {
  return Math.min(Math.max(size, 64), 1 << 20);
}

function inflateChecked(id: string, zlib: Uint8Array, size: number, what: string): Buffer {
  let out: Buffer | undefined;
  try {
    // One reused zlib state for entries up to 1 MiB (most of them), when this Node allows it.
    out = inflateReused(zlib, size);
  } catch (err) {
    if (!(err instanceof InflateFailure)) throw err;
    throw new IntegrityError(`object ${id}: its stored ${what} does not inflate (${err.message})`, { id });
  }
  if (out) return out;
  try {
    // maxOutputLength: a corrupt stream cannot inflate past what the entry declares. chunkSize: the
    // result is a view of zlib's output chunk (16 KiB by default), so a 200-byte tree would hold 16 KiB.
    out = inflateSync(zlib, { maxOutputLength: Math.max(1, size), chunkSize: outputChunk(size) });
  } catch (err) {
    throw new IntegrityError(`object ${id}: its stored ${what} does not inflate (${(err as Error).message})`, { id });
  }
  if (out.byteLength !== size) throw new IntegrityError(`object ${id}: its stored ${what} inflates to ${out.byteLength} bytes, not ${size}`, { id });
  return out;
}

/** The data of a whole (or raw) entry. */
export function inflateWhole(entry: ObjectEntry): Buffer {
  if (entry.encoding === ENCODING.raw) return Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength);
  if (entry.encoding !== ENCODING.whole) throw new IntegrityError(`object ${entry.id}: not a whole entry`, { id: entry.id });
  return inflateChecked(entry.id, entry.bytes, entry.size, 'data');
}

/** The inflated delta of a delta entry. */
export function inflateDelta(entry: ObjectEntry): Buffer {
  const { deltaSize, zlib } = deltaParts(entry);
  return inflateChecked(entry.id, zlib, deltaSize, 'delta');
}
