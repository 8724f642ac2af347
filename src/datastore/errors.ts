/** Stable error codes: callers switch on `code`, never on message text. */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_DATA'
  | 'INVALID_ARGUMENT'
  | 'UNSUPPORTED'
  | 'CONFIG'
  | 'CONNECTION'
  | 'CAPACITY'
  | 'CLOSED'
  | 'INTERNAL';

export class DataStoreError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A thing addressed by id or name does not exist. */
export class NotFoundError extends DataStoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('NOT_FOUND', message, details);
  }
}

/** A compare-and-swap or uniqueness check failed; re-read and retry. */
export class ConflictError extends DataStoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFLICT', message, details);
  }
}

/** Content does not match its id, or stored data is corrupt. */
export class IntegrityError extends DataStoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_DATA', message, details);
  }
}

/** The caller passed something malformed (bad ref name, bad limit, ...). */
export class InvalidArgumentError extends DataStoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_ARGUMENT', message, details);
  }
}

/** The store cannot do this; it says so instead of faking success. */
export class UnsupportedError extends DataStoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('UNSUPPORTED', message, details);
  }
}

/** Configuration is invalid: the message names the key and what is expected. */
export class ConfigError extends DataStoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFIG', message, details);
  }
}

/** The database cannot be reached or the connection broke. */
export class ConnectionError extends DataStoreError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('CONNECTION', message, details, options);
  }
}

/** The store is full; nothing was written. */
export class CapacityError extends DataStoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CAPACITY', message, details);
  }
}

/** The store or transaction was already closed. */
export class ClosedError extends DataStoreError {
  constructor(message: string) {
    super('CLOSED', message);
  }
}
