/** Git object ids: the hash of "<type> <size>\0" followed by the content. */
import { createHash } from 'node:crypto';
import type { ObjectFormat, ObjectType } from './types.js';

const HEX_LENGTH: Record<ObjectFormat, number> = { sha1: 40, sha256: 64 };

/** Bytes of a raw (binary) object id: in trees, pack indexes, pack trailers. */
export const ID_BYTES: Record<ObjectFormat, number> = { sha1: 20, sha256: 32 };

export function idLength(format: ObjectFormat): number {
  return HEX_LENGTH[format];
}

/** The all-zero id git uses for "no object" (a ref created or deleted in a push). */
export function zeroId(format: ObjectFormat = 'sha1'): string {
  return '0'.repeat(HEX_LENGTH[format]);
}

export function objectHeader(type: ObjectType, size: number): Buffer {
  return Buffer.from(`${type} ${size}\0`, 'latin1');
}

export function hashObject(type: ObjectType, data: Uint8Array, format: ObjectFormat = 'sha1'): string {
  return createHash(format).update(objectHeader(type, data.byteLength)).update(data).digest('hex');
}

export function isObjectId(value: unknown, format: ObjectFormat = 'sha1'): value is string {
  return typeof value === 'string' && value.length === HEX_LENGTH[format] && /^[0-9a-f]+$/.test(value);
}
