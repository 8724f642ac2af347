/**
 * The engine's own errors. It knows nothing of the DataStore API; the `code`
 * strings match the DataStore's error codes so the store can map them 1:1.
 */
export type LsmErrorCode = 'INVALID_DATA' | 'LOCKED' | 'CLOSED' | 'INVALID_ARGUMENT';

export class LsmError extends Error {
  constructor(readonly code: LsmErrorCode, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'LsmError';
  }
}

/** A checksum or structure check failed: the bytes on disk are not what was written. */
export function corruption(message: string, details: Record<string, unknown>): LsmError {
  return new LsmError('INVALID_DATA', `lsm: corrupt data: ${message}`, details);
}
