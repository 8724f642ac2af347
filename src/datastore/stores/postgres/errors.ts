/** PostgreSQL errors (SQLSTATE codes) as the store's error classes. */
import { recordError, type RecordConflict } from '../../conflicts.js';
import {
  CapacityError,
  ConflictError,
  ConnectionError,
  DataStoreError,
  InvalidArgumentError,
  NotFoundError,
} from '../../errors.js';

interface PgError extends Error {
  code?: string;
  constraint?: string;
  detail?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

/** Serialization failure or deadlock: the whole transaction may succeed if run again. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof DataStoreError) return err.details.retry === true;
  const code = (err as PgError)?.code;
  return code === '40001' || code === '40P01';
}

function isConnectionFailure(err: PgError): boolean {
  const code = err.code ?? '';
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  return /Connection terminated|timeout expired|Client has encountered a connection error|connect ECONNREFUSED/i.test(err.message);
}

/** Maps a driver error to a DataStoreError; `target` (host:port/db) and `product` go into connection messages. */
export function mapPgError(err: unknown, product: string, target: string): unknown {
  if (err instanceof DataStoreError || !(err instanceof Error)) return err;
  const e = err as PgError;
  const code = e.code ?? '';
  if (isRetryable(e)) {
    return new ConflictError(
      `${product} aborted the transaction because a concurrent transaction changed the same data (${code === '40P01' ? 'deadlock' : 'serialization failure'}); run the whole transaction again`,
      { sqlstate: code, retry: true },
    );
  }
  switch (code) {
    case '23505':
      return new ConflictError(uniqueMessage(e), { sqlstate: code, constraint: e.constraint });
    case '23503':
      return new NotFoundError(`a row this write refers to no longer exists (${e.constraint ?? 'foreign key'}): ${e.detail ?? e.message}`, {
        sqlstate: code,
      });
    case '25006':
      return new InvalidArgumentError('this transaction is read-only; begin one without readOnly to write', { sqlstate: code });
    case '22021':
    case '22P05':
    case '22P02':
      return new InvalidArgumentError(`${product} refused a value: ${e.message} (text and JSON may not contain NUL characters)`, { sqlstate: code });
    case '54000':
    case '53100':
    case '53200':
      return new CapacityError(`${product} ran out of room for this write: ${e.message}`, { sqlstate: code });
    case '28P01':
    case '28000':
      return new ConnectionError(`${product} at ${target} refused the login: ${e.message}; check the user and password in the URI`, { sqlstate: code }, { cause: err });
    case '3D000':
      return new ConnectionError(`${product} at ${target}: ${e.message}; create the database or fix the URI`, { sqlstate: code }, { cause: err });
  }
  if (/CERT|SSL|TLS/i.test(code) || /self[- ]signed|certificate|does not support SSL/i.test(e.message)) {
    return new ConnectionError(
      `TLS to ${product} at ${target} failed (${e.message}); check ssl_mode (disable|require|verify-ca|verify-full) and ssl_root_cert`,
      { code },
      { cause: err },
    );
  }
  if (isConnectionFailure(e)) {
    return new ConnectionError(
      `cannot reach ${product} at ${target} (${e.message}); check that the server is running, the host and port in the URI, and ssl_mode`,
      { code },
      { cause: err },
    );
  }
  return err;
}

function uniqueMessage(e: PgError): string {
  const value = /\)=\((.*)\) already exists/.exec(e.detail ?? '')?.[1] ?? '';
  const known = UNIQUE_CONFLICTS[e.constraint ?? ''];
  if (known) return recordError(known(value)).message;
  if (e.constraint === 'refs_pkey') return `a ref was created concurrently (${e.detail ?? ''}); re-read it and retry`;
  return `${e.message}${e.detail ? ` (${e.detail})` : ''}`;
}

/** Unique constraints and the conflict each one means (conflicts.ts gives the words). */
const UNIQUE_CONFLICTS: Record<string, (value: string) => RecordConflict> = {
  repositories_pkey: (id) => ({ kind: 'repo-exists', id }),
  repositories_name_key: (name) => ({ kind: 'repo-name', name }),
  users_pkey: (id) => ({ kind: 'user-exists', id }),
  users_username_key: (username) => ({ kind: 'username', username }),
  users_email_key: (email) => ({ kind: 'email', email }),
  audit_events_pkey: (id) => ({ kind: 'event-exists', id }),
};
