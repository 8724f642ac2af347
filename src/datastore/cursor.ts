/** Opaque, tamper-evident-enough pagination cursors: base64url JSON tagged with the list they belong to. */
import { InvalidArgumentError } from './errors.js';

export type CursorKind = 'objects' | 'refs' | 'repositories' | 'users' | 'events' | 'config';

export function encodeCursor(kind: CursorKind, value: unknown): string {
  return Buffer.from(JSON.stringify({ k: kind, v: value }), 'utf8').toString('base64url');
}

export function decodeCursor(kind: CursorKind, cursor: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as { k?: unknown }).k !== kind) {
    throw new InvalidArgumentError(`cursor ${JSON.stringify(cursor)} does not come from a ${kind} list; pass back the nextCursor of the previous page`);
  }
  return (parsed as { v: unknown }).v;
}

export function decodeStringCursor(kind: CursorKind, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const value = decodeCursor(kind, cursor);
  if (typeof value !== 'string') throw new InvalidArgumentError(`malformed ${kind} cursor`);
  return value;
}
