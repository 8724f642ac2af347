/**
 * The follower side of the PostgreSQL change log (tables and triggers in
 * change-log-schema.ts). Sequence numbers are handed out in insert order but
 * committed in any order, so a reader first takes a SHARE lock on change_log
 * for an instant: every writer holding a sequence number has then finished,
 * and nothing at or below the max it reads can still appear.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { PoolClient } from 'pg';
import { LOGGED_TABLES } from './change-log-schema.js';
import { type ChangeLog, type ChangeLogPage, type LoggedChange } from '../../change-log.js';

interface LogRow {
  seq: string;
  kind: string;
  repository_id: string | null;
  keys: string[];
  times: string[] | null;
}

const SQL = {
  lockWrites: `LOCK TABLE ${LOGGED_TABLES.join(', ')} IN SHARE MODE`,
  lockLog: 'LOCK TABLE change_log IN SHARE MODE',
  // an emptied log's head is where it was trimmed: a follower registered then starts there, not before the mark
  head: 'SELECT greatest(coalesce(max(seq), 0), (SELECT trimmed_below - 1 FROM change_log_state WHERE id = 1))::text AS head FROM change_log',
  register: `INSERT INTO change_followers (name, position) VALUES ($1, $2)
    ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, acked_at = now()`,
  trimmedBelow: 'SELECT trimmed_below::text AS below FROM change_log_state WHERE id = 1',
  // ORDER BY the column, not the text alias
  read: 'SELECT seq::text AS seq, kind, repository_id, keys, times::text[] AS times FROM change_log WHERE seq > $1 AND seq <= $2 ORDER BY change_log.seq LIMIT $3',
  ack: `INSERT INTO change_followers (name, position) VALUES ($1, $2)
    ON CONFLICT (name) DO UPDATE SET position = GREATEST(change_followers.position, EXCLUDED.position), acked_at = now()`,
  dropStale: `DELETE FROM change_followers WHERE acked_at < now() - $1 * interval '1 millisecond'`,
  drop: 'DELETE FROM change_followers WHERE name = $1',
  // Everything every follower has applied; all of it when none is left.
  consumed: 'SELECT coalesce((SELECT min(position) FROM change_followers), (SELECT max(seq) FROM change_log), 0)::text AS upto',
  trim: 'DELETE FROM change_log WHERE seq <= $1',
  markTrimmed: 'UPDATE change_log_state SET trimmed_below = GREATEST(trimmed_below, $1::bigint + 1) WHERE id = 1',
} as const;

/** The channel the triggers notify (LOG_CHANNEL_SQL computes the same). */
export function logChannel(schema: string): string {
  return `govc_log_${createHash('md5').update(schema).digest('hex').slice(0, 24)}`;
}

function toChanges(row: LogRow): LoggedChange[] {
  switch (row.kind) {
    case 'object':
    case 'repository':
    case 'user':
      return row.keys.map((id) => ({ kind: row.kind as 'object', id }));
    case 'ref':
      return row.keys.map((name) => ({ kind: 'ref', repositoryId: row.repository_id!, name }));
    case 'event':
      return row.keys.map((id, i) => ({ kind: 'event', id, timestamp: Number(row.times![i]) }));
    case 'config':
      return row.keys.map((key) => ({ kind: 'config', key }));
    case 'commit':
      return row.keys.map((id) => ({ kind: 'commit', repositoryId: row.repository_id!, id }));
    default:
      return [];
  }
}

export interface PgLogSource {
  pool(): pg.Pool;
  retentionMs: number;
  clientConfig: pg.ClientConfig;
  schema: string;
  mapError(err: unknown): unknown;
}

export class PgChangeLog implements ChangeLog {
  readonly changeLogName = 'the change_log table (filled by triggers in each writing transaction)';
  private listener: pg.Client | undefined;
  private notified = false;
  private wake: (() => void) | undefined;

  constructor(private readonly source: PgLogSource) {}

  private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient | undefined;
    try {
      client = await this.source.pool().connect();
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      await client?.query('ROLLBACK').catch(() => undefined);
      client?.release(true);
      throw this.source.mapError(err);
    }
  }

  registerFollower(name: string): Promise<string> {
    return this.inTransaction(async (c) => {
      // Writers in flight cannot see the follower yet: wait for them, so none commits unlogged after the head.
      await c.query(SQL.lockWrites);
      const head = (await c.query<{ head: string }>(SQL.head)).rows[0].head;
      await c.query(SQL.register, [name, head]);
      return head;
    });
  }

  async readChanges(after: string, limit: number): Promise<ChangeLogPage | undefined> {
    const { below, bound } = await this.inTransaction(async (c) => {
      const below = (await c.query<{ below: string }>(SQL.trimmedBelow)).rows[0].below;
      await c.query(SQL.lockLog);
      return { below: BigInt(below), bound: (await c.query<{ head: string }>(SQL.head)).rows[0].head };
    });
    if (BigInt(after) + 1n < below) return undefined;
    let rows: LogRow[];
    try {
      rows = (await this.source.pool().query<LogRow>(SQL.read, [after, bound, limit])).rows;
    } catch (err) {
      throw this.source.mapError(err);
    }
    const position = rows.length === limit ? rows[rows.length - 1].seq : BigInt(bound) > BigInt(after) ? bound : after;
    return { changes: rows.flatMap(toChanges), position };
  }

  acknowledge(name: string, position: string): Promise<void> {
    return this.inTransaction(async (c) => {
      await c.query(SQL.ack, [name, position]);
      await this.trim(c);
    });
  }

  dropFollower(name: string): Promise<void> {
    return this.inTransaction(async (c) => {
      await c.query(SQL.drop, [name]);
      await this.trim(c);
    });
  }

  enforceRetention(): Promise<void> {
    return this.inTransaction((c) => this.trim(c));
  }

  private async trim(c: PoolClient): Promise<void> {
    await c.query(SQL.dropStale, [this.source.retentionMs]);
    const upto = (await c.query<{ upto: string }>(SQL.consumed)).rows[0].upto;
    await c.query(SQL.trim, [upto]);
    await c.query(SQL.markTrimmed, [upto]);
  }

  async waitForChanges(_after: string, timeoutMs: number): Promise<boolean> {
    await this.listen();
    if (!this.notified) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
    const woken = this.notified;
    this.notified = false;
    return woken;
  }

  private async listen(): Promise<void> {
    if (this.listener) return;
    const client = new pg.Client(this.source.clientConfig);
    client.on('error', () => {
      // dropped: the next wait connects again, and its timeout covers what was missed
      if (this.listener === client) this.listener = undefined;
    });
    client.on('notification', () => {
      this.notified = true;
      this.wake?.();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${logChannel(this.source.schema)}"`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw this.source.mapError(err);
    }
    this.listener = client;
  }

  async close(): Promise<void> {
    const client = this.listener;
    this.listener = undefined;
    this.wake?.();
    await client?.end().catch(() => undefined);
  }
}
