/** SQLite failures as the store's typed errors, with what to check. */
import {
  CapacityError,
  ConflictError,
  ConnectionError,
  DataStoreError,
  IntegrityError,
} from '../../errors.js';

interface SqliteFailure extends Error {
  code?: string;
}

export function translateSqliteError(err: unknown, path: string): unknown {
  if (err instanceof DataStoreError || !(err instanceof Error)) return err;
  const code = (err as SqliteFailure).code ?? '';
  const details = { path, sqliteCode: code };
  if (code.startsWith('SQLITE_CONSTRAINT')) return new ConflictError(`SQLite refused the write: ${err.message}`, details);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ConnectionError(`SQLite database ${path} stayed locked by another connection past busy_timeout; retry, or raise busy_timeout`, details, {
      cause: err,
    });
  }
  if (code === 'SQLITE_FULL') return new CapacityError(`the disk holding ${path} is full; nothing was written`, details);
  if (code === 'SQLITE_TOOBIG') return new CapacityError(`value too large for SQLite (limit about 1 GB per object): ${err.message}`, details);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new IntegrityError(`SQLite database ${path} is corrupt or not a database: ${err.message}`, details);
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new ConnectionError(`cannot use SQLite database ${path} (${code}): ${err.message}; check the path exists, is writable, and the disk is healthy`, details, {
      cause: err,
    });
  }
  return err;
}
