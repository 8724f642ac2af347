/** Value encodings: refs compactly, records as JSON with dates in ms (objects: object-value.ts). */
import { IntegrityError } from '../../errors.js';
import type { AuditEvent, JsonObject, Ref, Repository, User } from '../../types.js';
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

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function parse<T>(value: Bytes, what: string): T {
  try {
    return JSON.parse(toBuffer(value).toString('utf8')) as T;
  } catch (err) {
    throw new IntegrityError(`stored ${what} is not valid JSON (${(err as Error).message}); the store is corrupt`);
  }
}

type Stored<T, D extends keyof T> = Omit<T, D> & { [K in D]: number };

export function encodeRepository(r: Repository): Buffer {
  return json({ ...r, createdAt: r.createdAt.getTime(), updatedAt: r.updatedAt.getTime() });
}

export function decodeRepository(value: Bytes): Repository {
  const r = parse<Stored<Repository, 'createdAt' | 'updatedAt'>>(value, 'repository');
  return { ...r, createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt) };
}

export function encodeUser(u: User): Buffer {
  return json({ ...u, createdAt: u.createdAt.getTime(), updatedAt: u.updatedAt.getTime() });
}

export function decodeUser(value: Bytes): User {
  const u = parse<Stored<User, 'createdAt' | 'updatedAt'>>(value, 'user');
  return { ...u, createdAt: new Date(u.createdAt), updatedAt: new Date(u.updatedAt) };
}

export function encodeEvent(e: AuditEvent): Buffer {
  return json({ ...e, timestamp: e.timestamp.getTime() });
}

export function decodeEvent(value: Bytes): AuditEvent {
  const e = parse<Stored<AuditEvent, 'timestamp'> & { details: JsonObject }>(value, 'event');
  return { ...e, timestamp: new Date(e.timestamp) };
}

export function encodeCounter(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
}

export function decodeCounter(value: Bytes | undefined): number {
  return value && value.byteLength === 8 ? Number(toBuffer(value).readBigInt64BE(0)) : 0;
}
