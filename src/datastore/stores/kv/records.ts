/** Value encodings: refs compactly, records as JSON with dates in ms (objects: object-value.ts). */
import { eventFromJson, eventToJson, repositoryFromJson, repositoryToJson, userFromJson, userToJson } from '../../record-json.js';
import type { AuditEvent, Ref, Repository, User } from '../../types.js';
import type { Bytes } from './engine.js';
import { toBuffer } from './keys.js';

/** A ref value: 'd' or 's' then the target. */
export function encodeRef(ref: Ref): Buffer {
  return Buffer.from((ref.type === 'symbolic' ? 's' : 'd') + ref.target, 'utf8');
}

export function decodeRef(name: string, value: Bytes): Ref {
  const text = toBuffer(value).toString('utf8');
  return { name, type: text[0] === 's' ? 'symbolic' : 'direct', target: text.slice(1) };
}

const utf8 = (value: Bytes) => toBuffer(value).toString('utf8');

export const encodeRepository = (r: Repository): Buffer => Buffer.from(repositoryToJson(r), 'utf8');
export const decodeRepository = (value: Bytes): Repository => repositoryFromJson(utf8(value));
export const encodeUser = (u: User): Buffer => Buffer.from(userToJson(u), 'utf8');
export const decodeUser = (value: Bytes): User => userFromJson(utf8(value));
export const encodeEvent = (e: AuditEvent): Buffer => Buffer.from(eventToJson(e), 'utf8');
export const decodeEvent = (value: Bytes): AuditEvent => eventFromJson(utf8(value));

export function encodeCounter(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
}

export function decodeCounter(value: Bytes | undefined): number {
  return value && value.byteLength === 8 ? Number(toBuffer(value).readBigInt64BE(0)) : 0;
}
