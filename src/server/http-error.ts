/** An error with the HTTP status it should be answered with; store errors map by their code. */
import { DataStoreError, type ErrorCode } from '../datastore/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = 'HTTP_ERROR',
  ) {
    super(message);
  }
}

const STATUS_OF: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_DATA: 422,
  INVALID_ARGUMENT: 400,
  UNSUPPORTED: 501,
  CONFIG: 400,
  CONNECTION: 503,
  CAPACITY: 507,
  CLOSED: 503,
  INTERNAL: 500,
};

export function statusOf(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof DataStoreError) {
    // A version check that failed is an If-Match that no longer holds.
    if (err.code === 'CONFLICT' && err.details.reason === 'stale-version') return { status: 412, code: 'PRECONDITION_FAILED', message: err.message };
    return { status: STATUS_OF[err.code] ?? 500, code: err.code, message: err.message };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal server error' };
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`, 'NOT_FOUND');
export const badRequest = (message: string) => new HttpError(400, message, 'INVALID_ARGUMENT');
export const forbidden = (message: string) => new HttpError(403, message, 'FORBIDDEN');
export const unauthorized = (message = 'authentication required: use HTTP basic auth with your username and a token as the password') =>
  new HttpError(401, message, 'UNAUTHORIZED');
