/** ioredis and Redis errors as store errors with messages that say what to check. */
import { CapacityError, ConnectionError, DataStoreError } from '../../errors.js';
import { describe } from './connection.js';
import type { RedisSettings } from './settings.js';

const CONNECTION_FAILURE = /Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|MaxRetriesPerRequest|max retries|CLUSTERDOWN|Failed to refresh slots|None of startup nodes|Stream isn't writeable|enableOfflineQueue|TRYAGAIN|MOVED|ASK |LOADING|MASTERDOWN|READONLY/i;

/** ioredis and Redis errors as store errors; store errors pass through. */
export function translateError(err: unknown, settings: RedisSettings): unknown {
  if (err instanceof DataStoreError || !(err instanceof Error)) return err;
  if (/^OOM/.test(err.message)) {
    return new CapacityError(`redis is out of memory (maxmemory): ${err.message}. Raise maxmemory or free memory; a multi-slot write may have stored some of its objects`, {});
  }
  if (CONNECTION_FAILURE.test(err.message) || err.name === 'MaxRetriesPerRequestError') {
    return new ConnectionError(
      `lost the connection to ${describe(settings)}: ${err.message}. Check that the server is running and reachable; a write in flight may or may not have applied, so re-read before retrying`,
      {},
      { cause: err },
    );
  }
  return new DataStoreError('INTERNAL', `redis error: ${err.message}`, {}, { cause: err });
}
