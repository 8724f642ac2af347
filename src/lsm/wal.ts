/**
 * Write-ahead log records: one record per committed write group member.
 *
 *   batch := first seq (u48 BE) | op count varint | op*
 *   op    := kind (u8) | key (varint length + bytes) | value (varint length + bytes)
 *
 * Values of Kind.Pointer are value-log pointers: the value itself was written
 * to the value log before this record.
 */
import { ByteReader, ByteWriter, crc, Kind } from './coding.js';
import { corruption } from './errors.js';
import { RECORD_HEADER } from './log.js';

export interface WalOp {
  kind: Kind;
  key: Buffer;
  value: Buffer;
}

export interface WalBatch {
  seq: number;
  ops: WalOp[];
}

export function encodeBatch(seq: number, ops: WalOp[]): Buffer {
  const w = new ByteWriter(64 + ops.reduce((n, op) => n + op.key.length + op.value.length + 12, 0));
  const head = Buffer.allocUnsafe(6);
  head.writeUIntBE(seq, 0, 6);
  w.bytes(head).varint(ops.length);
  for (const op of ops) w.u8(op.kind).lenBytes(op.key).lenBytes(op.value);
  return Buffer.from(w.view());
}

export function decodeBatch(payload: Buffer, where: Record<string, unknown>): WalBatch {
  const r = new ByteReader(payload, 0, payload.length, (w) => corruption(`WAL record: ${w}`, where));
  const seq = r.bytes(6).readUIntBE(0, 6);
  const count = r.varint();
  const ops: WalOp[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8() as Kind;
    if (kind !== Kind.Delete && kind !== Kind.Value && kind !== Kind.Pointer) throw corruption(`WAL op kind ${kind}`, where);
    ops.push({ kind, key: Buffer.from(r.lenBytes()), value: Buffer.from(r.lenBytes()) });
  }
  return { seq, ops };
}

/**
 * A batch encoded once, framed as a log record, before its sequence number is
 * known: its ops are views into the record, so the memtable keeps the bytes
 * the WAL wrote instead of further copies. `seal` fills in seq and checksum.
 */
export interface FramedBatch {
  record: Buffer;
  ops: WalOp[];
}

export function encodeFramedBatch(ops: Array<{ kind: Kind; key: Uint8Array; value: Uint8Array }>): FramedBatch {
  const w = new ByteWriter(RECORD_HEADER + 16 + ops.reduce((n, op) => n + op.key.length + op.value.length + 12, 0));
  w.u32(0).u32(0).u32(0).u8(0).u8(0).varint(ops.length);
  const spans: number[] = [];
  for (const op of ops) {
    w.u8(op.kind).varint(op.key.length);
    spans.push(w.length);
    w.bytes(op.key).varint(op.value.length);
    spans.push(w.length);
    w.bytes(op.value);
  }
  const record = w.view();
  return {
    record,
    ops: ops.map((op, i) => ({
      kind: op.kind,
      key: record.subarray(spans[2 * i]!, spans[2 * i]! + op.key.length),
      value: record.subarray(spans[2 * i + 1]!, spans[2 * i + 1]! + op.value.length),
    })),
  };
}

/** Writes the first sequence number and the frame header (payload length, checksum). */
export function sealFramedBatch(record: Buffer, seq: number): void {
  record.writeUIntBE(seq, RECORD_HEADER, 6);
  record.writeUInt32LE(record.length - RECORD_HEADER, 0);
  record.writeUInt32LE(crc(record.subarray(RECORD_HEADER)), 4);
}
