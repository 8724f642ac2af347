/**
 * Write-ahead log records: one record per committed write group member.
 *
 *   batch := first seq (u48 BE) | op count varint | op*
 *   op    := kind (u8) | key (varint length + bytes) | value (varint length + bytes)
 *
 * Values of Kind.Pointer are value-log pointers: the value itself was written
 * to the value log before this record.
 */
import { ByteReader, ByteWriter, Kind } from './coding.js';
import { corruption } from './errors.js';

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
