/**
 * Runs SQL as named (prepared) statements on a pool or on one client. Each
 * distinct text gets a stable name, so every connection parses and plans it
 * once and later calls only bind and execute.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import pg from 'pg';
import type { ClientBase, Pool, QueryResult, QueryResultRow } from 'pg';
import copyStreams from 'pg-copy-streams';

export interface Executor {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  /** Runs a `COPY ... TO STDOUT` and hands its raw output to `consume` (on one connection throughout). */
  copyOut<T>(text: string, consume: (stream: Readable) => Promise<T>): Promise<T>;
}

const names = new Map<string, string>();

/** A prepared-statement name derived from the SQL text. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `govc_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** `mapError` turns driver errors into the store's error classes. */
export function executorFor(target: Pool | ClientBase, mapError: (err: unknown) => unknown): Executor {
  const withClient = async <T>(fn: (client: ClientBase) => Promise<T>): Promise<T> => {
    if (!(target instanceof pg.Pool)) return fn(target);
    const client = await target.connect();
    let failed = false;
    try {
      return await fn(client);
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // After a failed COPY the connection's state is unknown: drop it.
      client.release(failed);
    }
  };
  return {
    async query<R extends QueryResultRow>(text: string, values: unknown[] = []) {
      try {
        return await target.query<R>({ name: statementName(text), text, values });
      } catch (err) {
        throw mapError(err);
      }
    },
    async copyOut<T>(text: string, consume: (stream: Readable) => Promise<T>): Promise<T> {
      try {
        return await withClient((client) => consume(client.query(copyStreams.to(text))));
      } catch (err) {
        throw mapError(err);
      }
    },
  };
}
