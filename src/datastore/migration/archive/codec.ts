/**
 * One record as bytes in an archive chunk (see ./format.ts): a frame of
 *   u32 BE payload length, u32 BE CRC-32 of the payload, payload
 * where the payload is a kind byte, then for an object its stored entry in
 * binary (type, encoding, id, base, size, bytes as stored), for every other
 * kind the record as UTF-8 JSON (dates as ISO strings).
 */
import { crc32 } from 'node:zlib';
import type { ObjectEncoding, ObjectType } from '../../types.js';
import { OBJECT_TYPES } from '../../types.js';
import type { RecordKind, StoreRecord } from '../records.js';

const KIND_BYTE: Record<RecordKind, number> = { object: 1, repository: 2, ref: 3, user: 4, event: 5, config: 6, commit: 7 };
const KIND_OF = new Map(Object.entries(KIND_BYTE).map(([k, v]) => [v, k as RecordKind]));
export const FRAME_HEADER = 8;

/** Thrown for a frame that cannot be decoded; the reader adds where it is. */
export class BadRecord extends Error {}

export function encodeRecord(record: StoreRecord): Buffer {
  let payload: Buffer;
  if (record.kind === 'object') {
    const e = record.entry;
    const id = Buffer.from(e.id, 'latin1');
    const base = Buffer.from(e.base ?? '', 'latin1');
    const head = Buffer.alloc(1 + 1 + 1 + 1 + id.length + 1 + base.length + 8);
    let at = head.writeUInt8(KIND_BYTE.object, 0);
    at = head.writeUInt8(OBJECT_TYPES.indexOf(e.type), at);
    at = head.writeUInt8(e.encoding, at);
    at = head.writeUInt8(id.length, at);
    at += id.copy(head, at);
    at = head.writeUInt8(base.length, at);
    at += base.copy(head, at);
    head.writeDoubleBE(e.size, at);
    payload = Buffer.concat([head, e.bytes]);
  } else {
    const { kind, ...rest } = record;
    payload = Buffer.concat([Buffer.of(KIND_BYTE[kind]), Buffer.from(JSON.stringify(rest), 'utf8')]);
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32(payload), 4);
  return Buffer.concat([frame, payload]);
}

const toDate = (v: unknown, what: string): Date => {
  const d = new Date(v as string);
  if (typeof v !== 'string' || Number.isNaN(d.getTime())) throw new BadRecord(`${what} is not a date`);
  return d;
};

/** Decodes one payload (its CRC already checked). */
export function decodePayload(payload: Buffer): StoreRecord {
  const kind = KIND_OF.get(payload[0]);
  if (!kind) throw new BadRecord(`unknown record kind ${payload[0]}`);
  if (kind === 'object') {
    let at = 1;
    const type = OBJECT_TYPES[payload.readUInt8(at++)] as ObjectType | undefined;
    const encoding = payload.readUInt8(at++) as ObjectEncoding;
    const idLength = payload.readUInt8(at++);
    const id = payload.toString('latin1', at, (at += idLength));
    const baseLength = payload.readUInt8(at++);
    const base = baseLength === 0 ? null : payload.toString('latin1', at, (at += baseLength));
    const size = payload.readDoubleBE(at);
    at += 8;
    if (!type) throw new BadRecord(`object ${id} has an unknown type`);
    return { kind, entry: { id, type, size, encoding, base, bytes: payload.subarray(at) } };
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(payload.toString('utf8', 1));
  } catch {
    throw new BadRecord(`${kind} record is not valid JSON`);
  }
  switch (kind) {
    case 'repository': {
      const r = body.repository as Record<string, unknown>;
      return { kind, repository: { ...r, createdAt: toDate(r?.createdAt, 'createdAt'), updatedAt: toDate(r?.updatedAt, 'updatedAt') } as never };
    }
    case 'user': {
      const u = body.user as Record<string, unknown>;
      return { kind, user: { ...u, createdAt: toDate(u?.createdAt, 'createdAt'), updatedAt: toDate(u?.updatedAt, 'updatedAt') } as never };
    }
    case 'event': {
      const e = body.event as Record<string, unknown>;
      return { kind, event: { ...e, timestamp: toDate(e?.timestamp, 'timestamp') } as never };
    }
    default:
      return { kind, ...body } as StoreRecord;
  }
}

/** A short name for a record in messages: its kind and what identifies it. */
export function describeRecord(record: StoreRecord): string {
  switch (record.kind) {
    case 'object':
      return `object ${record.entry.id}`;
    case 'repository':
      return `repository ${record.repository.name}`;
    case 'ref':
      return `ref ${record.ref.name} of repository ${record.repositoryId}`;
    case 'user':
      return `user ${record.user.username}`;
    case 'event':
      return `event ${record.event.id}`;
    case 'config':
      return `config ${record.key}`;
    case 'commit':
      return `commit ${record.row.id} of repository ${record.repositoryId}`;
  }
}
