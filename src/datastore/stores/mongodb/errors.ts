/** Driver errors in the store's terms: an unreachable server is a ConnectionError that says what to check. */
import { MongoNetworkError, MongoServerSelectionError, MongoServerError } from 'mongodb';
import { CapacityError, ConnectionError, DataStoreError } from '../../errors.js';

export function translateError(err: unknown, url: string): unknown {
  if (err instanceof DataStoreError) return err;
  const where = url.replace(/\/\/[^@/]*@/, '//***@');
  if ((err as { syscall?: string }).syscall === 'querySrv' || (err as { syscall?: string }).syscall === 'queryTxt') {
    return new ConnectionError(`cannot look up the DNS records of ${where} (${(err as Error).message}); check the host name and DNS, or give the hosts with mongodb://host:port`, {}, { cause: err });
  }
  if (err instanceof MongoServerSelectionError || err instanceof MongoNetworkError) {
    return new ConnectionError(`cannot reach MongoDB at ${where}: ${err.message}; check that the server runs and the URI, TLS and credentials are right`, {}, { cause: err });
  }
  if (err instanceof MongoServerError && (err.code === 10334 || /too large|BSONObjectTooLarge/i.test(err.message))) {
    return new CapacityError(`the write is too large for one MongoDB document (${err.message}); split it into smaller writes`);
  }
  // FerretDB checks PLAIN credentials by connecting to PostgreSQL as that role: the refusal comes back as an internal error.
  const refused = err instanceof MongoServerError ? /FATAL: *(password authentication failed for user "[^"]*"|role "[^"]*" does not exist)/.exec(err.message) : null;
  if (refused) {
    return new ConnectionError(`MongoDB at ${where} refused the credentials (its PostgreSQL backend said: ${refused[1]}); check user, password, auth_source and roles`, {}, { cause: err });
  }
  if (err instanceof MongoServerError && (err.code === 18 || err.code === 13)) {
    return new ConnectionError(`MongoDB at ${where} refused the credentials or the operation (${err.message}); check user, password, auth_source and roles`, {}, { cause: err });
  }
  return err;
}
