/** Argument checks done once, above every store. */
import { InvalidArgumentError } from './errors.js';
import { isObjectId } from './hash.js';
import { OBJECT_TYPES, type ObjectFormat, type ObjectType } from './types.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Unpaired surrogates cannot be stored as UTF-8: databases would turn them into U+FFFD. */
function isWellFormed(value: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
}

export const MAX_LIMIT = 10_000;
export const DEFAULT_LIMIT = 100;

export function checkObjectType(type: unknown): ObjectType {
  if (typeof type !== 'string' || !OBJECT_TYPES.includes(type as ObjectType)) {
    throw new InvalidArgumentError(`object type must be one of ${OBJECT_TYPES.join(', ')}; got ${JSON.stringify(type)}`);
  }
  return type as ObjectType;
}

export function checkObjectId(id: unknown, format: ObjectFormat): string {
  if (!isObjectId(id, format)) {
    const length = format === 'sha1' ? 40 : 64;
    throw new InvalidArgumentError(`object id must be ${length} lowercase hex characters (${format}); got ${JSON.stringify(id)}`);
  }
  return id;
}

export function checkHexPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^[0-9a-f]*$/.test(prefix)) {
    throw new InvalidArgumentError(`object id prefix must be lowercase hex; got ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** A printable, non-empty string such as an id, a name or a config key. */
export function checkText(what: string, value: unknown, maxLength = 255): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(`${what} must be a non-empty string; got ${JSON.stringify(value)}`);
  }
  if (value.length > maxLength) throw new InvalidArgumentError(`${what} must be at most ${maxLength} characters; got ${value.length}`);
  if (CONTROL.test(value)) throw new InvalidArgumentError(`${what} must not contain control characters; got ${JSON.stringify(value)}`);
  if (!isWellFormed(value)) throw new InvalidArgumentError(`${what} must be well-formed Unicode (it has an unpaired surrogate)`);
  if (value !== value.trim()) throw new InvalidArgumentError(`${what} must not start or end with whitespace; got ${JSON.stringify(value)}`);
  return value;
}

/** A prefix filter: may be empty, matched literally. */
export function checkPrefix(what: string, value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || CONTROL.test(value) || !isWellFormed(value)) {
    throw new InvalidArgumentError(`${what} must be a well-formed string without control characters; got ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkLimit(limit: unknown, fallback = DEFAULT_LIMIT): number {
  if (limit === undefined) return fallback;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidArgumentError(`limit must be an integer from 1 to ${MAX_LIMIT}; got ${JSON.stringify(limit)}`);
  }
  return limit;
}

export function checkOffset(offset: unknown): number {
  if (offset === undefined) return 0;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(`offset must be a non-negative integer; got ${JSON.stringify(offset)}`);
  }
  return offset;
}

/**
 * Git's ref name rules (git check-ref-format), plus HEAD.
 */
export function checkRefName(name: unknown): string {
  if (name === 'HEAD') return name;
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`invalid ref name ${JSON.stringify(name)}: ${why}`);
  };
  if (typeof name !== 'string') return bad('must be a string');
  if (!name.startsWith('refs/')) bad('must be HEAD or start with refs/');
  if (name.length > 1024) bad('longer than 1024 characters');
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) bad('contains a space, control character or one of ~ ^ : ? * [ \\');
  if (name.includes('..')) bad('contains ..');
  if (name.includes('@{')) bad('contains @{');
  if (name.endsWith('/') || name.endsWith('.')) bad('ends with / or .');
  for (const part of name.split('/')) {
    if (part === '') bad('has an empty path component');
    if (part.startsWith('.')) bad('has a component starting with .');
    if (part.endsWith('.lock')) bad('has a component ending with .lock');
  }
  return name;
}

export function checkDate(what: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidArgumentError(`${what} must be a valid Date; got ${String(value)}`);
  }
  return value;
}

export function checkBytes(what: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be a Buffer or Uint8Array`);
  return value;
}
